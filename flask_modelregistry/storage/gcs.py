"""Artifacts in a Google Cloud Storage bucket, through google-cloud-storage.

Uploads go through a resumable session in ``chunk_size`` pieces (a multiple of 256 KiB),
so memory stays near two chunks whatever the file's size; the object appears only when the
session is finalised, so a failed upload leaves nothing. ``if_generation_match=0`` makes
each write create a new object and never replace one.
"""
from __future__ import annotations

import datetime as dt
import typing as t

from ..errors import StorageError
from .base import ArtifactStore, ListedObject, StoredObject, _Hasher

if t.TYPE_CHECKING:
    from google.cloud.storage import Bucket

DEFAULT_CHUNK = 8 * 1024 * 1024


class GCSArtifactStore(ArtifactStore):
    kind = "gcs"

    def __init__(self, bucket: Bucket, prefix: str = "", *, chunk_size: int = DEFAULT_CHUNK) -> None:
        if chunk_size % (256 * 1024):
            raise ValueError("chunk_size must be a multiple of 256 KiB")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.chunk_size = chunk_size

    @classmethod
    def from_uri(cls, uri: str, *, chunk_size: int = DEFAULT_CHUNK) -> GCSArtifactStore:
        """``gs://BUCKET/PREFIX``; honours ``STORAGE_EMULATOR_HOST`` as the client does."""
        from google.cloud import storage

        rest = uri[len("gs://"):]
        bucket_name, _, prefix = rest.partition("/")
        if not bucket_name:
            raise ValueError(f"no bucket in storage URI {uri!r}")
        client = storage.Client()
        return cls(client.bucket(bucket_name), prefix, chunk_size=chunk_size)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def write(self, key: str, stream: t.BinaryIO, *, max_size: int | None = None,
              content_type: str = "application/octet-stream") -> StoredObject:
        blob = self.bucket.blob(self._name(key), chunk_size=self.chunk_size)
        hasher = _Hasher(stream, max_size)
        writer = blob.open("wb", chunk_size=self.chunk_size, content_type=content_type,
                           if_generation_match=0, ignore_flush=True)
        try:
            for chunk in hasher.chunks():
                writer.write(chunk)
        except BaseException:
            # Cancel the resumable session: the object is never finalised, so nothing exists.
            self._terminate(writer)
            raise
        try:
            writer.close()
        except Exception as exc:
            self.delete(key)
            raise StorageError(f"the bucket refused the upload: {exc}") from exc
        return hasher.result()

    @staticmethod
    def _terminate(writer: t.Any) -> None:
        try:
            writer.terminate()
        except Exception:  # the session may already be gone; it expires on its own
            pass
        finally:
            # A closed buffer stops IOBase.__del__ -> close() from finalising a partial object.
            if not writer._buffer.closed:
                writer._buffer.close()

    def read(self, key: str, start: int = 0, length: int | None = None) -> t.Iterator[bytes]:
        from google.api_core.exceptions import NotFound

        blob = self.bucket.blob(self._name(key))
        if length is None:
            try:
                blob.reload()
            except NotFound:
                raise FileNotFoundError(key) from None
            length = max(0, (blob.size or 0) - start)
        last = start + length - 1
        chunk = self.chunk_size

        def generate() -> t.Iterator[bytes]:
            pos = start
            while pos <= last:
                stop = min(pos + chunk - 1, last)
                data = blob.download_as_bytes(start=pos, end=stop, checksum=None, raw_download=True)
                if not data:
                    return
                yield data
                pos += len(data)

        return generate()

    def delete(self, key: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self.bucket.blob(self._name(key)).delete()
        except NotFound:
            pass

    def exists(self, key: str) -> bool:
        return self.bucket.blob(self._name(key)).exists()

    def copy(self, src: str, dst: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self.bucket.copy_blob(self.bucket.blob(self._name(src)), self.bucket, self._name(dst),
                                  if_generation_match=0)
        except NotFound:
            raise FileNotFoundError(src) from None

    def list_objects(self, prefix: str = "") -> t.Iterator[ListedObject]:
        """Objects under the store's prefix. Unfinished resumable uploads are not objects: GCS
        lists no sessions and drops them a week after they start."""
        base = f"{self.prefix}/" if self.prefix else ""
        for blob in self.bucket.list_blobs(prefix=base + prefix):
            modified = blob.updated or blob.time_created or dt.datetime.now(dt.timezone.utc)
            yield ListedObject(blob.name[len(base):], modified, blob.size or 0)

    def signed_url(self, key: str, *, method: str = "GET", expires_in: int = 900,
                   content_type: str | None = None, filename: str | None = None) -> str | None:
        blob = self.bucket.blob(self._name(key))
        kwargs: dict[str, t.Any] = {"version": "v4", "method": method,
                                    "expiration": dt.timedelta(seconds=expires_in)}
        if content_type:
            kwargs["content_type"] = content_type
        if filename and method == "GET":
            kwargs["response_disposition"] = f'attachment; filename="{filename}"'
        try:
            return blob.generate_signed_url(**kwargs)
        except (AttributeError, TypeError, ValueError):
            return None  # credentials that cannot sign (anonymous, user credentials)

    def describe(self) -> str:
        return f"gs://{self.bucket.name}/{self.prefix}"
