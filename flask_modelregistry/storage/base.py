"""The artifact store interface.

Stores hold opaque objects under keys chosen by the registry (one fresh key per upload).
Writes are atomic: an object exists under its key only after a complete, successful write.
Reads and writes stream in chunks; no method holds a whole file in memory.
"""
from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import hashlib
import typing as t

from ..errors import TooLarge

READ_CHUNK = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class StoredObject:
    size: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class ListedObject:
    """An object (or a partial write) found in the store, with when it was last written."""

    key: str
    modified: dt.datetime  # aware, UTC
    size: int
    #: for a partial write: :func:`partial_tag` of the key it is being written to, when known
    owner: str | None = None


def partial_tag(key: str) -> str:
    """A short, file-name-safe tag of ``key``, put in the name of its partial writes so that the
    sweeper can tell whose upload a partial write belongs to."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class _Hasher:
    """Reads a stream chunk by chunk, counting and hashing, and stops at ``max_size``."""

    def __init__(self, stream: t.BinaryIO, max_size: int | None) -> None:
        self.stream = stream
        self.max_size = max_size
        self.size = 0
        self.sha256 = hashlib.sha256()

    def chunks(self, chunk_size: int = READ_CHUNK) -> t.Iterator[bytes]:
        while True:
            chunk = self.stream.read(chunk_size)
            if not chunk:
                return
            self.size += len(chunk)
            if self.max_size is not None and self.size > self.max_size:
                raise TooLarge(f"file is larger than the limit of {self.max_size} bytes")
            self.sha256.update(chunk)
            yield chunk

    def result(self) -> StoredObject:
        return StoredObject(size=self.size, sha256=self.sha256.hexdigest())


class ArtifactStore(abc.ABC):
    """Where artifact bytes live. Implementations: :class:`LocalArtifactStore`, :class:`GCSArtifactStore`."""

    #: a short name shown in logs and on the settings page
    kind = "abstract"
    #: whether clients that ask (MLflow's ``server-info``) are told to send large files in
    #: parallel parts. Parts arrive out of order, so the joined file is read back once to hash
    #: it, where one streamed PUT is hashed as it arrives: worth it only where one stream is
    #: slower than the store (not on a local disk). Parts are taken either way.
    multipart_preferred = False

    @abc.abstractmethod
    def write(self, key: str, stream: t.BinaryIO, *, max_size: int | None = None,
              content_type: str = "application/octet-stream") -> StoredObject:
        """Stream ``stream`` to ``key``; all or nothing. Raises :class:`TooLarge` past ``max_size``."""

    @abc.abstractmethod
    def read(self, key: str, start: int = 0, length: int | None = None) -> t.Iterator[bytes]:
        """Yield the object's bytes from ``start``, ``length`` bytes or to the end."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Delete one object; a missing object is not an error."""

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abc.abstractmethod
    def copy(self, src: str, dst: str) -> None:
        """Copy an object to a new key without passing its bytes through the app where possible."""

    @abc.abstractmethod
    def list_objects(self, prefix: str = "") -> t.Iterator[ListedObject]:
        """Every complete object whose key starts with ``prefix``, with its age (for the sweeper)."""

    def list_partial(self) -> t.Iterator[ListedObject]:
        """Writes that never finished and the store keeps (none by default), for the sweeper."""
        return iter(())

    def delete_partial(self, name: str) -> None:
        """Delete one partial write named by :meth:`list_partial`."""

    def delete_many(self, keys: t.Iterable[str]) -> None:
        for key in keys:
            self.delete(key)

    # -- multipart uploads: parts sent in parallel, assembled into one object ------------------

    def part_keys(self, upload: str, count: int) -> list[str]:
        """Objects the parts of ``upload`` are kept in until assembled, to reserve in the ledger
        (none where parts go into a partial write the sweeper knows, as on the local folder)."""
        return []

    def write_part(self, upload: str, number: int, count: int, stream: t.BinaryIO, length: int, *,
                   max_size: int | None = None) -> int:
        """Store part ``number`` (1-based) of ``count`` of ``upload``, ``length`` bytes; every part
        but the last has the same length. Returns the bytes stored. Sending a part again replaces it."""
        raise NotImplementedError(f"the {self.kind} store takes no multipart uploads")

    def assemble(self, upload: str, key: str, sizes: t.Sequence[int], *,
                 content_type: str = "application/octet-stream") -> StoredObject:
        """Join the parts of ``upload`` (their ``sizes`` in order, checked beforehand) into the
        object ``key``, hashing it; the parts are gone afterwards."""
        raise NotImplementedError(f"the {self.kind} store takes no multipart uploads")

    def abort_parts(self, upload: str, count: int) -> None:
        """Delete whatever parts of ``upload`` were stored."""

    def signed_url(self, key: str, *, method: str = "GET", expires_in: int = 900,
                   content_type: str | None = None, filename: str | None = None) -> str | None:
        """A URL the client may use directly, or ``None`` when the store cannot sign."""
        return None

    def describe(self) -> str:
        return self.kind
