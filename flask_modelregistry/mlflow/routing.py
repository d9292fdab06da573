"""The MLflow API's route table: each view declares its path (under the tracking URI) and methods."""
from __future__ import annotations

import dataclasses
import typing as t

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts"
API3 = "/api/3.0/mlflow"


@dataclasses.dataclass(frozen=True)
class Route:
    rule: str
    methods: tuple[str, ...]
    view: t.Callable[..., t.Any]


ROUTES: list[Route] = []


def route(rule: str, *methods: str) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., t.Any]]:
    def decorator(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        ROUTES.append(Route(rule, methods, view))
        return view
    return decorator
