"""The storage sweeper: removes what uploads and deletes left in the store when their process died.

With the ledger (:mod:`.ledger`), every object is named by an artifact row or a ledger row, so:

- a ledger ``delete`` row names an object whose row was deleted: the object goes;
- a ledger ``upload`` row whose heartbeat is older than the grace period names an upload that
  died: its row is claimed (deleted on that condition, so a live upload that refreshed it in the
  meantime keeps it) and then its object, if any, goes. The upload, if it was alive after all,
  fails at :func:`.ledger.complete` and removes its own object;
- a direct upload's row (it names the GCS resumable session the client sends to) is abandoned
  only when the session received no byte for the grace period: the sweeper asks the session
  how many bytes it holds (GCS's status query), and more than last time refreshes the row's
  heartbeat instead (a multipart upload sending its parts straight to the bucket likewise lives
  while a part object arrived within the grace period). An abandoned one's session is
  cancelled (``DELETE`` on its URI, as GCS documents) before its object goes, so the client can send nothing more; a cancellation GCS
  cannot take now (unreachable, 5xx) keeps the row, as a delete, for the next sweep;
- an object older than the grace period that no row names is an orphan and goes (objects left
  by older versions of the registry, or by a process that died while deleting);
- partial writes the store keeps (``.incoming/*.part`` of the local folder) untouched for the
  grace period go, unless the upload writing them is alive (its reservation's heartbeat is fresh:
  a partial write's name carries a tag of its key).

One sweeper at a time works on a store, across workers and hosts: it holds a lease row in
``mr_storage_leases`` (claimed with one conditional UPDATE, renewed while it works, taken over
when it expires). Deleting twice is harmless, so a lease that expires under a slow sweeper only
costs repeated work.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import os
import re
import socket
import threading
import typing as t
import uuid

import sqlalchemy as sa

from ..config import config_value
from ..errors import StorageError
from ..state import current_state
from ..models import Artifact, PendingObject, StorageLease, utcnow
from ..storage import ArtifactStore, ListedObject, partial_tag

log = logging.getLogger(__name__)

#: keys looked up per statement
BATCH = 500
#: how long a sweeper's claim on a store lasts without renewal, in seconds
LEASE_SECONDS = 300


@dataclasses.dataclass
class SweepReport:
    """What one sweep did; ``skipped`` when another process holds the store's lease."""

    skipped: bool = False
    deleted: list[str] = dataclasses.field(default_factory=list)  #: ledger delete rows carried out
    abandoned: list[str] = dataclasses.field(default_factory=list)  #: uploads given up
    orphans: list[str] = dataclasses.field(default_factory=list)  #: objects no row named
    partial: list[str] = dataclasses.field(default_factory=list)  #: partial writes removed
    #: upload sessions cancelled: key -> the status the cancellation answered (GCS: 499)
    cancelled: dict[str, int | None] = dataclasses.field(default_factory=dict)
    #: direct uploads whose session received bytes since the last sweep: kept
    sending: list[str] = dataclasses.field(default_factory=list)
    #: reservations of multipart uploads a part of which reached the bucket within the grace period: kept
    arriving: list[str] = dataclasses.field(default_factory=list)

    def lines(self) -> list[str]:
        if self.skipped:
            return ["Another sweeper is working on this store; nothing done"]
        out = [f"Cancelled the upload session of {k} (answered {status})" for k, status in self.cancelled.items()
               if status is not None]
        out += [f"Deleted {k} (its row was deleted)" for k in self.deleted]
        out += [f"Deleted {k} (abandoned upload)" for k in self.abandoned]
        out += [f"Deleted {k} (no row names it)" for k in self.orphans]
        out += [f"Deleted {k} (abandoned partial write)" for k in self.partial]
        out += [f"Kept {k} (its upload session received bytes since the last sweep)" for k in self.sending]
        out += [f"Kept {k} (a part of its multipart upload arrived within the grace period)" for k in self.arriving]
        return out or ["Nothing to sweep"]


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing wrong between the store and the database."""

    kind: str  #: ``orphan``, ``missing``, ``abandoned``, ``session``, ``undeleted`` or ``partial``
    key: str
    detail: str = ""

    def line(self) -> str:
        text = {"orphan": "object without a row", "missing": "row without an object",
                "abandoned": "abandoned upload", "session": "abandoned upload session",
                "undeleted": "object whose delete did not finish",
                "partial": "abandoned partial write"}[self.kind]
        return f"{text}: {self.key}" + (f" ({self.detail})" if self.detail else "")


def grace_period() -> dt.timedelta:
    return dt.timedelta(seconds=float(config_value("STORAGE_GRACE_PERIOD")))


def _engine() -> sa.Engine:
    return current_state().db.engine


def _lease_name(store: ArtifactStore) -> str:
    where = store.describe()
    if store.kind == "local":  # one folder per host: each host sweeps its own
        where = f"{socket.gethostname()} {where}"
    return "sweep " + hashlib.sha256(where.encode()).hexdigest()[:32]


class _Lease:
    """The claim of one sweeper on one store (a row of ``mr_storage_leases``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:255]

    def claim(self) -> bool:
        """Take the lease if it is free or expired (or renew it if held); True when held."""
        now = utcnow()
        with _engine().begin() as conn:
            exists = conn.execute(sa.select(StorageLease.name).where(StorageLease.name == self.name)).first()
            if exists is None:
                _insert_lease(conn, self.name, now)
        with _engine().begin() as conn:
            result = conn.execute(sa.update(StorageLease).where(
                StorageLease.name == self.name,
                sa.or_(StorageLease.expires_at < now, StorageLease.holder == self.holder))
                .values(holder=self.holder, expires_at=now + dt.timedelta(seconds=LEASE_SECONDS)))
            return result.rowcount == 1

    def renew(self) -> None:
        if not self.claim():
            log.warning("the storage sweep's lease %s was taken over; another sweeper carries on", self.name)

    def release(self) -> None:
        with _engine().begin() as conn:
            conn.execute(sa.update(StorageLease).where(
                StorageLease.name == self.name, StorageLease.holder == self.holder)
                .values(expires_at=utcnow() - dt.timedelta(seconds=1)))


