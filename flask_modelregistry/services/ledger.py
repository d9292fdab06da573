"""The storage ledger: so the store never holds an object that no row accounts for.

The protocol every writer of the store follows (the artifact uploads, copies between runs, and
any other code that puts objects into the store, such as multipart uploads)::

    key = ledger.new_key(run_id)
    ledger.reserve([key], project=project, user_id=actor.user_id, hold=True)  # committed before any byte
    try:
        stored = store.write(key, stream)
    except BaseException:
        ledger.discard([key])                     # claims the row, deletes the object, then the row
        raise
    try:
        record(...)                               # a unit of work (services/unit_of_work.py):
            ...insert the Artifact row naming ``key``...
            ledger.complete([key])                # same transaction as the row
    except BaseException:
        ledger.discard([key])
        raise

and every delete::

    @unit_of_work
    def delete():
        keys = ...delete the Artifact rows, returning their storage keys...
        ledger.schedule_deletes(keys)             # same transaction as the deletion
        after_commit(lambda: ledger.delete_objects(keys))

A direct upload (the client sends the bytes to a GCS resumable session, see
:mod:`.direct_uploads`) also keeps its session's URI in its row (:func:`attach_session`): its
process holds no heartbeat while the client sends, so the sweeper asks the session how many bytes
it holds and takes the upload as abandoned only when none arrived for the grace period; it then
cancels the session (:func:`cancel_sessions`), so the client can send nothing more.

If the process dies anywhere in between, the ledger still names the key: the sweeper
(:mod:`.sweeper`) deletes objects whose upload row has had no heartbeat for the grace period,
and objects whose delete was committed. An object named by no row at all is an orphan.

While this process holds a reservation (``reserve(hold=True)``, until :func:`complete`,
:func:`discard` or :func:`release`), a heartbeat thread of the process refreshes it; work that
spans several requests (a multipart upload) calls :func:`heartbeat` or :func:`keep_alive` from
each of them instead.

Reservations, heartbeats and releases run on a connection of their own, in a short transaction
of their own, so they are committed at once and never wait for (or hold) the operation's locks.
Call them with no write transaction open on the session (on SQLite, a second writer waits for
the first).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import typing as t
import uuid

import sqlalchemy as sa
from flask import current_app

from ..config import config_value
from ..errors import StorageError
from ..state import current_state
from ..models import Artifact, PendingObject, utcnow
from .common import session, upsert

log = logging.getLogger(__name__)

#: the longest time between two heartbeats of a reservation this process holds, in seconds
HEARTBEAT_INTERVAL = 30.0


class Abandoned(StorageError):
    """The sweeper took an upload's reservation as abandoned (no heartbeat for the grace period):
    its object may be gone, so the upload must not be recorded."""


def new_key(run_id: str) -> str:
    """A fresh storage key for a file of run ``run_id``; never used before, never used again."""
    return f"runs/{run_id}/{uuid.uuid4().hex}"


def _engine() -> sa.Engine:
    return current_state().db.engine


def reserve(keys: t.Sequence[str], *, project: str | None = None, user_id: str | None = None,
            hold: bool = False) -> None:
    """Record ``keys`` as uploads in progress, committed before this returns.

    Call it before the first byte of each object is written. Until :func:`complete` (in the
    transaction that inserts the rows naming the objects) or :func:`discard`, the sweeper leaves
    these keys alone as long as their heartbeat is younger than the grace period
    (``MODEL_REGISTRY_STORAGE_GRACE_PERIOD``). With ``hold``, this process's heartbeat thread
    refreshes them until then (an upload done within one request); without, the caller keeps
    them alive with :func:`heartbeat` or :func:`keep_alive` (an upload spread over requests,
    which is abandoned when its client stops sending).
    """
    if not keys:
        return
    now = utcnow()
    rows = [{"storage_key": k, "purpose": "upload", "project": project, "created_by_id": user_id,
             "created_at": now, "heartbeat_at": now} for k in keys]
    with _engine().begin() as conn:
        conn.execute(sa.insert(PendingObject), rows)
    if hold:
        _heartbeats.add(keys)


def hold(keys: t.Sequence[str]) -> None:
    """Have this process's heartbeat thread refresh the reservations of ``keys`` (made without
    ``hold``) from now until :func:`complete`, :func:`discard` or :func:`release`."""
    if keys:
        _heartbeats.add(keys)


def attach_session(key: str, url: str) -> None:
    """Keep the resumable upload session ``url`` opened for ``key`` in its reservation (committed
    at once), so the sweeper can ask it how far the upload got and cancel it once abandoned."""
    with _engine().begin() as conn:
        conn.execute(sa.update(PendingObject).where(PendingObject.storage_key == key)
                     .values(upload_session=url, session_received=0))


def given_up(key: str) -> bool:
    """Whether the sweeper took the upload of ``key`` as abandoned and has yet to finish removing
    it (its row became a delete): the upload must not be recorded."""
    with _engine().connect() as conn:
        return conn.scalar(sa.select(PendingObject.purpose).where(PendingObject.storage_key == key)) == "delete"


def heartbeat(keys: t.Sequence[str]) -> int:
    """Mark uploads of ``keys`` as still alive (committed at once); returns how many are still
    reserved. A key the sweeper has taken as abandoned is not reserved any more: its upload
    will fail at :func:`complete`."""
    if not keys:
        return 0
    with _engine().begin() as conn:
        result = conn.execute(sa.update(PendingObject).where(
            PendingObject.storage_key.in_(list(keys)), PendingObject.purpose == "upload")
            .values(heartbeat_at=utcnow()))
        return result.rowcount


class _Heartbeats:
    """One daemon thread per process that refreshes the reservations of the uploads this process
    is writing, every third of the grace period (at most :data:`HEARTBEAT_INTERVAL`). The heartbeat
    says the process is alive, not that bytes are flowing: a stalled upload is ended by the
    server's timeouts, and its reservation goes stale once its process stops beating."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[str, t.Any] = {}  # key -> the app whose database holds its reservation
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.interval = HEARTBEAT_INTERVAL  # of the thread's current wait

    def add(self, keys: t.Sequence[str]) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        interval = _interval()
        with self.lock:
            for key in keys:
                self.active[key] = app
            if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self._run, name="model-registry-heartbeat", daemon=True)
                self.thread.start()
        if interval < self.interval:  # an app with a shorter grace period than the thread waits for
            self.wake.set()

    def remove(self, keys: t.Iterable[str]) -> None:
        with self.lock:
            for key in keys:
                self.active.pop(key, None)

    def _run(self) -> None:
        while True:
            with self.lock:
                by_app: dict[t.Any, list[str]] = {}
                for key, app in self.active.items():
                    by_app.setdefault(app, []).append(key)
            interval = HEARTBEAT_INTERVAL
            for app, keys in by_app.items():
                with app.app_context():
                    interval = min(interval, _interval())
                    try:
                        heartbeat(keys)
                    except Exception:  # the database is away for a moment: the grace period covers it
                        log.warning("could not refresh %d upload reservations", len(keys), exc_info=True)
            self.interval = max(interval, 0.05)
            self.wake.wait(self.interval)
            self.wake.clear()


