"""What every upload that spans several requests shares: a direct upload to the bucket
(:mod:`.direct_uploads`) and a multipart upload (:mod:`.multipart`).

Opening one checks the caller's right to write the path, the run, the size limit and whether the
path is taken, and picks the file's fresh storage key (:func:`plan`). The upload is then named by a
signed, expiring token (:class:`Tokens`) that carries the :class:`Target` and the kind's own fields,
so no table holds it and any worker can take the next request. Finishing records the stored object
under its reserved keys, or discards them if the row cannot be inserted (:func:`record`).
"""
from __future__ import annotations

import base64
import dataclasses
import re
import typing as t

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..config import config_value
from ..errors import BadRequest, Invalid, NotFound, TooLarge
from . import ledger
from .access import authorize
from .artifacts import ArtifactView, free_path, guess_content_type, record_stored_upload
from .identity import Actor

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class Target:
    """Where an upload's file goes: the project's run and path, and the storage key reserved for it."""

    project: str
    run_id: str
    path: str
    key: str
    content_type: str
    overwrite: bool


def plan(project: str, actor: Actor, run_id: str, path: t.Any, *, content_type: str | None, overwrite: bool,
         size: int | None = None) -> Target:
    """Check that ``actor`` may write ``path`` of run ``run_id`` (of ``size`` bytes, when known)
    and pick the file's storage key; nothing is reserved yet."""
    authorize(project, actor, "write")
    max_size = int(config_value("MAX_FILE_SIZE"))
    if size is not None and size > max_size:
        raise TooLarge(f"the file is {size} bytes, larger than the limit of {max_size} bytes; split it")
    path = free_path(run_id, path, overwrite=overwrite)
    return Target(project, run_id, path, ledger.new_key(run_id), guess_content_type(path, content_type), overwrite)


U = t.TypeVar("U", bound=Target)


class Tokens(t.Generic[U]):
    """Signed, expiring tokens naming uploads of the dataclass ``kind`` (a :class:`Target` with
    fields of its own), under a salt of their own so a token of one kind is no token of another."""

    def __init__(self, kind: type[U], salt: str, *, param: str, what: str) -> None:
        self.kind, self.salt, self.param, self.what = kind, salt, param, what

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(current_app.secret_key, salt=self.salt)

    def dumps(self, upload: U) -> str:
        return self._serializer().dumps(dataclasses.asdict(upload))

    def loads(self, token: t.Any, project: str, *, max_age: int) -> U:
        """The upload ``token`` names, if its signature holds, it has not expired and it is of ``project``."""
        if not isinstance(token, str) or not token:
            raise BadRequest(f"Missing value for required parameter '{self.param}'")
        try:
            fields = self._serializer().loads(token, max_age=max_age)
            if not isinstance(fields, dict):
                raise TypeError("not the fields of an upload")
            upload = self.kind(**fields)
        except SignatureExpired:
            raise NotFound(f"this {self.what} has expired; start it again") from None
        except (BadSignature, TypeError, ValueError):
            raise NotFound(f"no such {self.what}") from None
        if upload.project != project:
            raise NotFound(f"no such {self.what}")
        return upload


def record(target: Target, actor: Actor, stored: t.Any, *, keys: t.Sequence[str]) -> ArtifactView:
    """Record the object stored under ``target.key``; if that fails, discard ``keys`` (the file's
    and any other object of the upload still reserved) and raise."""
    try:
        return record_stored_upload(target.project, actor, target.run_id, target.path, target.key, stored,
                                    target.content_type, overwrite=target.overwrite)
    except BaseException:
        ledger.discard(keys)
        raise


def declared_crc32c(sha256: t.Any, crc32c: t.Any) -> str:
    """Check the SHA-256 (hex) and CRC32C (a number) a client computed of the file it sent
    straight to the bucket; the CRC32C as GCS shows it (base64), to compare with the object's."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise Invalid("sha256 must be 64 lowercase hex digits", fields={"sha256": "Must be 64 hex digits."})
    if isinstance(crc32c, bool) or not isinstance(crc32c, int) or not 0 <= crc32c < 2**32:
        raise Invalid("crc32c must be the file's CRC32C as a number", fields={"crc32c": "Must be a 32-bit number."})
    return base64.b64encode(crc32c.to_bytes(4, "big")).decode()
