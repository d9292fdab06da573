"""One unit of work per service operation: one transaction, committed once, errors mapped once.

A service operation that writes is decorated with :func:`unit_of_work`. On entry it takes the
write lock where the database has no row locks (SQLite: ``BEGIN IMMEDIATE``), runs the
operation, and commits once at the end; any error rolls everything back. Database errors become
domain errors here and nowhere else:

* a unique violation means a concurrent writer inserted the same key: the operation runs again
  on a fresh view, where its own checks raise the precise ``AlreadyExists`` (or an upsert simply
  succeeds); one that persists is an ``AlreadyExists``;
* a foreign-key violation, a row deleted under the operation (``StaleDataError``,
  ``ObjectDeletedError``): ``NotFound``;
* a deadlock, a serialization failure, a lock timeout, SQLite's "database is locked" or a
  dropped connection: the whole operation runs again, a bounded number of times with a short
  random pause, then ``Unavailable`` (503 with ``Retry-After``).

Because an operation may run more than once, it is a callable, not a ``with`` block, and what it
does outside the database is registered with :func:`after_commit` (delete replaced files, wake a
deliverer) or :func:`on_rollback` (delete files written for an attempt that did not commit).
Operations called from inside another join it: only the outermost commits.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import random
import time
import typing as t

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from ..errors import AlreadyExists, NotFound, Unavailable
from ..state import current_state

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: runs of one operation when the database asks to try again (deadlock, lock timeout, busy)
ATTEMPTS = 4
#: runs of one operation that keeps meeting a unique violation (each means a concurrent insert)
CONFLICT_ATTEMPTS = 3
#: what ``Retry-After`` says once the attempts are spent
RETRY_AFTER_SECONDS = 1
_KEY = "model_registry.unit_of_work"
_RETRY_STATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


class SessionNotClean(RuntimeError):
    """An operation was started on a session holding changes no unit of work made."""


@dataclasses.dataclass
class _Work:
    after_commit: list[t.Callable[[], t.Any]] = dataclasses.field(default_factory=list)
    on_rollback: list[t.Callable[[], t.Any]] = dataclasses.field(default_factory=list)


def _session():
    """The request's own session (not the scoped proxy: its ``expire_on_commit`` is set here)."""
    return current_state().db.session()


def in_unit_of_work() -> bool:
    return _KEY in _session().info


def after_commit(callback: t.Callable[[], t.Any]) -> None:
    """Run ``callback`` once the operation has committed (now, outside any operation)."""
    work = _session().info.get(_KEY)
    if work is None:
        callback()
    else:
        work.after_commit.append(callback)


def on_rollback(callback: t.Callable[[], t.Any]) -> None:
    """Run ``callback`` if this attempt of the operation rolls back (before it runs again)."""
    work = _session().info.get(_KEY)
    if work is not None:
        work.on_rollback.append(callback)


def lock_row(entity: t.Any, row_id: t.Any, message: str = "not found", *, shared: bool = False) -> None:
    """Lock one row until the operation commits (``SELECT ... FOR UPDATE``; SQLite holds the
    database's write lock already), so writes that replace what belongs to it queue up and the
    last one's body is what stays. ``shared`` (``FOR KEY SHARE``) only keeps the row from being
    deleted, for writes that add to it and need not wait for each other. ``NotFound`` if the row
    is gone (deleted by an operation that committed first)."""
    mapper = sa.inspect(entity)
    pk = mapper.primary_key[0]
    lock = {"read": True, "key_share": True} if shared else {}
    found = _session().execute(sa.select(pk).where(pk == row_id).with_for_update(**lock)).first()
    if found is None:
        raise NotFound(message)


def _begin(s: t.Any) -> None:
    """Take SQLite's write lock now: a deferred transaction that reads and then writes fails at
    once ("database is locked") when another writer committed in between; ``BEGIN IMMEDIATE``
    waits for the lock (``busy_timeout``) instead. Other databases lock rows as they go."""
    from ..models import RegisteredModel

    conn = s.connection(bind_arguments={"mapper": sa.inspect(RegisteredModel)})
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if not getattr(raw, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _kind(exc: BaseException) -> str | None:
    """How an error raised inside an operation is answered: "retry", "conflict", "gone",
    "unavailable", or None (not the database's: raised as it is)."""
    if isinstance(exc, (StaleDataError, ObjectDeletedError)):
        return "gone"
    if not isinstance(exc, DBAPIError):
        return None
    state = _sqlstate(exc)
    text = str(getattr(exc, "orig", exc)).lower()
    if state in _RETRY_STATES or exc.connection_invalidated:
        return "retry"
    if "database is locked" in text or "database table is locked" in text:
        return "retry"
    if isinstance(exc, IntegrityError):
        if state == "23505" or (state is None and "unique constraint failed" in text):
            return "conflict"
        if state == "23503" or (state is None and "foreign key constraint failed" in text):
            return "gone"
        return None
    if isinstance(exc, OperationalError):
        return "unavailable"
    return None


def _pause(attempt: int) -> None:
    time.sleep(min(0.05 * 2 ** attempt, 0.5) * random.uniform(0.5, 1.5))


def _rolled_back(s: t.Any, work: _Work) -> None:
    try:
        s.rollback()
    finally:
        for callback in work.on_rollback:
            try:
                callback()
            except Exception:  # cleaning up must not hide the error that caused it
                logging.getLogger(__name__).exception("cleaning up after a rolled back operation failed")


def unit_of_work(fn: F) -> F:
    """Make ``fn`` one unit of work (see the module's docstring)."""

    @functools.wraps(fn)
    def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
        s = _session()
        if _KEY in s.info:
            return fn(*args, **kwargs)  # part of the operation that called it
        if s.new or s.dirty or s.deleted:
            raise SessionNotClean(f"{fn.__qualname__} started on a session holding changes of its own: "
                                  f"{[type(o).__name__ for o in (*s.new, *s.dirty, *s.deleted)]}")
        retries = conflicts = 0
        while True:
            work = _Work()
            s.info[_KEY] = work
            try:
                _begin(s)
                result = fn(*args, **kwargs)
                _commit(s)
            except BaseException as exc:
                s.info.pop(_KEY, None)
                _rolled_back(s, work)
                kind = _kind(exc)
                if kind == "retry" and retries + 1 < ATTEMPTS:
                    _pause(retries)
                    retries += 1
                    continue
                if kind == "conflict" and conflicts + 1 < CONFLICT_ATTEMPTS:
                    conflicts += 1
                    continue
                if kind in ("retry", "unavailable"):
                    raise Unavailable("the database is busy; try again",
                                      retry_after=RETRY_AFTER_SECONDS) from exc
                if kind == "conflict":
                    raise AlreadyExists("it already exists (created at the same time by another request)") from exc
                if kind == "gone":
                    raise NotFound("not found: it was deleted while this request changed it") from exc
                raise
            s.info.pop(_KEY, None)
            for callback in work.after_commit:
                callback()
            return result

    return t.cast(F, run)


def _commit(s: t.Any) -> None:
    """Commit without expiring what the operation loaded: the objects it returns are rendered
    as committed, with no query per attribute and no error if another request deletes them next."""
    keep = s.expire_on_commit
    s.expire_on_commit = False
    try:
        s.commit()
    finally:
        s.expire_on_commit = keep
