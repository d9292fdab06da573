"""Errors in MLflow's shape, ``{"error_code", "message"}``, with the statuses MLflow's server uses.

The domain errors of the service layer map onto MLflow's codes here, in one place. The client
retries 408, 429 and 5xx answers for minutes, so a client's mistake must never come back as
one of those; only a store that is really unavailable answers 503.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException

from ..errors import (AlreadyExists, BadRequest, Forbidden, InsufficientStorage, Invalid, NotFound, RegistryError,
                      StorageError, TooLarge, Unauthenticated, Unavailable)
from ..kit.failures import register_door, retry_headers

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"

#: domain error -> (MLflow error code, HTTP status)
DOMAIN_CODES: tuple[tuple[type[RegistryError], str, int], ...] = (
    (BadRequest, INVALID_PARAMETER_VALUE, 400),
    (Invalid, INVALID_PARAMETER_VALUE, 400),
    (Unauthenticated, "UNAUTHENTICATED", 401),
    (Forbidden, "PERMISSION_DENIED", 403),
    (NotFound, "RESOURCE_DOES_NOT_EXIST", 404),
    (AlreadyExists, "RESOURCE_ALREADY_EXISTS", 400),
    (TooLarge, INVALID_PARAMETER_VALUE, 413),
    (StorageError, "TEMPORARILY_UNAVAILABLE", 503),
    (Unavailable, "TEMPORARILY_UNAVAILABLE", 503),
    # MLflow has no code of its own for a full disk; its client does not retry a 507
    (InsufficientStorage, "RESOURCE_EXHAUSTED", 507),
)


class MlflowError(Exception):
    """An answer the protocol itself prescribes (``NOT_IMPLEMENTED``, ``ENDPOINT_NOT_FOUND``)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"error_code": code, "message": message})
    response.status_code = status
    response.headers.update(headers or {})
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="model registry", Basic realm="model registry"'
    return response


def code_of(exc: RegistryError) -> tuple[str, int]:
    for kind, code, status in DOMAIN_CODES:
        if isinstance(exc, kind):
            return code, status
    return INVALID_PARAMETER_VALUE, 400


def _message(exc: RegistryError) -> str:
    if exc.mlflow_message:
        return exc.mlflow_message
    if not exc.fields:
        return exc.message
    details = "; ".join(f"{field}: {text}" for field, text in exc.fields.items())
    return f"{exc.message} ({details})"


def register_error_handlers(bp: Blueprint) -> None:
    @bp.errorhandler(RegistryError)
    def registry_error(exc: RegistryError) -> Response:
        code, status = code_of(exc)
        return error_response(code, _message(exc), status, retry_headers(exc))

    @bp.errorhandler(MlflowError)
    def mlflow_error(exc: MlflowError) -> Response:
        return error_response(exc.code, exc.message, exc.status)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status in (404, 405):
            allow = {k: v for k, v in exc.get_headers() if k == "Allow"}
            return error_response("ENDPOINT_NOT_FOUND", exc.description or exc.name, status, allow)
        if status == 413:
            return error_response(INVALID_PARAMETER_VALUE, "the request body is larger than the limit", 413)
        if status < 500:
            return error_response(INVALID_PARAMETER_VALUE, exc.description or exc.name, 400 if status != 416 else 416)
        return error_response("INTERNAL_ERROR", exc.description or exc.name, status)

    register_door(bp, registry_error)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        current_app.logger.exception("MLflow API request failed")
        return error_response("INTERNAL_ERROR", "the server failed to answer this request", 500)
