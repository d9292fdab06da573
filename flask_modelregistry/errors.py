"""Domain errors raised by the service layer.

Each front door (pages, JSON API, MLflow API, package API) registers its own handlers
that render these in its own shape, so a rule raises one error and every client sees it
in the form it understands.
"""
from __future__ import annotations

import typing as t


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    code = "error"
    status = 400
    #: seconds a client should wait before trying again (sent as ``Retry-After``), None for never
    retry_after: int | None = None

    def __init__(self, message: str, *, fields: t.Mapping[str, str] | None = None,
                 mlflow_message: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})
        #: the message MLflow's own server gives for this error, where it has one: clients match on it
        self.mlflow_message = mlflow_message


class BadRequest(RegistryError):
    """The request itself is malformed: bad JSON, a hostile path, a bad header."""

    code = "invalid"
    status = 400


class Invalid(RegistryError):
    """A field failed validation; ``fields`` says which and why."""

    code = "invalid"
    status = 422


class Unauthenticated(RegistryError):
    code = "unauthenticated"
    status = 401


class Forbidden(RegistryError):
    code = "forbidden"
    status = 403


class NotFound(RegistryError):
    code = "not_found"
    status = 404


class AlreadyExists(RegistryError):
    code = "already_exists"
    status = 409


class TooLarge(RegistryError):
    code = "too_large"
    status = 413


class StorageError(RegistryError):
    """The artifact store failed; nothing was kept."""

    code = "storage_unavailable"
    status = 503
    retry_after = 5


class Unavailable(RegistryError):
    """The database could not complete the operation now (busy, deadlocked); nothing was kept.
    ``retry_after`` is the number of seconds a client should wait before trying again."""

    code = "unavailable"
    status = 503

    def __init__(self, message: str, *, retry_after: int = 1, fields: t.Mapping[str, str] | None = None) -> None:
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class InsufficientStorage(RegistryError):
    """The artifact store has no space left (the disk is full, a quota is reached); nothing was kept."""

    code = "insufficient_storage"
    status = 507
