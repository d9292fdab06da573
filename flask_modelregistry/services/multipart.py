"""Multipart uploads: one file sent as parts in parallel, then assembled and recorded.

The MLflow client (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``) and the ``modelregistry`` command
use it for large files. Creating an upload checks the caller's right to write, reserves the
file's storage key (and the parts' objects, on GCS) in the ledger, and answers an upload id:
a signed, expiring token that names the project, run, path, key and part count, so no table
holds the upload and every worker can take any part. The id is the parts' credential (the MLflow
client sends parts without its token): whoever holds it may send parts, nothing else, and only
an authorised caller can complete the upload.

Each part answers an ETag signed over the upload, the part's number and its size; completing
checks every part's ETag, so a file is assembled only from parts this server received whole.
The store writes parts in place (local folder: at their offsets of one partial file) or as
objects composed at the end (GCS), and hashes the assembled file once. Aborting deletes what was
sent; an upload left alone is deleted by the sweeper (the ledger's heartbeat goes stale, the
local partial file stays untouched for the grace period).
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import typing as t
import uuid

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..config import config_value
from ..errors import AlreadyExists, BadRequest, Invalid, NotFound, TooLarge
from ..models import Artifact, Run
from ..paths import validate_artifact_path
from ..state import current_state
from . import ledger
from .access import authorize
from .artifacts import ArtifactView, guess_content_type, record_stored_upload
from .common import end_read_transaction, session
from .identity import Actor

#: most parts one upload may have (as S3 and GCS's XML API)
MAX_PARTS = 10_000
_SALT = "model-registry-multipart-upload"
#: smallest part but the last of an upload the client plans (S3's and GCS's rule, kept alike)
MIN_PART_SIZE = 5 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Upload:
    """What a signed upload id says."""

    id: str
    project: str
    run_id: str
    path: str
    key: str
    parts: int
    content_type: str
    overwrite: bool

    def reserved_keys(self) -> list[str]:
        return [self.key, *current_state().store.part_keys(self.id, self.parts)]


@dataclasses.dataclass(frozen=True)
class Created:
    upload_id: str
    upload: Upload


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _part_tag(upload: Upload, number: int, size: int) -> str:
    mac = hmac.new(str(current_app.secret_key).encode(), f"{upload.id}:{number}:{size}".encode(),
                   hashlib.sha256).hexdigest()[:32]
    return f"{size}-{mac}"


def plan_parts(size: t.Any, part_size: t.Any) -> int:
    """How many parts a file of ``size`` bytes sent in parts of ``part_size`` has, both checked."""
    for name, value in (("size", size), ("part_size", part_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "size" else 1):
            raise Invalid(f"{name} must be a whole number of bytes", fields={name: "Must be a whole number of bytes."})
    parts = max(1, -(-size // part_size))
    if parts > 1 and part_size < MIN_PART_SIZE:
        raise Invalid(f"part_size must be at least {MIN_PART_SIZE} bytes",
                      fields={"part_size": f"Must be at least {MIN_PART_SIZE} bytes."})
    return parts


def create_upload(project: str, actor: Actor, run_id: str, path: t.Any, *, parts: t.Any,
                  content_type: str | None = None, overwrite: bool = False,
                  size: int | None = None) -> Created:
    """Start an upload of ``parts`` parts to ``path`` of run ``run_id``."""
    authorize(project, actor, "write")
    path = validate_artifact_path(path)
    if isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= MAX_PARTS:
        raise Invalid(f"num_parts must be a whole number from 1 to {MAX_PARTS}",
                      fields={"num_parts": f"Must be from 1 to {MAX_PARTS}."})
    max_size = int(config_value("MAX_FILE_SIZE"))
    if size is not None and size > max_size:
        raise TooLarge(f"the file is {size} bytes, larger than the limit of {max_size} bytes; split it")
    s = session()
    if s.get(Run, run_id) is None:
        raise NotFound("run not found")
    if not overwrite and s.scalar(sa.select(Artifact.id).where(Artifact.run_id == run_id, Artifact.path == path)):
        raise AlreadyExists(f"{path} already exists", fields={"path": "A file with this path already exists."})
    end_read_transaction()
    upload = Upload(id=uuid.uuid4().hex, project=project, run_id=run_id, path=path, key=ledger.new_key(run_id),
                    parts=parts, content_type=guess_content_type(path, content_type), overwrite=overwrite)
    ledger.reserve(upload.reserved_keys(), project=project, user_id=actor.user_id)
    token = _serializer().dumps(dataclasses.astuple(upload))
    return Created(upload_id=token, upload=upload)


def read_upload(upload_id: t.Any, project: str) -> Upload:
    """The upload an id names, if its signature holds, it has not expired and it is of ``project``."""
    if not isinstance(upload_id, str) or not upload_id:
        raise BadRequest("Missing value for required parameter 'upload_id'")
    try:
        fields = _serializer().loads(upload_id, max_age=int(config_value("MULTIPART_EXPIRY")))
        upload = Upload(*fields)
    except SignatureExpired:
        raise NotFound("this multipart upload has expired; start it again") from None
    except (BadSignature, TypeError, ValueError):
        raise NotFound("no such multipart upload") from None
    if upload.project != project:
        raise NotFound("no such multipart upload")
    return upload


def upload_part(project: str, upload_id: t.Any, number: int, stream: t.BinaryIO, length: int | None) -> str:
    """Store one part; returns its ETag (to send back when completing)."""
    upload = read_upload(upload_id, project)
    if not 1 <= number <= upload.parts:
        raise NotFound(f"this upload has parts 1 to {upload.parts}")
    if length is None:
        raise BadRequest("a part needs a Content-Length")
    max_size = int(config_value("MAX_FILE_SIZE"))
    if length > max_size or (number < upload.parts and number * length > max_size):
        raise TooLarge(f"the file would be larger than the limit of {max_size} bytes; split it")
    keys = upload.reserved_keys()
    if ledger.heartbeat(keys) == 0:
        raise ledger.Abandoned("the upload was given up; start it again")
    store = current_state().store
    stored = store.write_part(upload.id, number, upload.parts, ledger.keep_alive(stream, keys), length,
                              max_size=max_size)
    if stored != length:
        raise BadRequest("the part ended before the declared Content-Length")
    return _part_tag(upload, number, stored)


def complete_upload(project: str, actor: Actor, upload_id: t.Any, parts: t.Any) -> ArtifactView:
    """Check every part's ETag, assemble the file and record it (the upload's reservation ends
    in the transaction that inserts its row)."""
    authorize(project, actor, "write")
    upload = read_upload(upload_id, project)
    sizes = _checked_sizes(upload, parts)
    max_size = int(config_value("MAX_FILE_SIZE"))
    if sum(sizes) > max_size:
        raise TooLarge(f"the file is larger than the limit of {max_size} bytes; split it")
    store = current_state().store
    if ledger.heartbeat(upload.reserved_keys()) == 0:
        raise ledger.Abandoned("the upload was given up; start it again")
    try:
        try:
            stored = store.assemble(upload.id, upload.key, sizes, content_type=upload.content_type)
        except FileNotFoundError as exc:  # the sweeper removed parts idle for the grace period
            raise ledger.Abandoned("the upload stalled for too long and was given up; send it again") from exc
        artifact = record_stored_upload(project, actor, upload.run_id, upload.path, upload.key, stored,
                                        upload.content_type, overwrite=upload.overwrite)
    except BaseException:
        store.abort_parts(upload.id, upload.parts)
        ledger.discard(upload.reserved_keys())
        raise
    ledger.release(store.part_keys(upload.id, upload.parts))  # assembled and deleted
    return artifact


def _checked_sizes(upload: Upload, parts: t.Any) -> list[int]:
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise BadRequest("parts must be a list of {part_number, etag}")
    tags: dict[int, str] = {}
    for p in parts:
        number, tag = p.get("part_number"), p.get("etag")
        if isinstance(number, bool) or not isinstance(number, int) or not isinstance(tag, str):
            raise BadRequest("every part needs its part_number and etag")
        tags[number] = tag.strip('"')
    if sorted(tags) != list(range(1, upload.parts + 1)):
        raise BadRequest(f"the upload has {upload.parts} parts; send the ETag of each")
    sizes = []
    for number in range(1, upload.parts + 1):
        size_text, _, _mac = tags[number].partition("-")
        if not size_text.isdigit() or not hmac.compare_digest(_part_tag(upload, number, int(size_text)),
                                                              tags[number]):
            raise BadRequest(f"part {number} was not received by this server; send it again")
        sizes.append(int(size_text))
    if any(size != sizes[0] for size in sizes[:-1]) or sizes[-1] > sizes[0] or (len(sizes) > 1 and not sizes[-1]):
        raise BadRequest("every part but the last must have the same size, and the last no more")
    return sizes


def abort_upload(project: str, actor: Actor, upload_id: t.Any) -> None:
    """Delete whatever was sent of an upload, and its reservations."""
    authorize(project, actor, "write")
    upload = read_upload(upload_id, project)
    current_state().store.abort_parts(upload.id, upload.parts)
    ledger.discard(upload.reserved_keys())
