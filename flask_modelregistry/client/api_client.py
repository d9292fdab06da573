"""HTTP calls of the command-line client: the JSON API for models and versions, the package API
for files. Every failure becomes a :class:`ClientError` carrying the exit code the CLI returns."""
from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import typing as t
from urllib.parse import quote

import requests

from .. import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_NOT_FOUND = 4
EXIT_NETWORK = 5

_STATUS_EXIT = {400: EXIT_USAGE, 401: EXIT_AUTH, 403: EXIT_AUTH, 404: EXIT_NOT_FOUND, 422: EXIT_USAGE}


class ClientError(Exception):
    """A failure to report to the user, with the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.status = status


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class VersionRef:
    model_id: int
    model_name: str
    version_id: int
    version: str

    @property
    def package_name(self) -> str:
        return f"{self.model_name}/{self.version}"


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json()["error"]
        message = error.get("message") or response.reason
        fields = error.get("fields") or {}
        if fields:
            message += " (" + "; ".join(f"{k}: {v}" for k, v in fields.items()) + ")"
        return message
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"{response.status_code} {response.reason}"


def error_for(response: requests.Response, what: str) -> ClientError:
    """A ClientError saying what failed and why, with a hint for the usual causes."""
    status = response.status_code
    message = f"{what}: {_error_message(response)} (HTTP {status})"
    if status == 401:
        message += ". Set MODEL_REGISTRY_TOKEN (or --token) to a valid token of the portal."
    elif status == 403:
        message += ". Your role or the token's scope does not allow this (writing needs the api scope)."
    elif status == 413:
        message += ". The file is above the registry's size limit per file; split it into parts."
    return ClientError(message, _STATUS_EXIT.get(status, EXIT_FAILED), status)


class RegistryClient:
    """The registry of one portal: ``base_url`` is the portal's address (with its mount prefix)."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 600.0,
                 session: requests.Session | None = None) -> None:
        if not base_url:
            raise ClientError("no registry URL: set MODEL_REGISTRY_URL (or --url) to the portal's address, "
                              "e.g. https://portal.example.com", EXIT_USAGE)
        if not base_url.startswith(("http://", "https://")):
            raise ClientError(f"the registry URL must start with http:// or https://, not {base_url!r}", EXIT_USAGE)
        self.api = base_url.rstrip("/") + "/api/v1"
        self.timeout = (10.0, timeout)
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"modelregistry-cli/{__version__}"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # -- plumbing ----------------------------------------------------------------------------

    def request(self, method: str, url: str, what: str, *, ok: t.Iterable[int] = (200, 201, 204, 206),
                **kwargs: t.Any) -> requests.Response:
        """Send a request; raise ClientError for network failures and for statuses not in ``ok``."""
        return self._send(self.session, method, url, what, ok=ok, **kwargs)

    def _send(self, session: requests.Session, method: str, url: str, what: str, *,
              ok: t.Iterable[int] = (200, 201, 204, 206), **kwargs: t.Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = session.request(method, url, **kwargs)
        except requests.exceptions.ConnectionError as exc:
            raise ClientError(f"{what}: cannot reach the registry at {self.api} ({_reason(exc)})", EXIT_NETWORK) from None
        except requests.exceptions.Timeout:
            raise ClientError(f"{what}: the registry did not answer in time", EXIT_NETWORK) from None
        except requests.exceptions.RequestException as exc:
            raise ClientError(f"{what}: {exc}", EXIT_NETWORK) from None
        if response.status_code not in ok:
            error = error_for(response, what)
            response.close()
            raise error
        return response

    def project_url(self, project: str) -> str:
        return f"{self.api}/projects/{quote(project, safe='')}"

    def files_url(self, project: str, version_id: int, path: str | None = None) -> str:
        url = f"{self.project_url(project)}/packages/ml_models/{version_id}/files"
        return url if path is None else f"{url}/{quote(path, safe='/')}"

    # -- models and versions ------------------------------------------------------------------

    def _find_exact(self, url: str, what: str, field: str, value: str) -> dict[str, t.Any] | None:
        """The item of a searchable list whose ``field`` is exactly ``value`` (search matches parts)."""
        page = 1
        while True:
            body = self.request("GET", url, what, params={"search": value, "per_page": 100, "page": page}).json()
            for item in body["items"]:
                if item[field] == value:
                    return item
            if page * body["per_page"] >= body["total"]:
                return None
            page += 1

    def _by_id(self, url: str, what: str) -> dict[str, t.Any] | None:
        try:
            return self.request("GET", url, what).json()
        except ClientError as exc:
            if exc.status != 404:
                raise
        return None

    def find_model(self, project: str, name: str) -> dict[str, t.Any] | None:
        """The model named exactly ``name`` (or with that numeric id), or None."""
        url = f"{self.project_url(project)}/models"
        found = self._find_exact(url, f"listing the models of {project}", "name", name)
        if found is None and name.isdigit():
            found = self._by_id(f"{url}/{name}", f"model {name}")
        return found

    def create_model(self, project: str, name: str) -> dict[str, t.Any]:
        return self.request("POST", f"{self.project_url(project)}/models", f"creating model {name}",
                            json={"name": name}).json()

    def find_version(self, project: str, model: dict[str, t.Any], version: str) -> dict[str, t.Any] | None:
        """The version ``version`` (semantic version, or numeric id) of ``model``, or None."""
        url = f"{self.project_url(project)}/models/{model['id']}/versions"
        found = self._find_exact(url, f"listing the versions of {model['name']}", "version", version)
        if found is None and version.isdigit():
            found = self._by_id(f"{url}/{version}", f"version {version}")
        return found

    def create_version(self, project: str, model: dict[str, t.Any], version: str,
                       description: str = "") -> dict[str, t.Any]:
        return self.request("POST", f"{self.project_url(project)}/models/{model['id']}/versions",
                            f"creating version {version} of {model['name']}",
                            json={"version": version, "description": description}).json()

    def resolve(self, project: str, model_name: str, version: str, *, create_version: bool = False,
                create_model: bool = False, description: str = "") -> tuple[VersionRef, list[str]]:
        """The version to work on, creating what the flags allow; also says what was created."""
        created: list[str] = []
        model = self.find_model(project, model_name)
        if model is None and create_model:
            try:
                model = self.create_model(project, model_name)
                created.append(f"model {model_name}")
            except ClientError as exc:
                if exc.status != 409:
                    raise
                model = self.find_model(project, model_name)  # created meanwhile by someone else
        if model is None:
            hint = " (pass --create-model to create it)" if create_version else ""
            raise ClientError(f"model {model_name!r} not found in project {project!r}{hint}", EXIT_NOT_FOUND, 404)
        found = self.find_version(project, model, version)
        if found is None and create_version:
            try:
                found = self.create_version(project, model, version, description)
                created.append(f"version {version}")
            except ClientError as exc:
                if exc.status != 409:
                    raise
                found = self.find_version(project, model, version)
        if found is None:
            raise ClientError(f"version {version!r} of model {model['name']!r} not found", EXIT_NOT_FOUND, 404)
        return VersionRef(model["id"], model["name"], found["id"], found["version"]), created

    # -- files --------------------------------------------------------------------------------

    def list_files(self, project: str, version_id: int) -> dict[str, RemoteFile]:
        body = self.request("GET", self.files_url(project, version_id), "listing the package's files").json()
        return {f["path"]: RemoteFile(f["path"], int(f["size"]), f["sha256"]) for f in body["items"]}

    def put_file(self, project: str, version_id: int, path: str, body: t.Any, *, overwrite: bool = False) -> RemoteFile:
        """Stream ``body`` (a file-like object with ``__len__``) as the file ``path``."""
        response = self.request(
            "PUT", self.files_url(project, version_id, path), f"uploading {path}",
            data=body, params={"overwrite": "true"} if overwrite else None,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(body))})
        info = response.json()
        return RemoteFile(info["path"], int(info["size"]), info["sha256"])

    def put_file_in_parts(self, project: str, version_id: int, path: str, source: t.Any, size: int, *,
                          part_size: int, workers: int, overwrite: bool = False,
                          on_progress: t.Callable[[int], t.Any] = lambda n: None) -> RemoteFile:
        """Send the file ``source`` (a local path) as parts of ``part_size`` bytes, ``workers`` at a
        time; the upload is aborted (nothing kept) if a part fails. When the server answers that
        the parts go straight to the bucket (GCS), they are sent there with the headers it gives
        and none of this client's credentials, and the file's SHA-256 and CRC32C, computed in one
        more pass at the same time, go with the completion for the server to check against the
        bucket's object."""
        base = f"{self.project_url(project)}/packages/ml_models/{version_id}/uploads"
        created = self.request("POST", base, f"starting the upload of {path}",
                               json={"path": path, "size": size, "part_size": part_size,
                                     "overwrite": overwrite}).json()
        upload_id = created["upload_id"]
        direct = created.get("direct") is True

        def send(part: dict[str, t.Any]) -> dict[str, t.Any]:
            number = part["part_number"]
            start = (number - 1) * part_size
            body = FileRange(source, start, min(part_size, size - start), on_progress)
            with requests.Session() as session:
                if not direct:  # the bucket gets no token of this registry
                    session.headers.update(self.session.headers)
                response = self._send(session, "PUT", part["url"], f"uploading part {number} of {path}", data=body,
                                      headers={**(part.get("headers") or {}), "Content-Length": str(len(body)),
                                               **({} if direct else {"Content-Type": "application/octet-stream"})})
            etag = response.headers.get("ETag", "") if direct else response.json()["etag"]
            return {"part_number": number, "etag": etag}

        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=workers + direct) as pool:
                checksums = pool.submit(file_checksums, source) if direct else None
                done = list(pool.map(send, created["parts"]))
                complete = {"upload_id": upload_id, "parts": done}
                if checksums is not None:
                    complete["sha256"], complete["crc32c"] = checksums.result()
            info = self.request("POST", f"{base}/complete", f"completing the upload of {path}", json=complete).json()
        except BaseException:
            try:
                self.request("POST", f"{base}/abort", f"aborting the upload of {path}", json={"upload_id": upload_id})
            except ClientError:
                pass  # the server's sweeper removes what is left
            raise
        return RemoteFile(info["path"], int(info["size"]), info["sha256"])

    def open_file(self, project: str, version_id: int, path: str, *, start: int = 0,
                  etag: str | None = None) -> requests.Response:
        """A streamed response of the file; from byte ``start`` (206) when the server still has the
        same content (``etag``), else all of it (200)."""
        headers = {}
        if start:
            headers["Range"] = f"bytes={start}-"
            if etag:
                headers["If-Range"] = f'"{etag}"'
        return self.request("GET", self.files_url(project, version_id, path), f"downloading {path}",
                            headers=headers, stream=True)


