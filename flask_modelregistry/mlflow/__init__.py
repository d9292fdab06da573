"""The MLflow-compatible API: the real ``mlflow`` client works against every project's registry.

Point the client at a project's tracking URI and give it a token::

    export MLFLOW_TRACKING_URI=https://portal.example.com/api/v1/projects/<project>/ml/mlflow
    export MLFLOW_TRACKING_TOKEN=<token>     # or MLFLOW_TRACKING_USERNAME / _PASSWORD=<token>

The client appends ``/api/2.0/mlflow/...``, ``/api/2.0/mlflow-artifacts/...`` and
``/api/3.0/mlflow/...``. Every view calls the same service layer as the JSON API and the pages,
so a version created here is the version the pages show. Errors have MLflow's shape,
``{"error_code", "message"}``, with the statuses of MLflow's own server.
"""
from __future__ import annotations

import typing as t

from flask import Blueprint, Flask, g

from ..kit.auth import check_session_csrf, request_actor
from ..kit.failures import AnyPathConverter, catch_all, refuse_other_method
from . import artifact_views, logged_model_views, registry_views, tracking_views, webhook_views  # noqa: F401  (fill ROUTES)
from .errors import MlflowError, register_error_handlers
from .routing import ROUTES

TRACKING_PATH = "/api/v1/projects/<project>/ml/mlflow"


def create_blueprint(app: Flask, prefix: str) -> Blueprint:
    """The MLflow API of every project, under ``{prefix}/api/v1/projects/<project>/ml/mlflow``."""
    app.url_map.converters.setdefault("mr_any_path", AnyPathConverter)
    bp = Blueprint("model_registry_mlflow", __name__, url_prefix=prefix + TRACKING_PATH)

    @bp.url_value_preprocessor
    def pull_project(_endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.mlflow_project = (values or {}).pop("project", None)

    @bp.before_request
    def identify() -> None:
        check_session_csrf(request_actor())

    for r in ROUTES:
        bp.add_url_rule(r.rule, endpoint=f"{r.view.__name__}_{'_'.join(m.lower() for m in r.methods)}",
                        view_func=r.view, methods=list(r.methods))

    @bp.route("/<mr_any_path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], merge_slashes=False)
    @catch_all
    def unknown(_rest: str):
        refuse_other_method()
        raise MlflowError("ENDPOINT_NOT_FOUND", f"No API endpoint {_rest} on this server", 404)

    register_error_handlers(bp)
    return bp
