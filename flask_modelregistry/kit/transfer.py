"""Streaming uploads from and downloads to HTTP, shared by every front door.

Uploads read ``request.stream`` directly (never ``request.form``, ``files`` or ``get_data``), so a
5 GB body passes through in 1 MiB pieces. Downloads are generators with ``Content-Length``,
single ``Range`` requests (206), ``ETag`` (the sha256) and ``nosniff``.
"""
from __future__ import annotations

import typing as t

from flask import Response, redirect, request

from ..config import config_value
from ..errors import TooLarge
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


def request_body() -> t.BinaryIO:
    """The request body to stream into the store: the raw input when its length is declared
    (within the limit, checked before), else Werkzeug's stream (chunked bodies)."""
    length = request.content_length
    raw = request.environ.get("wsgi.input")
    if length is not None and raw is not None:
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
