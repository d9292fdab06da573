"""Multipart uploads: one file sent as parts in parallel, then assembled and recorded.

The MLflow client (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``) and the ``modelregistry`` command
use it for large files. Creating an upload checks the caller's right to write, reserves the
file's storage key (and the parts' objects, on GCS) in the ledger, and answers an upload id:
a signed, expiring token (:mod:`.signed_uploads`) that names the project, run, path, key and part
count, so no table holds the upload and every worker can take any part.

Where parts go:

- **Straight to the bucket** (GCS, when the store can sign and direct uploads are on): each part
  is an object of its own, and creating the upload answers a V4 signed PUT URL per part, with a
  length-range header the PUT must send. No byte passes through this server. Completing checks
  that every part object is there (and, where GCS gave the client an ETag, that it is the held
  object's MD5), composes them in GCS (32 at a time, in levels) and checks the composed size.
  The ``modelregistry`` command sends the SHA-256 and CRC32C it computed of the file: the composed
  object's CRC32C (computed by GCS) must match, and the SHA-256 is recorded as the uploader's, as
  for the pages' direct uploads. MLflow's client sends no checksum, so the server reads the
  composed object once to hash it.
- **To this server** (the local folder; GCS that cannot sign): the id is the parts' credential
  (the MLflow client sends parts without its token), whoever holds it may send parts, nothing
  else, and only an authorised caller can complete the upload. Each part answers an ETag signed
  over the upload, the part's number and its size; completing checks every part's ETag, so a
  file is assembled only from parts this server received whole. The store writes parts in place
  (local folder: at their offsets of one partial file) or as objects composed at the end (GCS),
  and hashes the assembled file once.

One request at a time completes or aborts an upload: it claims the upload's claim key in the
ledger (:func:`.ledger.claim`, an insert only one request wins). A complete of an upload already
recorded answers the recorded file (a retried request); aborting one does nothing and succeeds, as
on MLflow's server (its client aborts after any error of a complete), and so does aborting one
that another request is completing.

Aborting deletes what was sent; an upload left alone is deleted by the sweeper (the ledger's
heartbeat goes stale, the local partial file stays untouched for the grace period; parts sent
straight to the bucket keep their upload alive while new ones arrive). Signed part URLs expire
with the upload; a part PUT after an abort is an orphan object, which the sweeper deletes once it
is older than the grace period.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import typing as t

from flask import current_app

from ..config import config_value
from ..errors import BadRequest, Invalid, NotFound, TooLarge, Unavailable
from ..state import current_state
from ..storage import StoredObject
from . import ledger, signed_uploads
from .access import authorize
from .artifacts import ArtifactView, artifact_view, recorded_at
from .identity import Actor

#: most parts one upload may have (as S3 and GCS's XML API)
MAX_PARTS = 10_000
#: smallest part but the last of an upload the client plans (S3's and GCS's rule, kept alike)
MIN_PART_SIZE = 5 * 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Upload(signed_uploads.Target):
    """What a signed upload id says: the target, the upload's own id and part count, and whether
    the parts go straight to the bucket (``direct``) or to this server."""

    id: str
    parts: int
    direct: bool = False

    def reserved_keys(self) -> list[str]:
        return [self.key, *current_state().store.part_keys(self.id, self.parts)]


_TOKENS = signed_uploads.Tokens(Upload, "model-registry-multipart-upload", param="upload_id",
                                what="multipart upload")


@dataclasses.dataclass(frozen=True)
class PartTarget:
    """Where the client sends one part: a URL and the headers to send with it."""

    number: int
    url: str | None  # None: this server's part URL (the door builds it)
    headers: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Created:
    upload_id: str
    upload: Upload
    targets: list[PartTarget]


def _part_tag(upload: Upload, number: int, size: int) -> str:
    mac = hmac.new(str(current_app.secret_key).encode(), f"{upload.id}:{number}:{size}".encode(),
                   hashlib.sha256).hexdigest()[:32]
    return f"{size}-{mac}"


def plan_parts(size: t.Any, part_size: t.Any) -> int:
    """How many parts a file of ``size`` bytes sent in parts of ``part_size`` has, both checked."""
    for name, value in (("size", size), ("part_size", part_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "size" else 1):
            raise Invalid(f"{name} must be a whole number of bytes", fields={name: "Must be a whole number of bytes."})
    max_size = int(config_value("MAX_FILE_SIZE"))
    if part_size > max_size:
        raise Invalid(f"part_size must be at most {max_size} bytes (the largest file)",
                      fields={"part_size": f"Must be at most {max_size} bytes."})
    parts = max(1, -(-size // part_size))
    if parts > 1 and part_size < MIN_PART_SIZE:
        raise Invalid(f"part_size must be at least {MIN_PART_SIZE} bytes",
                      fields={"part_size": f"Must be at least {MIN_PART_SIZE} bytes."})
    return parts


def create_upload(project: str, actor: Actor, run_id: str, path: t.Any, *, parts: t.Any,
                  content_type: str | None = None, overwrite: bool = False,
                  size: int | None = None, part_size: int | None = None) -> Created:
    """Start an upload of ``parts`` parts to ``path`` of run ``run_id``. Where the store signs
    part URLs (GCS) and direct uploads are on, each part goes straight to an object of its own
    in the bucket; else to this server."""
    authorize(project, actor, "write")
    if isinstance(parts, bool) or not isinstance(parts, int) or not 1 <= parts <= MAX_PARTS:
        raise Invalid(f"num_parts must be a whole number from 1 to {MAX_PARTS}",
                      fields={"num_parts": f"Must be from 1 to {MAX_PARTS}."})
    target = signed_uploads.plan(project, actor, run_id, path, content_type=content_type, overwrite=overwrite,
                                 size=size)
    upload_id = target.key.rpartition("/")[2]  # the file's key ends with the upload's id: the sweeper links them
    direct = _direct_targets(upload_id, parts, part_size)
    upload = Upload(**dataclasses.asdict(target), id=upload_id, parts=parts, direct=direct is not None)
    ledger.reserve(upload.reserved_keys(), project=project, user_id=actor.user_id)
    targets = direct or [PartTarget(n, None, {}) for n in range(1, parts + 1)]
    return Created(upload_id=_TOKENS.dumps(upload), upload=upload, targets=targets)


def _direct_targets(upload_id: str, parts: int, part_size: int | None) -> list[PartTarget] | None:
    """Signed PUT URLs of the parts' objects, or None where the store cannot give them. They
    expire with the upload itself (``MULTIPART_EXPIRY``, at most GCS's week): the sweeper keeps
    the parts of an upload whose part objects keep arriving (:func:`.sweeper.sweep`), and a part
    sent after an abort is an orphan it deletes. GCS refuses a part longer than ``part_size``
    (or than the largest file, when no part size is known)."""
    store = current_state().store
    if not config_value("DIRECT_UPLOADS") or not hasattr(store, "part_upload_url"):
        return None
    expires = int(min(float(config_value("MULTIPART_EXPIRY")), 7 * 24 * 3600))
    max_size = int(config_value("MAX_FILE_SIZE"))
    longest = min(part_size or max_size, max_size)
    targets = []
    for number in range(1, parts + 1):
        signed = store.part_upload_url(upload_id, number, parts, max_length=longest, expires_in=expires)
        if signed is None:
            return None
        targets.append(PartTarget(number, *signed))
    return targets


def read_upload(upload_id: t.Any, project: str) -> Upload:
    """The upload an id names, if its signature holds, it has not expired and it is of ``project``."""
    return _TOKENS.loads(upload_id, project, max_age=int(config_value("MULTIPART_EXPIRY")))


def upload_part(project: str, upload_id: t.Any, number: int, stream: t.BinaryIO, length: int | None) -> str:
    """Store one part; returns its ETag (to send back when completing)."""
    upload = read_upload(upload_id, project)
    if not 1 <= number <= upload.parts:
        raise NotFound(f"this upload has parts 1 to {upload.parts}")
    if upload.direct:
        raise BadRequest("this upload's parts go straight to the bucket, to the URLs it was created with")
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


def complete_upload(project: str, actor: Actor, upload_id: t.Any, parts: t.Any, *,
                    sha256: t.Any = None, crc32c: t.Any = None) -> ArtifactView:
    """Check every part, assemble the file and record it (the upload's reservation ends in the
    transaction that inserts its row). Parts sent to the bucket are composed there; with the
    ``sha256`` and ``crc32c`` the client computed of the whole file, the composed object's
    CRC32C must match and no byte is read back, else the server reads the file once to hash it."""
    authorize(project, actor, "write")
    upload = read_upload(upload_id, project)
    recorded = recorded_at(upload.key)
    if recorded is not None:
        return artifact_view(recorded)  # completed already (a retried request)
    declared = (signed_uploads.declared_crc32c(sha256, crc32c)
                if upload.direct and (sha256 is not None or crc32c is not None) else None)
    claim = _claim_key(upload)
    if not ledger.claim(claim, project=project, user_id=actor.user_id):
        recorded = recorded_at(upload.key)
        if recorded is not None:
            return artifact_view(recorded)
        raise Unavailable("another request is completing this upload; ask again", retry_after=5)
    try:
        recorded = recorded_at(upload.key)  # completed between the first look and the claim
        if recorded is not None:
            return artifact_view(recorded)
        return _complete_claimed(upload, actor, parts, declared, sha256)
    finally:
        ledger.release([claim])


def _complete_claimed(upload: Upload, actor: Actor, parts: t.Any, declared: str | None,
                      sha256: t.Any) -> ArtifactView:
    """Complete ``upload``, once this request holds its claim (no other completes or aborts it)."""
    sizes = _bucket_sizes(upload, parts) if upload.direct else _checked_sizes(upload, parts)
    max_size = int(config_value("MAX_FILE_SIZE"))
    if sum(sizes) > max_size:
        raise TooLarge(f"the file is larger than the limit of {max_size} bytes; split it")
    store = current_state().store
    if ledger.heartbeat(upload.reserved_keys()) == 0:
        raise ledger.Abandoned("the upload was given up; start it again")
    ledger.hold(upload.reserved_keys())  # this process keeps them alive while it assembles and hashes
    try:
        try:
            if declared is not None:
                size, held_crc = store.compose_parts(upload.id, upload.key, sizes, content_type=upload.content_type)
                if held_crc != declared:
                    raise Invalid("the file in the bucket is not the one sent (its CRC32C differs); upload it again",
                                  fields={"file": "The stored bytes differ from the file sent."})
                stored = StoredObject(size=size, sha256=sha256)
            else:
                stored = store.assemble(upload.id, upload.key, sizes, content_type=upload.content_type)
        except FileNotFoundError as exc:  # the sweeper removed parts idle for the grace period
            raise ledger.Abandoned("the upload stalled for too long and was given up; send it again") from exc
    except BaseException:
        store.abort_parts(upload.id, upload.parts)
        ledger.discard(upload.reserved_keys())
        raise
    artifact = signed_uploads.record(upload, actor, stored, keys=upload.reserved_keys())
    ledger.release(store.part_keys(upload.id, upload.parts))  # assembled and deleted
    return artifact


def _part_numbers(upload: Upload, parts: t.Any) -> dict[int, str]:
    """The ETag the client names for each part, every part named once."""
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
    return tags


def _bucket_sizes(upload: Upload, parts: t.Any) -> list[int]:
    """The sizes of the part objects the bucket holds. An ETag GCS gave (the part's MD5 in hex)
    must be the held object's, so a part replaced meanwhile is not taken for the one sent; the
    emulator gives none."""
    tags = _part_numbers(upload, parts)
    sizes = []
    for number, held in enumerate(current_state().store.part_stats(upload.id, upload.parts), start=1):
        if held is None:
            raise BadRequest(f"part {number} is not in the bucket; send it again")
        size, _crc, md5 = held
        if tags[number] and md5 and tags[number].lower() != base64.b64decode(md5).hex():
            raise BadRequest(f"part {number} in the bucket is not the one sent; send it again")
        sizes.append(size)
    _check_part_sizes(sizes)
    return sizes


def _checked_sizes(upload: Upload, parts: t.Any) -> list[int]:
    """The sizes the parts' signed ETags (given by this server) name."""
    tags = _part_numbers(upload, parts)
    sizes = []
    for number in range(1, upload.parts + 1):
        size_text, _, _mac = tags[number].partition("-")
        if not size_text.isdigit() or not hmac.compare_digest(_part_tag(upload, number, int(size_text)),
                                                              tags[number]):
            raise BadRequest(f"part {number} was not received by this server; send it again")
        sizes.append(int(size_text))
    _check_part_sizes(sizes)
    return sizes


def _check_part_sizes(sizes: list[int]) -> None:
    if any(size != sizes[0] for size in sizes[:-1]) or sizes[-1] > sizes[0] or (len(sizes) > 1 and not sizes[-1]):
        raise BadRequest("every part but the last must have the same size, and the last no more")


def abort_upload(project: str, actor: Actor, upload_id: t.Any) -> None:
    """Delete whatever was sent of an upload, and its reservations. Aborting an upload that was
    completed does nothing and succeeds (as MLflow's server; its client aborts after any error
    of a complete, even one whose first try recorded the file), and so does aborting one that
    another request is completing: that request records the file or gives it up itself."""
    authorize(project, actor, "write")
    upload = read_upload(upload_id, project)
    if recorded_at(upload.key) is not None:
        return
    claim = _claim_key(upload)
    if not ledger.claim(claim, project=project, user_id=actor.user_id):
        return
    try:
        if recorded_at(upload.key) is None:
            current_state().store.abort_parts(upload.id, upload.parts)
            ledger.discard(upload.reserved_keys())
    finally:
        ledger.release([claim])


def _claim_key(upload: Upload) -> str:
    """The ledger key one request claims to complete or abort ``upload``; it names no object."""
    return f"{upload.key}.complete"


