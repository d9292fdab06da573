"""The JSON API v1 blueprint, built per app from the route table."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from ..auth import check_session_csrf, request_actor
from ..errors import NotFound, RegistryError
from . import views  # noqa: F401  (fills the route table)
from . import compare_views  # noqa: F401  (comparison, evolution, lineage routes)
from .openapi import build_spec
from .routing import ROUTES

_HTTP_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "already_exists", 413: "too_large", 416: "range_not_satisfiable", 422: "invalid"}


def error_response(code: str, message: str, status: int, fields: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="model registry", Basic realm="model registry"'
    return response


def create_api_blueprint(app: Flask, prefix: str) -> Blueprint:
    bp = Blueprint("model_registry_api", __name__, url_prefix=f"{prefix}/api/v1")

    @bp.before_request
    def identify() -> None:
        if request.endpoint == "model_registry_api.openapi":
            return
        check_session_csrf(request_actor())

    for r in ROUTES:
        bp.add_url_rule(r.rule, endpoint=r.view.__name__ + "_" + r.method.lower(), view_func=r.view,
                        methods=[r.method] + (["HEAD"] if r.method == "GET" else []))

    @bp.route("/openapi.json")
    def openapi():
        return jsonify(build_spec(prefix))

    @bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown(_rest: str):
        raise NotFound("no such API endpoint")

    register_json_errors(bp)
    return bp


def register_json_errors(bp: Blueprint) -> None:
    """Render the domain and HTTP errors of ``bp`` in the JSON API's shape (the package API too)."""

    @bp.errorhandler(RegistryError)
    def registry_error(exc: RegistryError):
        return error_response(exc.code, exc.message, exc.status, exc.fields)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        return error_response(_HTTP_CODES.get(status, "error"), exc.description or exc.name, status)
