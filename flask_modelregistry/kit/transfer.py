"""Streaming uploads from and downloads to HTTP, shared by every front door.

Uploads read ``request.stream`` directly (never ``request.form``, ``files`` or ``get_data``), so a
5 GB body passes through in 1 MiB pieces. Downloads are generators with ``Content-Length``,
single ``Range`` requests (206), ``ETag`` (the sha256) and ``nosniff``.
"""
from __future__ import annotations

import io
import typing as t

from flask import Response, redirect, request

from ..config import config_value
from ..errors import TooLarge
from .failures import GuardedBody
from ..paths import content_disposition
from ..services import artifacts as artifact_service
from ..services import multipart
from ..services.identity import Actor
from ..state import current_state
from ..services.artifacts import ArtifactView


def upload_from_request(project: str, actor: Actor, run_id: str, path: str, *, overwrite: bool = False) -> ArtifactView:
    limit = int(config_value("MAX_FILE_SIZE"))
    length = request.content_length
    if length is not None and length > limit:  # say so before Werkzeug's generic 413 does
        raise TooLarge(f"the file is {length} bytes, larger than the limit of {limit} bytes; split it")
    request.max_content_length = limit
    return artifact_service.upload_artifact(
        project, actor, run_id, path, request_body(), content_length=length,
        content_type=request.headers.get("Content-Type"), overwrite=overwrite)


class _Body:
    """The WSGI input of a body of known length, read straight (Werkzeug's stream copies every
    chunk once more into a buffer of its own, a sixth of an upload's time in the profile); never
    reads past the declared length, so a keep-alive connection stays in step."""

    def __init__(self, raw: t.BinaryIO, length: int) -> None:
        self.raw, self.left = raw, length

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.raw.read(size)
        self.left -= len(data)
        if not data:
            self.left = 0
        return data


class _SocketBody:
    """A body of known length under gunicorn, received straight into the caller's buffer
    (``recv_into``) from the connection's socket.

    gunicorn's reader hands out each piece as a new ``bytes`` and copies it through two
    ``BytesIO`` on the way (about four copies of every byte, and a fresh megabyte of memory per
    ``recv``, which costs a page fault per page on a virtual machine); here the kernel copies
    each byte once, into buffers the upload reuses. What gunicorn already read past the headers
    is taken through its own reader first, and its count of the body's bytes still to come is
    kept exact after every read, so the connection stays in step: gunicorn discards what an
    upload that stopped early left unread, and never mistakes the body for the next request."""

    def __init__(self, body: t.Any, sock: t.Any, length: int) -> None:
        self.body, self.reader, self.sock = body, body.reader, sock
        self.unreader = body.reader.unreader
        self.left = length

    def _held(self) -> int:
        buf = self.unreader.buf
        buf.seek(0, io.SEEK_END)
        return buf.tell()

    def readinto(self, view: t.Any) -> int:
        wanted = min(len(view), self.left)
        if wanted <= 0:
            return 0
        try:
            held = self._held()
            if held:  # read past the headers by gunicorn: through its reader, which counts it
                data = self.reader.read(min(wanted, held))
                got = len(data)
                view[:got] = data
            else:
                got = self.sock.recv_into(view, wanted)
                self.reader.length -= got
        except BaseException:
            self.body.failed = True  # where the next request starts is unknown: close after
            raise
        if not got:  # the client closed the connection before the body's end
            self.body.failed = True
            self.left = 0
        self.left -= got
        return got

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes, fewer only at the body's end (as gunicorn's reader answers)."""
        size = self.left if size is None or size < 0 else min(size, self.left)
        buffer = bytearray(size)
        got = 0
        with memoryview(buffer) as view:
            while got < size and (n := self.readinto(view[got:])):
                got += n
        del buffer[got:]
        return bytes(buffer)


def _socket_body(raw: t.Any, sock: t.Any, length: int) -> _SocketBody | None:
    """A :class:`_SocketBody` where the server is gunicorn (``raw`` its body, ``sock`` the
    connection) and nothing of the body was read yet; else None."""
    reader = getattr(raw, "reader", None)
    buf = getattr(raw, "buf", None)
    if sock is None or not hasattr(sock, "recv_into") or type(reader).__name__ != "LengthReader":
        return None
    unreader = getattr(reader, "unreader", None)
    if (getattr(reader, "length", None) != length or not isinstance(buf, io.BytesIO) or buf.getvalue()
            or not isinstance(getattr(unreader, "buf", None), io.BytesIO) or not hasattr(raw, "failed")):
        return None
    return _SocketBody(raw, sock, length)


def request_body() -> t.BinaryIO:
    """The request body to stream into the store: straight from the socket under gunicorn, the raw
    input of other servers when its length is declared (within the limit, checked before), else
    Werkzeug's stream (chunked bodies)."""
    length = request.content_length
    raw = request.environ.get("wsgi.input")
    if length is not None and raw is not None:
        guarded = isinstance(raw, GuardedBody)
        direct = _socket_body(raw.raw if guarded else raw, request.environ.get("gunicorn.socket"), length)
        if direct is not None:  # read errors still become the one 400 of a broken body
            return t.cast(t.BinaryIO, GuardedBody(direct) if guarded else direct)
        return t.cast(t.BinaryIO, _Body(raw, length))
    return request.stream


def part_from_request(project: str, upload_id: t.Any, number: int) -> str:
    """One part of a multipart upload from the request body; its ETag."""
    request.max_content_length = int(config_value("MAX_FILE_SIZE"))
    return multipart.upload_part(project, upload_id, number, request_body(), request.content_length)


def download_response(artifact: ArtifactView, *, inline: bool = False, allow_redirect: bool = True) -> Response:
    """The file as a streamed response honouring Range, If-None-Match and HEAD."""
    if allow_redirect and config_value("SIGNED_URL_DOWNLOADS"):
        url = current_state().store.signed_url(
            artifact.storage_key, method="GET", expires_in=int(config_value("SIGNED_URL_EXPIRY")),
            filename=artifact.path.rsplit("/", 1)[-1])
        if url:
            response = redirect(url, code=302)
            response.headers["Cache-Control"] = "private, no-store"
            return response
    etag = artifact.sha256
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{etag}"',
        "Content-Disposition": content_disposition(artifact.path, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Last-Modified": artifact.created_at.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    content_type = artifact.content_type if inline else (artifact.content_type or "application/octet-stream")
    if request.if_none_match and request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    try:
        byte_range = artifact_service.parse_range(request.headers.get("Range"), artifact.size)
    except artifact_service.RangeNotSatisfiable as exc:
        headers["Content-Range"] = f"bytes */{exc.size}"
        return Response(status=416, headers=headers)
    if byte_range is not None and request.if_range.etag and request.if_range.etag != etag:
        byte_range = None  # If-Range names another version of the file: send all of it
    status = 200
    length = artifact.size
    if byte_range is not None:
        status = 206
        length = byte_range.length
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.start + byte_range.length - 1}/{artifact.size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status=status, headers=headers, content_type=content_type)
    body = artifact_service.open_artifact(artifact, byte_range)
    # No stream_with_context: the app context (and its database session) ends when the view
    # returns, so no connection stays checked out while gigabytes flow.
    return Response(body, status=status, headers=headers, content_type=content_type,
                    direct_passthrough=True)