def file_checksums(source: t.Any) -> tuple[str, int]:
    """The SHA-256 (hex) and CRC32C (a number, as GCS computes it) of a local file, in one pass."""
    import google_crc32c

    sha, crc = hashlib.sha256(), google_crc32c.Checksum()
    with open(source, "rb") as f:
        while chunk := f.read(4 * 1024 * 1024):
            sha.update(chunk)
            crc.update(chunk)
    return sha.hexdigest(), int.from_bytes(crc.digest(), "big")


class FileRange:
    """``length`` bytes of a local file from ``start``, read in pieces for an HTTP body (``len()``
    gives the Content-Length), reporting each piece read."""

    def __init__(self, source: t.Any, start: int, length: int, on_progress: t.Callable[[int], t.Any]) -> None:
        self.source, self.start, self.length, self.on_progress = source, start, length, on_progress
        self._file: t.BinaryIO | None = None
        self._left = length

    def __len__(self) -> int:
        return self.length

    def read(self, n: int = -1) -> bytes:
        if self._file is None:
            self._file = open(self.source, "rb")
            self._file.seek(self.start)
        if self._left <= 0:
            self._file.close()
            return b""
        chunk = self._file.read(min(self._left, 1024 * 1024 if n is None or n < 0 else max(n, 1024 * 1024)))
        self._left -= len(chunk)
        self.on_progress(len(chunk))
        return chunk


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Connection reset",
                   "Remote end closed connection"):
        if marker in text:
            return marker.lower()
    return text[:200]
