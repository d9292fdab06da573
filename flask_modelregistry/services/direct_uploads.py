"""Files sent by the client straight to the bucket; the app only authorises and checks.

Opening a direct upload checks the caller's right to write the path, reserves a fresh storage
key in the ledger and opens a GCS resumable upload session for exactly that object (its size,
its type, the page's origin for CORS, created only if absent). The client sends the bytes to
the session URL, resuming after a network error, and then finishes: the file is recorded only
after the object GCS holds has the declared size and the CRC32C the client computed while
sending (GCS computes its own on arrival, so a byte changed on the way fails). GCS keeps no
SHA-256: the client computes it in the same pass and the server records it as the uploader's
(the CRC32C check ties it to the stored bytes unless the uploader lies about both, and the
uploader may write the path anyway). Cancelling cancels the session, releases the key and deletes
what was finalised. The session's URI is kept in the key's ledger row: the sweeper cancels the
session of an upload abandoned (no byte received for the grace period, see :mod:`.sweeper`).
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import re
import typing as t

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..config import config_value
from ..errors import AlreadyExists, BadRequest, Invalid, NotFound, TooLarge
from ..models import Artifact, Run
from ..paths import validate_artifact_path
from ..state import current_state
from ..storage import StoredObject
from . import ledger
from .access import authorize
from .artifacts import ArtifactView, artifact_view, guess_content_type, record_stored_upload
from .common import end_read_transaction, session
from .identity import Actor

_SALT = "model-registry-direct-upload"
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: a direct upload must be finished within a week, as GCS's resumable sessions
MAX_AGE = 7 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class DirectUpload:
    project: str
    run_id: str
    path: str
    key: str
    size: int
    content_type: str
    overwrite: bool


@dataclasses.dataclass(frozen=True)
class Opened:
    token: str
    session_url: str
    upload: DirectUpload


def available() -> bool:
    """Whether the store takes direct uploads (GCS) and the setting allows them."""
    return bool(config_value("DIRECT_UPLOADS")) and hasattr(current_state().store, "open_upload_session")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def open_upload(project: str, actor: Actor, run_id: str, path: t.Any, *, size: t.Any, content_type: str | None,
                origin: str | None, overwrite: bool = False) -> Opened:
    authorize(project, actor, "write")
    if not available():
        raise BadRequest("this registry's store takes no direct uploads; send the file to the API")
    path = validate_artifact_path(path)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise Invalid("size must be a whole number of bytes", fields={"size": "Must be a whole number of bytes."})
    max_size = int(config_value("MAX_FILE_SIZE"))
    if size > max_size:
        raise TooLarge(f"the file is {size} bytes, larger than the limit of {max_size} bytes; split it")
    s = session()
    if s.get(Run, run_id) is None:
        raise NotFound("run not found")
    if not overwrite and s.scalar(sa.select(Artifact.id).where(Artifact.run_id == run_id, Artifact.path == path)):
        raise AlreadyExists(f"{path} already exists", fields={"path": "A file with this path already exists."})
    end_read_transaction()
    upload = DirectUpload(project, run_id, path, ledger.new_key(run_id), size, guess_content_type(path, content_type),
                          overwrite)
    ledger.reserve([upload.key], project=project, user_id=actor.user_id)
    try:
        url = current_state().store.open_upload_session(upload.key, size=size, content_type=upload.content_type,
                                                        origin=origin)
    except BaseException:
        ledger.release([upload.key])
        raise
    try:
        ledger.attach_session(upload.key, url)
    except BaseException:
        with contextlib.suppress(Exception):  # the database is away: the session is not recorded
            current_state().store.cancel_upload_session(url)
        ledger.discard([upload.key])
        raise
    return Opened(_serializer().dumps(dataclasses.astuple(upload)), url, upload)


def read_upload(token: t.Any, project: str) -> DirectUpload:
    if not isinstance(token, str) or not token:
        raise BadRequest("Missing value for required parameter 'upload'")
    try:
        upload = DirectUpload(*_serializer().loads(token, max_age=MAX_AGE))
    except SignatureExpired:
        raise NotFound("this upload has expired; start it again") from None
    except (BadSignature, TypeError, ValueError):
        raise NotFound("no such upload") from None
    if upload.project != project:
        raise NotFound("no such upload")
    return upload


def finish_upload(project: str, actor: Actor, token: t.Any, *, sha256: t.Any, crc32c: t.Any) -> ArtifactView:
    """Record the object the client sent, once GCS holds it with the declared size and CRC32C."""
    authorize(project, actor, "write")
    upload = read_upload(token, project)
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise Invalid("sha256 must be 64 lowercase hex digits", fields={"sha256": "Must be 64 hex digits."})
    if not isinstance(crc32c, int) or not 0 <= crc32c < 2**32:
        raise Invalid("crc32c must be the file's CRC32C as a number", fields={"crc32c": "Must be a 32-bit number."})
    recorded = _recorded(upload)
    if recorded is not None:
        return artifact_view(recorded)  # finished already (a retried request)
    store = current_state().store
    held = store.stat(upload.key)
    if held is None:
        raise BadRequest("the bucket holds no such upload yet: send every byte before finishing")
    size, gcs_crc, _md5 = held
    expected_crc = base64.b64encode(crc32c.to_bytes(4, "big")).decode()
    if size != upload.size or gcs_crc != expected_crc:
        ledger.discard([upload.key])
        raise Invalid("the file in the bucket is not the one sent (size or CRC32C differs); upload it again",
                      fields={"file": "The stored bytes differ from the file sent."})
    if ledger.heartbeat([upload.key]) == 0:
        if ledger.given_up(upload.key):  # its session was cancelled (or is to be): no byte came for the grace period
            raise ledger.Abandoned("the upload stalled for too long and was given up; send it again")
        ledger.reserve([upload.key], project=project, user_id=actor.user_id)  # outlived its row: the object is here
    try:
        return record_stored_upload(project, actor, upload.run_id, upload.path, upload.key,
                                    StoredObject(size=size, sha256=sha256), upload.content_type,
                                    overwrite=upload.overwrite)
    except BaseException:
        ledger.discard([upload.key])
        raise


def cancel_upload(project: str, actor: Actor, token: t.Any) -> None:
    """Give up a direct upload: delete what was finalised and release the key."""
    authorize(project, actor, "write")
    upload = read_upload(token, project)
    if _recorded(upload) is not None:
        raise BadRequest("this upload is finished; delete the file instead")
    ledger.discard([upload.key])


def _recorded(upload: DirectUpload) -> Artifact | None:
    return session().scalar(sa.select(Artifact).where(Artifact.storage_key == upload.key))
