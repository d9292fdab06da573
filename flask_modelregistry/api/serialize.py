"""Render the services' read models (:mod:`..services.read_models`) in the JSON API's shapes (see :mod:`.schemas`)."""
from __future__ import annotations

import dataclasses
import typing as t

from ..services.read_models import ModelView, VersionView
from . import schemas

_model_schema = schemas.Model()
_version_schema = schemas.Version()


def models_json(views: t.Sequence[ModelView]) -> list[dict[str, t.Any]]:
    return [_model_schema.dump(v) for v in views]


def versions_json(views: t.Sequence[VersionView]) -> list[dict[str, t.Any]]:
    return [_version_schema.dump({
        **{f.name: getattr(v, f.name) for f in dataclasses.fields(v)},
        "run_id": v.mlflow_run_id,  # the run the version came from, as MLflow shows it
        "package_name": v.package_name,
        "metrics": [metric_json(m) for m in v.metrics],
        "datasets": [dataclasses.asdict(x) for x in v.datasets],
    }) for v in views]


def metric_json(m: t.Any) -> dict[str, t.Any]:
    """NaN is not JSON: it goes out as ``null`` with ``is_nan`` set."""
    nan = m.value != m.value
    return {"key": m.key, "value": None if nan else m.value, "step": m.step, "timestamp": m.timestamp,
            "is_nan": nan}