def _insert_lease(conn: sa.Connection, name: str, now: dt.datetime) -> None:
    """The lease row, inserted once; two processes inserting it at once both go on."""
    dialect = conn.dialect.name
    row = {"name": name, "holder": "", "expires_at": now - dt.timedelta(seconds=1)}
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        conn.execute(insert(StorageLease).values(row).on_conflict_do_nothing(index_elements=["name"]))
    else:  # pragma: no cover - other databases
        conn.execute(sa.insert(StorageLease).values(row))


def _batches(items: t.Iterable[ListedObject]) -> t.Iterator[list[ListedObject]]:
    batch: list[ListedObject] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _known_keys(conn: sa.Connection, keys: list[str]) -> set[str]:
    """The keys an artifact row or a ledger row names, read in one statement (one snapshot: an
    upload that moves its key from the ledger to its row meanwhile is seen in one or the other)."""
    stmt = sa.union_all(sa.select(Artifact.storage_key).where(Artifact.storage_key.in_(keys)),
                        sa.select(PendingObject.storage_key).where(PendingObject.storage_key.in_(keys)))
    return set(conn.scalars(stmt))


def _live_upload_tags(cutoff: dt.datetime) -> set[str]:
    """The partial-write tags of uploads whose heartbeat is younger than ``cutoff``."""
    with _engine().connect() as conn:
        keys = conn.scalars(sa.select(PendingObject.storage_key).where(
            PendingObject.purpose == "upload", PendingObject.heartbeat_at >= cutoff))
        return {partial_tag(k) for k in keys}


def _session_progress(store: ArtifactStore, key: str, url: str) -> int | None:
    """The bytes the upload session of ``key`` holds (see ``GCSArtifactStore.upload_session_progress``),
    the object's size once finalised, None when the session is gone and left no object. A session
    GCS no longer knows may have been finalised (the emulator forgets those): the object tells."""
    received = store.upload_session_progress(url)  # type: ignore[attr-defined]
    if received is None:
        held = store.stat(key)  # type: ignore[attr-defined]
        received = None if held is None else held[0]
    return received


def _still_sending(store: ArtifactStore, row: t.Any, cutoff: dt.datetime) -> bool:
    """Whether the direct upload of ``row`` received bytes since the sweeper last asked; if so,
    its heartbeat is refreshed with the count. When the session cannot say now, the upload is
    given the benefit of the doubt until the next sweep."""
    if not hasattr(store, "upload_session_progress"):
        return False
    try:
        received = _session_progress(store, row.storage_key, row.upload_session)
    except StorageError:
        log.warning("could not ask the upload session of %s where it stands", row.storage_key, exc_info=True)
        return True
    if received is None or received <= (row.session_received or 0):
        return False
    with _engine().begin() as conn:
        conn.execute(sa.update(PendingObject).where(
            PendingObject.storage_key == row.storage_key, PendingObject.purpose == "upload",
            PendingObject.heartbeat_at < cutoff).values(heartbeat_at=utcnow(), session_received=received))
    return True


_PART_KEY = re.compile(r"multipart/([0-9a-z]+)/[0-9]{5}")


