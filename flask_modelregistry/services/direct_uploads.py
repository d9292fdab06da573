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

import contextlib
import dataclasses
import typing as t


from ..config import config_value
from ..errors import BadRequest, Invalid
from ..state import current_state
from ..storage import StoredObject
from . import ledger, signed_uploads
from .access import authorize
from .artifacts import ArtifactView, artifact_view, recorded_at
from .identity import Actor

#: a direct upload must be finished within a week, as GCS's resumable sessions
MAX_AGE = 7 * 24 * 3600


@dataclasses.dataclass(frozen=True)
class DirectUpload(signed_uploads.Target):
    size: int


_TOKENS = signed_uploads.Tokens(DirectUpload, "model-registry-direct-upload", param="upload", what="upload")


@dataclasses.dataclass(frozen=True)
class Opened:
    token: str
    session_url: str
    upload: DirectUpload


def available() -> bool:
    """Whether the store takes direct uploads (GCS) and the setting allows them."""
    return bool(config_value("DIRECT_UPLOADS")) and hasattr(current_state().store, "open_upload_session")


def open_upload(project: str, actor: Actor, run_id: str, path: t.Any, *, size: t.Any, content_type: str | None,
                origin: str | None, overwrite: bool = False) -> Opened:
    authorize(project, actor, "write")
    if not available():
        raise BadRequest("this registry's store takes no direct uploads; send the file to the API")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise Invalid("size must be a whole number of bytes", fields={"size": "Must be a whole number of bytes."})
    target = signed_uploads.plan(project, actor, run_id, path, content_type=content_type, overwrite=overwrite,
                                 size=size)
    upload = DirectUpload(**dataclasses.asdict(target), size=size)
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
    return Opened(_TOKENS.dumps(upload), url, upload)


def read_upload(token: t.Any, project: str) -> DirectUpload:
    return _TOKENS.loads(token, project, max_age=MAX_AGE)


def finish_upload(project: str, actor: Actor, token: t.Any, *, sha256: t.Any, crc32c: t.Any) -> ArtifactView:
    """Record the object the client sent, once GCS holds it with the declared size and CRC32C."""
    authorize(project, actor, "write")
    upload = read_upload(token, project)
    expected_crc = signed_uploads.declared_crc32c(sha256, crc32c)
    recorded = recorded_at(upload.key)
    if recorded is not None:
        return artifact_view(recorded)  # finished already (a retried request)
    store = current_state().store
    held = store.stat(upload.key)
    if held is None:
        raise BadRequest("the bucket holds no such upload yet: send every byte before finishing")
    size, gcs_crc, _md5 = held
    if size != upload.size or gcs_crc != expected_crc:
        ledger.discard([upload.key])
        raise Invalid("the file in the bucket is not the one sent (size or CRC32C differs); upload it again",
                      fields={"file": "The stored bytes differ from the file sent."})
    if ledger.heartbeat([upload.key]) == 0:
        if ledger.given_up(upload.key):  # its session was cancelled (or is to be): no byte came for the grace period
            raise ledger.Abandoned("the upload stalled for too long and was given up; send it again")
        ledger.reserve([upload.key], project=project, user_id=actor.user_id)  # outlived its row: the object is here
    return signed_uploads.record(upload, actor, StoredObject(size=size, sha256=sha256), keys=[upload.key])


def cancel_upload(project: str, actor: Actor, token: t.Any) -> None:
    """Give up a direct upload: delete what was finalised and release the key."""
    authorize(project, actor, "write")
    upload = read_upload(token, project)
    if recorded_at(upload.key) is not None:
        raise BadRequest("this upload is finished; delete the file instead")
    ledger.discard([upload.key])


