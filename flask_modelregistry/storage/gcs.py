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
from ..paths import content_disposition
from .base import ArtifactStore, ListedObject, StoredObject, _Hasher
from .pipeline import hash_stream

if t.TYPE_CHECKING:
    from google.cloud.storage import Bucket

DEFAULT_CHUNK = 8 * 1024 * 1024


class GCSArtifactStore(ArtifactStore):
    kind = "gcs"
    multipart_preferred = True  # one stream to GCS is bound by one connection; GCS composes the parts

    def __init__(self, bucket: Bucket, prefix: str = "", *, chunk_size: int = DEFAULT_CHUNK,
                 signing_credentials: t.Any = None) -> None:
        if chunk_size % (256 * 1024):
            raise ValueError("chunk_size must be a multiple of 256 KiB")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.chunk_size = chunk_size
        #: credentials that sign URLs (a service account's key); None: the client's own, signing
        #: with their key or, for a service account without one (GCE, GKE, Cloud Run), through
        #: IAM ``signBlob`` (the account needs ``iam.serviceAccounts.signBlob`` on itself)
        self.signing_credentials = signing_credentials

    @classmethod
    def from_uri(cls, uri: str, *, chunk_size: int = DEFAULT_CHUNK, signing_key: t.Any = None) -> GCSArtifactStore:
        """``gs://BUCKET/PREFIX``; honours ``STORAGE_EMULATOR_HOST`` as the client does.
        ``signing_key``: a service account's JSON key (a file path or its parsed contents) to sign URLs with."""
        from google.cloud import storage

        rest = uri[len("gs://"):]
        bucket_name, _, prefix = rest.partition("/")
        if not bucket_name:
            raise ValueError(f"no bucket in storage URI {uri!r}")
        client = storage.Client()
        signer = None
        if signing_key:
            from google.oauth2 import service_account

            signer = (service_account.Credentials.from_service_account_info(signing_key)
                      if isinstance(signing_key, dict) else
                      service_account.Credentials.from_service_account_file(str(signing_key)))
        return cls(client.bucket(bucket_name), prefix, chunk_size=chunk_size, signing_credentials=signer)

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

    # -- multipart: each part an object of its own, composed into the file at the end ----------

    #: GCS composes at most this many objects in one request
    COMPOSE_LIMIT = 32

    def part_keys(self, upload: str, count: int) -> list[str]:
        if not upload.isalnum():
            raise ValueError(f"not an upload id: {upload!r}")
        return [f"multipart/{upload}/{n:05d}" for n in range(1, count + 1)]

    def write_part(self, upload: str, number: int, count: int, stream: t.BinaryIO, length: int, *,
                   max_size: int | None = None) -> int:
        key = self.part_keys(upload, count)[number - 1]
        self.delete(key)  # a part sent again replaces the first try
        return self.write(key, stream, max_size=length).size

    def assemble(self, upload: str, key: str, sizes: t.Sequence[int], *,
                 content_type: str = "application/octet-stream") -> StoredObject:
        """Compose the parts (:meth:`compose_parts`), then read the result once to hash it: GCS
        keeps crc32c and md5, not sha256."""
        size, _crc32c = self.compose_parts(upload, key, sizes, content_type=content_type)
        size, sha256 = hash_stream(_IterStream(self.read(key, 0, size)))
        return StoredObject(size=size, sha256=sha256)

    def compose_parts(self, upload: str, key: str, sizes: t.Sequence[int], *,
                      content_type: str = "application/octet-stream") -> tuple[int, str | None]:
        """Compose the parts into ``key``, at most 32 at a time (in levels for more), and delete
        them; answers the object's size and CRC32C (base64) as GCS computed them. No byte passes
        through this process."""
        parts = self.part_keys(upload, len(sizes))
        made: list[str] = []
        try:
            level = 0
            while len(parts) > self.COMPOSE_LIMIT:
                level += 1
                grouped = []
                for i in range(0, len(parts), self.COMPOSE_LIMIT):
                    name = f"multipart/{upload}/compose-{level}-{i // self.COMPOSE_LIMIT:05d}"
                    self._compose(parts[i:i + self.COMPOSE_LIMIT], name, content_type)
                    made.append(name)
                    grouped.append(name)
                parts = grouped
            self._compose(parts, key, content_type)
            blob = self.bucket.get_blob(self._name(key))
            if blob is None or blob.size != sum(sizes):
                self.delete(key)
                raise StorageError("the composed object does not have the size of its parts")
        finally:
            self.delete_many(made)
            self.abort_parts(upload, len(sizes))
        return int(blob.size), blob.crc32c

    def _compose(self, sources: t.Sequence[str], key: str, content_type: str) -> None:
        target = self.bucket.blob(self._name(key))
        target.content_type = content_type
        target.compose([self.bucket.blob(self._name(s)) for s in sources], if_generation_match=0)

    def abort_parts(self, upload: str, count: int) -> None:
        self.delete_many(self.part_keys(upload, count))

    def part_upload_url(self, upload: str, number: int, count: int, *, max_length: int,
                        expires_in: int) -> tuple[str, dict[str, str]] | None:
        """A V4 signed URL to PUT part ``number`` of ``upload`` straight to its object, and the
        headers the PUT must send (GCS refuses a body longer than ``max_length``); None when the
        store cannot sign. The emulator takes these PUTs on the XML API's path, ``/BUCKET/OBJECT``,
        but checks neither the signature nor the length range."""
        headers = {"x-goog-content-length-range": f"0,{max_length}"}
        blob = self.bucket.blob(self._name(self.part_keys(upload, count)[number - 1]))
        try:
            url = blob.generate_signed_url(version="v4", method="PUT", expiration=dt.timedelta(seconds=expires_in),
                                           headers=headers, **self._signer())
        except Exception:  # credentials that cannot sign (anonymous, a user's), or IAM refused
            return None
        return url, headers

    def part_stats(self, upload: str, count: int) -> list[tuple[int, str | None, str | None] | None]:
        """(size, crc32c, md5) of each part object of ``upload`` the bucket holds, None for a missing one."""
        return [self.stat(key) for key in self.part_keys(upload, count)]

    def signed_url(self, key: str, *, method: str = "GET", expires_in: int = 900,
                   content_type: str | None = None, filename: str | None = None) -> str | None:
        blob = self.bucket.blob(self._name(key))
        kwargs: dict[str, t.Any] = {"version": "v4", "method": method,
                                    "expiration": dt.timedelta(seconds=expires_in)}
        if content_type:
            kwargs["content_type"] = content_type
        if filename and method == "GET":
            kwargs["response_disposition"] = content_disposition(filename)
        try:
            return blob.generate_signed_url(**kwargs, **self._signer())
        except Exception:  # credentials that cannot sign (anonymous, a user's), or IAM refused
            return None

    def _signer(self) -> dict[str, t.Any]:
        if self.signing_credentials is not None:
            return {"credentials": self.signing_credentials}
        creds = getattr(self.bucket.client, "_credentials", None)
        if creds is not None and not hasattr(creds, "sign_bytes") and getattr(creds, "service_account_email", None):
            import google.auth.transport.requests

            if not creds.valid:
                creds.refresh(google.auth.transport.requests.Request())
            return {"service_account_email": creds.service_account_email, "access_token": creds.token}
        return {}

    def open_upload_session(self, key: str, *, size: int, content_type: str, origin: str | None) -> str:
        """A resumable upload session for the object ``key`` (created only if absent), for a client
        to send the bytes straight to GCS; the URL is the client's credential for it."""
        blob = self.bucket.blob(self._name(key))
        return blob.create_resumable_upload_session(size=size, content_type=content_type, origin=origin,
                                                    if_generation_match=0)

    def upload_session_progress(self, url: str) -> int | None:
        """How many bytes the resumable session at ``url`` holds (GCS's status query: an empty
        PUT with ``Content-Range: bytes */*``, which finalises nothing), the object's size once
        the session is finalised, or None when the session is gone (cancelled or expired).
        Raises :class:`StorageError` when GCS cannot say now."""
        try:
            answer = self._session_http().put(url, data=b"", headers={"Content-Range": "bytes */*"}, timeout=30)
        except Exception as exc:
            raise StorageError(f"could not ask an upload session where it stands: {exc}") from exc
        if answer.status_code == 308:
            held = answer.headers.get("Range", "")
            return int(held.rpartition("-")[2]) + 1 if held.startswith("bytes=0-") else 0
        if answer.status_code in (200, 201):
            try:
                return int(answer.json().get("size") or 0)
            except ValueError:
                return 0
        if answer.status_code in (404, 410, 499):
            return None
        raise StorageError(f"an upload session's status query answered {answer.status_code}")

    def cancel_upload_session(self, url: str) -> int:
        """Cancel the resumable session at ``url`` as GCS documents it (``DELETE`` on the session
        URI; GCS answers 499) and return the status answered. After it the session takes no
        more bytes and never becomes an object. Raises :class:`StorageError` when the request
        could not be sent or GCS failed (5xx or 429, so it can be sent again later)."""
        try:
            answer = self._session_http().delete(url, timeout=30)
        except Exception as exc:
            raise StorageError(f"could not cancel an upload session: {exc}") from exc
        if answer.status_code == 429 or (answer.status_code >= 500 and answer.status_code != 501):
            raise StorageError(f"cancelling an upload session answered {answer.status_code}")
        return answer.status_code

    def _session_http(self) -> t.Any:
        """The client's authorised HTTP session, as ``BlobWriter.terminate`` cancels its own
        sessions (a session URI needs no credentials, but a proxy or emulator may want them)."""
        return self.bucket.client._http

    def stat(self, key: str) -> tuple[int, str | None, str | None] | None:
        """(size, crc32c, md5) as GCS holds them (base64), or None when there is no object."""
        blob = self.bucket.get_blob(self._name(key))
        if blob is None:
            return None
        return int(blob.size or 0), blob.crc32c, blob.md5_hash

    def describe(self) -> str:
        return f"gs://{self.bucket.name}/{self.prefix}"


class _IterStream:
    """A readable over an iterator of byte chunks (what :meth:`GCSArtifactStore.read` yields)."""

    def __init__(self, chunks: t.Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = b""

    def read(self, size: int = -1) -> bytes:
        if not self._rest:
            self._rest = next(self._chunks, b"")
        if size < 0 or size >= len(self._rest):
            data, self._rest = self._rest, b""
        else:
            data, self._rest = self._rest[:size], self._rest[size:]
        return data