def _parts_arriving(store: ArtifactStore, stale: t.Sequence[t.Any], cutoff: dt.datetime) -> set[str]:
    """The stale reservations of multipart uploads (GCS: one object per part, under
    ``multipart/<id>/``) of which a part object arrived within the grace period: a client
    sending parts straight to the bucket holds no heartbeat, so new parts are its sign of life.
    Their heartbeat (and the file's, whose key ends with the upload's id) is refreshed. When the
    bucket cannot be listed now, the uploads are given the benefit of the doubt until the next
    sweep."""
    uploads: dict[str, set[str]] = {}
    for row in stale:
        match = _PART_KEY.fullmatch(row.storage_key)
        if match:
            uploads.setdefault(match[1], set()).add(row.storage_key)
    kept: set[str] = set()
    for upload, keys in uploads.items():
        keys |= {r.storage_key for r in stale if not r.storage_key.startswith("multipart/")
                 and r.storage_key.rpartition("/")[2] == upload}
        try:
            arrived = any(o.modified >= cutoff for o in store.list_objects(f"multipart/{upload}/"))
        except Exception:
            log.warning("could not list the parts of multipart upload %s", upload, exc_info=True)
            arrived = True
        if not arrived:
            continue
        with _engine().begin() as conn:
            conn.execute(sa.update(PendingObject).where(
                PendingObject.storage_key.in_(sorted(keys)), PendingObject.purpose == "upload",
                PendingObject.heartbeat_at < cutoff).values(heartbeat_at=utcnow()))
        kept |= keys
    return kept


def _finish_deletes(keys: list[str], report: SweepReport, done: list[str]) -> None:
    """Cancel the upload sessions of ``keys`` (delete rows), then delete their objects and rows;
    a key whose session cannot be cancelled now stays for the next sweep."""
    from . import ledger

    settled = ledger.cancel_sessions(keys)
    report.cancelled.update({k: status for k, status in settled.items() if status is not None})
    gone = [k for k in keys if k in settled]
    ledger.delete_objects(gone)
    done += gone


def sweep(*, grace: dt.timedelta | None = None) -> SweepReport:
    """Remove what dead uploads and deletes left in the store (see the module's docstring).
    Returns what was done; does nothing when another process is sweeping the same store."""
    store = current_state().store
    grace = grace_period() if grace is None else grace
    lease = _Lease(_lease_name(store))
    report = SweepReport()
    if not lease.claim():
        report.skipped = True
        return report
    try:
        cutoff = utcnow() - grace
        # 1. deletes that were committed but whose objects may still be there (and upload
        #    sessions still to cancel)
        with _engine().connect() as conn:
            doomed = list(conn.scalars(sa.select(PendingObject.storage_key).where(PendingObject.purpose == "delete")))
        for i in range(0, len(doomed), BATCH):
            _finish_deletes(doomed[i:i + BATCH], report, report.deleted)
            lease.renew()
        # 2. uploads with no heartbeat for the grace period (direct uploads: no byte received
        #    either): claim the row (it becomes a delete), cancel the session, remove the object
        with _engine().connect() as conn:
            stale = conn.execute(sa.select(PendingObject.storage_key, PendingObject.upload_session,
                                           PendingObject.session_received).where(
                PendingObject.purpose == "upload", PendingObject.heartbeat_at < cutoff)).all()
        arriving = _parts_arriving(store, stale, cutoff)
        for row in stale:
            if row.storage_key in arriving:
                report.arriving.append(row.storage_key)
                continue
            if row.upload_session is not None and _still_sending(store, row, cutoff):
                report.sending.append(row.storage_key)
                continue
            with _engine().begin() as conn:
                claimed = conn.execute(sa.update(PendingObject).where(
                    PendingObject.storage_key == row.storage_key, PendingObject.purpose == "upload",
                    PendingObject.heartbeat_at < cutoff).values(purpose="delete", heartbeat_at=utcnow())).rowcount
            if claimed:
                _finish_deletes([row.storage_key], report, report.abandoned)
        lease.renew()
        # 3. objects no row names, older than the grace period
        for batch in _batches(o for o in store.list_objects() if o.modified < cutoff):
            with _engine().connect() as conn:
                known = _known_keys(conn, [o.key for o in batch])
            for obj in batch:
                if obj.key not in known:
                    store.delete(obj.key)
                    report.orphans.append(obj.key)
            lease.renew()
        # 4. partial writes untouched for the grace period, of no upload that is still alive
        alive = _live_upload_tags(cutoff)
        for part in store.list_partial():
            if part.modified < cutoff and part.owner not in alive:
                store.delete_partial(part.key)
                report.partial.append(part.key)
    finally:
        lease.release()
    if report.deleted or report.abandoned or report.orphans or report.partial or report.cancelled:
        log.info("storage sweep: %s", "; ".join(report.lines()))
    return report


