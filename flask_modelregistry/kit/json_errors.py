"""The JSON error shape, ``{"error": {"code", "message", "fields"}}``, of the JSON API and the
package API, registered per blueprint (never app-wide)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import RegistryError
from .failures import register_door, retry_headers

_HTTP_CODES = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "already_exists", 413: "too_large", 416: "range_not_satisfiable", 422: "invalid",
               503: "unavailable", 507: "insufficient_storage"}


def error_response(code: str, message: str, status: int, fields: dict | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="model registry", Basic realm="model registry"'
    return response


def register_json_errors(bp: Blueprint) -> None:
    """Render the domain and HTTP errors of ``bp`` in the JSON error shape."""

    @bp.errorhandler(RegistryError)
    def registry_error(exc: RegistryError):
        return error_response(exc.code, exc.message, exc.status, exc.fields, retry_headers(exc))

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k in ("Allow", "Retry-After")}
        return error_response(_HTTP_CODES.get(status, "error"), exc.description or exc.name, status, headers=headers)

    register_door(bp, registry_error)
