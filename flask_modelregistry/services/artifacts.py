"""A run's (and so a version's) files: streamed in, streamed out, never half kept.

An upload reserves a fresh storage key in the ledger (:mod:`.ledger`) before its first byte is
written; the row naming it is inserted only after the bytes are safely stored, in the transaction
that removes the reservation, and the object is deleted again if the row cannot be inserted.
Deletes record the keys they free in their own transaction and delete the objects after it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import mimetypes
import re
import typing as t

import sqlalchemy as sa

from ..config import config_value
from ..errors import AlreadyExists, BadRequest, NotFound, TooLarge
from ..state import current_state
from ..models import Artifact, Run, utcnow
from ..paths import validate_artifact_path
from . import audit, events, ledger
from .access import authorize
from .common import after_commit, end_read_transaction, lock_run, session, unit_of_work
from .identity import Actor

log = logging.getLogger(__name__)
GENERIC_TYPES = {"", "application/octet-stream", "application/x-www-form-urlencoded", "multipart/form-data"}
#: ``type/subtype`` in RFC 6838's characters: anything else a client declares is ignored, not stored
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


@dataclasses.dataclass(frozen=True)
class ArtifactView:
    """A stored file of a run, as the doors show and serve it."""

    id: int
    run_id: str
    path: str
    size: int
    sha256: str
    content_type: str
    storage_key: str
    created_at: dt.datetime
    created_by_name: str | None


def recorded_at(storage_key: str) -> Artifact | None:
    """The artifact row that names the stored object ``storage_key``, if any (what a finished
    direct or multipart upload inserted)."""
    return session().scalar(sa.select(Artifact).where(Artifact.storage_key == storage_key))


def artifact_view(a: Artifact) -> ArtifactView:
    return ArtifactView(id=a.id, run_id=a.run_id, path=a.path, size=a.size, sha256=a.sha256,
                        content_type=a.content_type, storage_key=a.storage_key, created_at=a.created_at,
                        created_by_name=a.created_by_name)


@dataclasses.dataclass(frozen=True)
class ByteRange:
    start: int
    length: int


def guess_content_type(path: str, declared: str | None = None) -> str:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in GENERIC_TYPES and _MEDIA_TYPE.fullmatch(declared):
        return declared
    guessed, _ = mimetypes.guess_type(path, strict=False)
    return guessed or "application/octet-stream"


def list_artifacts(project: str, actor: Actor, run_id: str, *, prefix: str = "") -> list[ArtifactView]:
    authorize(project, actor, "read")
    stmt = sa.select(Artifact).where(Artifact.run_id == run_id)
    if prefix:
        prefix = validate_artifact_path(prefix, allow_empty=True)
        if prefix:
            stmt = stmt.where(Artifact.path.startswith(prefix + "/", autoescape=True))
    return [artifact_view(a) for a in session().scalars(stmt.order_by(Artifact.path))]


def get_artifact(project: str, actor: Actor, run_id: str, path: str) -> ArtifactView:
    authorize(project, actor, "read")
    path = validate_artifact_path(path)
    artifact = session().scalar(sa.select(Artifact).where(Artifact.run_id == run_id, Artifact.path == path))
    if artifact is None:
        raise NotFound(f"No such artifact: '{path}'")
    return artifact_view(artifact)


def upload_artifact(project: str, actor: Actor, run_id: str, path: t.Any, stream: t.BinaryIO, *,
                    content_length: int | None = None, content_type: str | None = None,
                    overwrite: bool = False) -> ArtifactView:
    """Stream a file into the store and record it. Same path again: AlreadyExists, unless
    ``overwrite`` (the MLflow artifact API replaces files, as MLflow's server does)."""
    authorize(project, actor, "write")
    max_size = int(config_value("MAX_FILE_SIZE"))
    if content_length is not None and content_length > max_size:
        raise TooLarge(f"file is larger than the limit of {max_size} bytes")
    path = free_path(run_id, path, overwrite=overwrite)
    store = current_state().store
    key = ledger.new_key(run_id)
    ctype = guess_content_type(path, content_type)
    ledger.reserve([key], project=project, user_id=actor.user_id, hold=True)
    try:
        try:
            stored = store.write(key, stream, max_size=max_size, content_type=ctype)
        except FileNotFoundError as exc:  # the sweeper removed a partial write idle for the grace period
            raise ledger.Abandoned("the upload stalled for too long and was given up; send it again") from exc
        if content_length is not None and stored.size != content_length:
            raise BadRequest("the upload ended before the declared Content-Length")
        artifact, replaced = _record_upload(project, actor, run_id, path, key, stored, ctype, overwrite=overwrite)
    except BaseException:
        ledger.discard([key])
        raise
    delete_stored_objects(replaced)
    return artifact


def free_path(run_id: str, path: t.Any, *, overwrite: bool) -> str:
    """``path`` validated, once the run is known to exist and, unless ``overwrite``, no file of
    it has the path (checked again when the row is inserted). Ends the read transaction: the
    upload's ledger writes run on connections of their own. The caller has authorised the write."""
    path = validate_artifact_path(path)
    s = session()
    if s.get(Run, run_id) is None:
        raise NotFound("run not found")
    if not overwrite and s.scalar(sa.select(Artifact.id).where(Artifact.run_id == run_id, Artifact.path == path)):
        raise AlreadyExists(f"{path} already exists", fields={"path": "A file with this path already exists."})
    end_read_transaction()
    return path


def record_stored_upload(project: str, actor: Actor, run_id: str, path: str, key: str, stored: t.Any,
                         content_type: str, *, overwrite: bool) -> ArtifactView:
    """Record an object already stored under its reserved ``key`` (a multipart upload, a direct
    upload to the bucket), as :func:`upload_artifact` records what it streamed."""
    artifact, replaced = _record_upload(project, actor, run_id, path, key, stored, content_type, overwrite=overwrite)
    delete_stored_objects(replaced)
    return artifact


@unit_of_work
def _record_upload(project: str, actor: Actor, run_id: str, path: str, key: str, stored: t.Any, ctype: str, *,
                   overwrite: bool) -> tuple[ArtifactView, list[str]]:
    """Insert the row naming a stored upload or, with ``overwrite``, point the path's row at it
    and return the storage key it named, to delete. The path's row is locked, so concurrent
    overwrites of one path queue up: every one succeeds, the last to commit is the file, and no
    replaced object is left behind. A concurrent first upload of the path makes the insert fail
    on the unique constraint; the unit of work runs this again, and it replaces that file."""
    s = session()
    # The run's versions, then its row (shared), as a delete of the version (or its model) takes
    # them: the two wait for each other in one order (no deadlock), the delete sees this file's
    # row once it is committed, and an upload into a run deleted first is a NotFound.
    locked = lock_run(run_id)
    values = {"size": stored.size, "sha256": stored.sha256, "content_type": ctype, "storage_key": key,
              "created_at": utcnow(), "created_by_id": actor.user_id, "created_by_name": actor.name}
    current = s.execute(sa.select(Artifact.id, Artifact.storage_key).where(
        Artifact.run_id == run_id, Artifact.path == path).with_for_update()).first()
    if current is not None and not overwrite:
        raise AlreadyExists(f"{path} already exists", fields={"path": "A file with this path already exists."})
    if current is None:
        artifact = Artifact(run_id=run_id, path=path, **values)
        s.add(artifact)
        s.flush()
    else:
        s.execute(sa.update(Artifact).where(Artifact.id == current.id).values(**values)
                  .execution_options(synchronize_session=False))
        artifact = Artifact(id=current.id, run_id=run_id, path=path, **values)
    locked.touch()
    ledger.complete([key])
    if current is not None:
        ledger.schedule_deletes([current.storage_key])
    audit.record(project, actor, "artifact.upload", "artifact", artifact.id, path,
                 {"run_id": run_id, "size": stored.size, "sha256": stored.sha256})
    for name, number in events.versions_of_run(run_id):
        events.file_created(project, name, number, path, stored.size, stored.sha256)
    return artifact_view(artifact), [current.storage_key] if current is not None else []


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """A single ``bytes=`` range, or None for the whole file; unsatisfiable ranges raise 416 upstream."""
    if not header:
        return None
    from werkzeug.http import parse_range_header

    rng = parse_range_header(header)
    if rng is None or rng.units != "bytes" or len(rng.ranges) != 1:
        return None
    bounds = rng.range_for_length(size)
    if bounds is None:
        raise RangeNotSatisfiable(size)
    start, stop = bounds
    return ByteRange(start=start, length=stop - start)


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def open_artifact(artifact: ArtifactView, byte_range: ByteRange | None = None) -> t.Iterator[bytes]:
    store = current_state().store
    start, length = (byte_range.start, byte_range.length) if byte_range else (0, artifact.size)
    try:
        return store.read(artifact.storage_key, start, length)
    except FileNotFoundError:
        raise NotFound(f"the stored file of '{artifact.path}' is missing") from None


@unit_of_work
def delete_artifacts(project: str, actor: Actor, run_id: str, paths: t.Any) -> list[str]:
    """Delete several files at once; all named paths must exist, or nothing is deleted."""
    authorize(project, actor, "write")
    if not isinstance(paths, (list, tuple)) or not paths:
        from ..errors import Invalid
        raise Invalid("paths must be a non-empty list", fields={"paths": "Must be a non-empty list of paths."})
    clean = [validate_artifact_path(p) for p in paths]
    locked = lock_run(run_id)  # first, as a delete of the version takes the locks (no deadlock with it)
    rows = list(session().scalars(sa.select(Artifact).where(Artifact.run_id == run_id, Artifact.path.in_(clean))))
    found = {a.path for a in rows}
    missing = [p for p in clean if p not in found]
    if missing:
        raise NotFound(f"No such artifact: '{missing[0]}'")
    keys = delete_rows_returning_keys(Artifact.id.in_([a.id for a in rows]))
    locked.touch()
    audit.record(project, actor, "artifact.delete", "run", run_id, ", ".join(sorted(found))[:1024],
                 {"paths": sorted(found)})
    for name, number in events.versions_of_run(run_id):
        for path in sorted(found):
            events.file_deleted(project, name, number, path)
    after_commit(lambda: delete_stored_objects(keys))
    return sorted(found)


def delete_rows_returning_keys(where: t.Any) -> list[str]:
    """Delete the artifact rows matching ``where`` in the current transaction and return the
    storage keys they named when deleted: a concurrent overwrite may have pointed a row at a new
    object since it was read, and that object must go too."""
    stmt = sa.delete(Artifact).where(where).returning(Artifact.storage_key)
    keys = list(session().scalars(stmt.execution_options(synchronize_session=False)))
    ledger.schedule_deletes(keys)  # committed with the deletion: a crash before the objects go leaves them named
    return keys


def delete_stored_objects(keys: t.Iterable[str]) -> None:
    """Delete objects whose rows are gone (after the commit), then their ledger rows. A failure
    is logged, not raised: the rows are already deleted, and the sweeper deletes what is left."""
    ledger.delete_objects(keys)