def check(*, grace: dt.timedelta | None = None) -> list[Finding]:
    """Compare the store with the database: objects no row names, rows whose object is missing,
    uploads and deletes the sweeper has yet to finish, old partial writes. In-flight uploads
    (a ledger row with a fresh heartbeat) are not findings."""
    store = current_state().store
    grace = grace_period() if grace is None else grace
    cutoff = utcnow() - grace
    with _engine().connect() as conn:  # the rows first: any object they name was written before
        artifacts = {r.storage_key: r for r in conn.execute(
            sa.select(Artifact.storage_key, Artifact.run_id, Artifact.path))}
        pending = {r.storage_key: r for r in conn.execute(
            sa.select(PendingObject.storage_key, PendingObject.purpose, PendingObject.heartbeat_at,
                      PendingObject.upload_session, PendingObject.session_received))}
    findings: list[Finding] = []
    listed: set[str] = set()
    unknown: list[ListedObject] = []
    for obj in store.list_objects():
        listed.add(obj.key)
        if obj.key not in artifacts and obj.key not in pending:
            unknown.append(obj)
    for batch in _batches(unknown):  # uploaded since the rows were read: not a finding
        with _engine().connect() as conn:
            known = _known_keys(conn, [o.key for o in batch])
        findings += [Finding("orphan", o.key, f"{o.size} bytes, written {o.modified:%Y-%m-%d %H:%M:%S} UTC")
                     for o in batch if o.key not in known]
    for key, row in pending.items():
        if row.purpose == "delete" and row.heartbeat_at < cutoff:
            findings.append(Finding("undeleted", key, "its upload session is still to cancel"
                                    if row.upload_session is not None else ""))
        elif row.purpose == "upload" and row.heartbeat_at < cutoff and row.upload_session is not None:
            finding = _session_finding(store, key, row)
            if finding is not None:
                findings.append(finding)
        elif row.purpose == "upload" and row.heartbeat_at < cutoff:
            findings.append(Finding("abandoned", key, f"last heartbeat {row.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"))
    missing = [key for key in artifacts if key not in listed]
    for i in range(0, len(missing), BATCH):
        with _engine().connect() as conn:  # deleted since they were read: not a finding
            still = set(conn.scalars(sa.select(Artifact.storage_key).where(
                Artifact.storage_key.in_(missing[i:i + BATCH]))))
        for key in missing[i:i + BATCH]:
            if key in still and not store.exists(key):
                row = artifacts[key]
                findings.append(Finding("missing", key, f"run {row.run_id}, path {row.path}"))
    alive = _live_upload_tags(cutoff)
    for part in store.list_partial():
        if part.modified < cutoff and part.owner not in alive:
            findings.append(Finding("partial", part.key, f"{part.size} bytes"))
    return findings


def _session_finding(store: ArtifactStore, key: str, row: t.Any) -> Finding | None:
    """A direct upload past its heartbeat: abandoned unless its session received bytes since the
    sweeper last asked (then still sending: no finding)."""
    when = f"last heartbeat {row.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
    if not hasattr(store, "upload_session_progress"):
        return Finding("session", key, when)
    try:
        received = _session_progress(store, key, row.upload_session)
    except StorageError as exc:
        return Finding("session", key, f"{when}; the session cannot say where it stands: {exc}")
    if received is not None and received > (row.session_received or 0):
        return None
    held = "the session is gone" if received is None else f"{received} bytes received"
    return Finding("session", key, f"{when}, {held}")


# -- the sweeper of each process -----------------------------------------------------------

class BackgroundSweeper:
    """A daemon thread per process that sweeps at start and then every ``SWEEP_INTERVAL``
    seconds. The lease makes one of them work at a time; the others find it held and wait for
    their next turn."""

    def __init__(self, app: t.Any, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.pid = os.getpid()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="model-registry-sweeper", daemon=True)

    def start(self) -> BackgroundSweeper:
        self.thread.start()
        return self

    def _run(self) -> None:
        import random

        self.stop.wait(random.uniform(0, min(self.interval, 5.0)))  # workers started together spread out
        while not self.stop.is_set():
            try:
                with self.app.app_context():
                    sweep()
            except Exception:
                log.exception("the storage sweep failed; it runs again in %s s", self.interval)
            self.stop.wait(self.interval * random.uniform(0.9, 1.1))


_lock = threading.Lock()


def ensure_background_sweeper(app: t.Any) -> BackgroundSweeper | None:
    """Start this process's sweeper for ``app`` unless one runs (a forked worker starts its own)."""
    interval = float(app.config.get("MODEL_REGISTRY_SWEEP_INTERVAL") or 0)
    if interval <= 0 or app.testing:
        return None
    state = app.extensions["model_registry"]
    current = state.sweeper
    if current is not None and current.pid == os.getpid():
        return current
    with _lock:
        if state.sweeper is None or state.sweeper.pid != os.getpid():
            state.sweeper = BackgroundSweeper(app, interval).start()
    return state.sweeper