_heartbeats = _Heartbeats()


def _interval() -> float:
    """Seconds between two heartbeats for the current app: a third of its grace period, at most
    :data:`HEARTBEAT_INTERVAL`."""
    return min(HEARTBEAT_INTERVAL, float(config_value("STORAGE_GRACE_PERIOD")) / 3)


class _KeepAlive:
    """A readable stream that heartbeats its upload's reservations while it is read."""

    def __init__(self, stream: t.BinaryIO, keys: t.Sequence[str], interval: float) -> None:
        self._stream = stream
        self._keys = list(keys)
        self._interval = interval
        self._last = time.monotonic()

    def _beat(self) -> None:
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            try:
                heartbeat(self._keys)
            except Exception:  # the database is away for a moment: the grace period covers it
                log.warning("could not refresh the reservation of %s", self._keys, exc_info=True)

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._beat()
        return data

    def readinto(self, buffer: t.Any) -> int:
        """As the stream's own ``readinto`` (none: ``read`` into ``buffer``), heartbeating alike."""
        readinto = getattr(self._stream, "readinto", None)
        if readinto is None:
            data = self._stream.read(len(buffer))
            got = len(data)
            buffer[:got] = data
        else:
            got = readinto(buffer)
        self._beat()
        return got

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._stream, name)


def keep_alive(stream: t.BinaryIO, key: str | t.Sequence[str], *,
               interval: float | None = None) -> t.BinaryIO:
    """Wrap ``stream`` so that reading it refreshes the heartbeat of ``key`` (or keys) every
    ``interval`` seconds (by default :data:`HEARTBEAT_INTERVAL`, or a third of the grace period
    when that is shorter), for reservations not held by this process (``reserve(hold=False)``)
    whose bytes arrive in several requests."""
    if interval is None:
        interval = _interval()
    keys = [key] if isinstance(key, str) else list(key)
    return t.cast(t.BinaryIO, _KeepAlive(stream, keys, interval))


def complete(keys: t.Sequence[str]) -> None:
    """Remove the reservations of ``keys`` in the current transaction: call it in the same
    transaction that inserts the rows naming these objects, so that at every instant one of
    the two names each object. Raises :class:`Abandoned` (and the transaction must roll back)
    when the sweeper took one of them as abandoned."""
    if not keys:
        return
    _heartbeats.remove(keys)
    result = session().execute(sa.delete(PendingObject).where(
        PendingObject.storage_key.in_(list(keys)), PendingObject.purpose == "upload")
        .execution_options(synchronize_session=False))
    if result.rowcount != len(set(keys)):
        raise Abandoned("the upload took too long and was given up; send it again")


