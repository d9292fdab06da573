"""Which database errors are transient failures (the server unreachable, or busy) rather than bugs,
for the doors' error handlers: a connection error anywhere (the access check, a page's read, a
write outside an operation) answers 503 with ``Retry-After``, whatever door it came through."""
from __future__ import annotations

import sqlalchemy as sa

#: what the doors' handlers catch; :func:`database_failure` says which of them are transient
DATABASE_ERRORS = sa.exc.SQLAlchemyError
#: SQLSTATEs of a server that is going away or refusing connections (class 08: connection exception)
_GONE = frozenset({"57P01", "57P02", "57P03", "53300"})
#: SQLSTATEs of a transaction that lost a race and may simply be tried again
_BUSY = frozenset({"40001", "40P01", "55P03"})
_SQLITE_GONE = frozenset({"SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_NOTADB"})
_SQLITE_BUSY = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})


def database_failure(exc: BaseException) -> str | None:
    """``"unreachable"``, ``"busy"``, or None when ``exc`` is no transient database failure. An
    error raised while handling one (a rollback on a dead connection, a session told to roll back
    first) is judged by the failure behind it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = _failure(current)
        if kind is not None:
            return kind
        current = current.__cause__ or current.__context__
    return None


def _failure(exc: BaseException) -> str | None:
    if isinstance(exc, sa.exc.TimeoutError):  # every pooled connection in use
        return "busy"
    if isinstance(exc, sa.exc.PendingRollbackError):  # the transaction's connection failed earlier
        return "unreachable"
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    if exc.connection_invalidated:
        return "unreachable"
    if not isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return None
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state:
        if state.startswith("08") or state in _GONE:
            return "unreachable"
        return "busy" if state in _BUSY else None
    sqlite_name = getattr(orig, "sqlite_errorname", None)
    if sqlite_name is not None:
        if sqlite_name in _SQLITE_BUSY:
            return "busy"
        return "unreachable" if sqlite_name in _SQLITE_GONE else None
    # a driver error without SQLSTATE: the client side failed to connect or lost the connection
    return "unreachable"
