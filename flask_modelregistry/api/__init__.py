"""The JSON API v1 blueprint, built per app from the route table."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from ..errors import NotFound
from ..kit.auth import check_session_csrf, request_actor
from ..kit.failures import AnyPathConverter, catch_all, refuse_other_method
from ..kit.json_errors import register_json_errors
from . import views  # noqa: F401  (fills the route table)
from . import compare_views  # noqa: F401  (comparison, evolution, lineage routes)
from . import webhook_views  # noqa: F401  (webhooks and their delivery logs)
from .openapi import build_spec
from .routing import ROUTES


def create_api_blueprint(app: Flask, prefix: str) -> Blueprint:
    app.url_map.converters.setdefault("mr_any_path", AnyPathConverter)
    bp = Blueprint("model_registry_api", __name__, url_prefix=f"{prefix}/api/v1")

    @bp.before_request
    def identify() -> None:
        if request.endpoint == "model_registry_api.openapi":
            return
        check_session_csrf(request_actor())

    for r in ROUTES:
        bp.add_url_rule(r.rule, endpoint=r.endpoint, view_func=r.handle,
                        methods=[r.method] + (["HEAD"] if r.method == "GET" else []))

    @bp.route("/openapi.json")
    def openapi():
        return jsonify(build_spec(prefix))

    @bp.route("/", defaults={"_rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"], strict_slashes=False)
    @bp.route("/<mr_any_path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], merge_slashes=False)
    @catch_all
    def unknown(_rest: str):
        """Every other path under the API prefix: 405 when the path takes other methods, else 404."""
        refuse_other_method()
        raise NotFound("no such API endpoint")

    register_json_errors(bp)
    return bp