def schedule_deletes(keys: t.Sequence[str]) -> None:
    """Record, in the current transaction, that the objects of ``keys`` are to be deleted: call
    it in the transaction that deletes the rows naming them, then :func:`delete_objects` after
    the commit. If the process dies in between, the sweeper deletes them."""
    if not keys:
        return
    now = utcnow()
    upsert(PendingObject, [{"storage_key": k, "purpose": "delete", "project": None, "created_by_id": None,
                            "created_at": now, "heartbeat_at": now} for k in dict.fromkeys(keys)],
           keys=("storage_key",), update=("purpose", "heartbeat_at"))


def release(keys: t.Sequence[str]) -> None:
    """Forget ``keys`` (committed at once): their objects are gone, or never were written."""
    if not keys:
        return
    _heartbeats.remove(keys)
    with _engine().begin() as conn:
        conn.execute(sa.delete(PendingObject).where(PendingObject.storage_key.in_(list(keys))))


def delete_objects(keys: t.Iterable[str]) -> None:
    """Delete the objects of ``keys`` from the store, then their ledger rows. An object that
    cannot be deleted now keeps its row, and the sweeper deletes it later; nothing is raised
    (the rows that named the objects are already gone)."""
    store = current_state().store
    done: list[str] = []
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.warning("could not delete stored object %s; the sweeper will", key, exc_info=True)
            continue
        done.append(key)
    try:
        release(done)
    except Exception:  # the sweeper finds the rows and deletes the (missing) objects again
        log.warning("could not release %d deleted objects from the ledger", len(done), exc_info=True)


#: GCS drops a resumable session this long after it was opened, cancelled or not
SESSION_LIFETIME = dt.timedelta(days=7)


def cancel_sessions(keys: t.Iterable[str]) -> dict[str, int | None]:
    """Cancel the resumable upload sessions recorded for ``keys`` (``DELETE`` on each session's
    URI, as GCS documents). Returns the keys that are settled, each with the status its
    cancellation answered (None: it had no session, or the session is past GCS's week and gone
    anyway); a key whose cancellation failed for now (GCS unreachable, 5xx) is left out, and its
    row kept, to be cancelled by a later sweep. Nothing is raised."""
    keys = list(dict.fromkeys(keys))
    store = current_state().store
    settled: dict[str, int | None] = dict.fromkeys(keys)
    if not keys or not hasattr(store, "cancel_upload_session"):
        return settled
    try:
        with _engine().connect() as conn:
            rows = conn.execute(sa.select(PendingObject.storage_key, PendingObject.upload_session,
                                          PendingObject.created_at).where(
                PendingObject.storage_key.in_(keys), PendingObject.upload_session.is_not(None))).all()
    except Exception:
        log.warning("could not read the upload sessions of %d keys", len(keys), exc_info=True)
        return settled  # their objects still go; a session left open can only make an orphan, swept later
    for row in rows:
        try:
            settled[row.storage_key] = store.cancel_upload_session(row.upload_session)
        except StorageError:
            if row.created_at < utcnow() - SESSION_LIFETIME:
                continue  # GCS has dropped it: settled, with no answer
            log.warning("could not cancel the upload session of %s; the sweeper will", row.storage_key, exc_info=True)
            del settled[row.storage_key]
    return settled


def claim(key: str, *, project: str | None = None, user_id: str | None = None) -> bool:
    """Reserve ``key`` for this process (held, as ``reserve(hold=True)``) unless a row already
    names it; True when this call took it. Two processes claiming one key at once: exactly one
    insert succeeds. The key names no object: it is the token of a step only one request may take
    at a time (completing a multipart upload), and :func:`release` ends it."""
    try:
        reserve([key], project=project, user_id=user_id, hold=True)
    except sa.exc.IntegrityError:
        return False
    return True


def _claim_uploads(keys: t.Sequence[str]) -> list[str]:
    """Turn the reservations of ``keys`` that no artifact row names into deletes (committed at
    once, keeping their upload sessions); returns the keys claimed. A key whose reservation is
    gone (completed, or taken by the sweeper or by another discard) is not claimed."""
    with _engine().begin() as conn:
        return list(conn.scalars(sa.update(PendingObject).where(
            PendingObject.storage_key.in_(list(keys)), PendingObject.purpose == "upload",
            ~sa.exists().where(Artifact.storage_key == PendingObject.storage_key))
            .values(purpose="delete", heartbeat_at=utcnow()).returning(PendingObject.storage_key)))


def discard(keys: t.Sequence[str]) -> None:
    """Give up uploads of ``keys`` that will not be recorded: claim their reservations (each
    becomes a delete), cancel their upload sessions, delete what was written, then the rows.
    Only objects whose reservation this call claimed are deleted: never one an artifact row
    names, nor one whose reservation another request completed or gave up. Nothing is raised (a
    session that cannot be cancelled now stays recorded, as a delete, for the sweeper)."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return
    _heartbeats.remove(keys)
    try:
        claimed = _claim_uploads(keys)
    except Exception:  # the database is away: the reservations go stale and the sweeper takes them
        log.warning("could not give up %d upload reservations; the sweeper will", len(keys), exc_info=True)
        return
    settled = cancel_sessions(claimed)
    delete_objects([k for k in claimed if k in settled])
