"""Artifact path validation, applied after every decoding step (URL, form, JSON).

A path is relative, uses ``/`` as its only separator, and each segment is a plain name:
no ``.`` or ``..`` (nor look-alikes such as fullwidth ``．．``), no empty segment, no backslash,
no NUL, control or invisible character (see :mod:`flask_modelregistry.text`), at most 255
characters per segment and 1024 in all. Paths are kept in Unicode NFC, so ``café`` typed
composed or decomposed names one file.
"""
from __future__ import annotations

import posixpath
import unicodedata
from urllib.parse import quote

from .errors import BadRequest
from .text import describe_character, invisible_character, looks_like_dot_segment, nfc

MAX_SEGMENT = 255
MAX_PATH = 1024


def validate_artifact_path(raw: object, *, allow_empty: bool = False, what: str = "path") -> str:
    """Return the normalised path, or raise :class:`BadRequest` saying what is wrong."""
    if not isinstance(raw, str):
        raise BadRequest(f"{what} must be a string")
    path = raw.strip("/") if allow_empty else raw
    for ch in path:
        if ch == "\x00" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            raise BadRequest(f"{what} must not contain control characters")
    hidden = invisible_character(path)
    if hidden is not None:
        raise BadRequest(f"{what} must not contain invisible characters ({describe_character(hidden)})")
    path = nfc(path)
    if path == "":
        if allow_empty:
            return ""
        raise BadRequest(f"{what} is empty")
    if len(path) > MAX_PATH:
        raise BadRequest(f"{what} is longer than {MAX_PATH} characters")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise BadRequest(f"{what} must be relative")
    if "\\" in path:
        raise BadRequest(f"{what} must not contain a backslash")
    segments = path.split("/")
    for seg in segments:
        if seg == "":
            raise BadRequest(f"{what} must not contain empty segments")
        if seg in (".", ".."):
            raise BadRequest(f"{what} must not contain '.' or '..' segments")
        if looks_like_dot_segment(seg):
            raise BadRequest(f"{what} must not contain segments that read as '.', '..' or a slash ({seg!r})")
        if len(seg) > MAX_SEGMENT:
            raise BadRequest(f"each segment of {what} must be at most {MAX_SEGMENT} characters")
        if seg != seg.strip():
            raise BadRequest(f"segments of {what} must not start or end with spaces")
    if posixpath.normpath(path) != path:
        raise BadRequest(f"{what} is not normalised")
    return path


def join_artifact_path(folder: str, name: str) -> str:
    """Join an optional subfolder and a file name, validating the result."""
    folder = validate_artifact_path(folder or "", allow_empty=True, what="subfolder")
    name = validate_artifact_path(name, what="file name")
    return validate_artifact_path(f"{folder}/{name}" if folder else name)


def content_disposition(path: str, *, inline: bool = False) -> str:
    """The ``Content-Disposition`` of a download of ``path``: its file name, ASCII and UTF-8."""
    name = path.rsplit("/", 1)[-1]
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "").replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
