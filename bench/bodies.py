"""Large request bodies made on the fly: deterministic bytes of any length, produced a block at a
time (never held whole), with their sha256 computed as they are sent."""
from __future__ import annotations

import hashlib
import http.client
import os
import typing as t
import urllib.parse

BLOCK = 1024 * 1024


class GeneratedBody:
    """A readable file of ``size`` bytes: each 1 MiB block is its index followed by fixed random
    bytes, so no two blocks are equal and nothing is stored. ``sha256`` is complete once read."""

    def __init__(self, size: int, *, seed: bytes | None = None) -> None:
        self.size = size
        self.left = size
        self._filler = (seed or os.urandom(64)) * (BLOCK // 64)
        self._index = 0
        self._pending = b""
        self.digest = hashlib.sha256()

    def __len__(self) -> int:
        return self.size

    def _block(self) -> bytes:
        block = self._index.to_bytes(8, "big") + self._filler[8:]
        self._index += 1
        return block

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        n = self.left if n is None or n < 0 else min(n, self.left)
        parts, have = [], 0
        while have < n:
            if not self._pending:
                self._pending = self._block()
            take = self._pending[: n - have]
            self._pending = self._pending[len(take):]
            parts.append(take)
            have += len(take)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        self.left -= len(data)
        self.digest.update(data)
        return data

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def put_body(url: str, body: t.Any, headers: dict[str, str], *, method: str = "PUT",
             blocksize: int = 4 * BLOCK, timeout: float = 600) -> tuple[int, bytes]:
    """Send ``body`` (a readable with ``len``) with ``Content-Length``, in large writes (http.client
    reads 8 KiB at a time by default, which would measure the client); (status, response body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, blocksize=blocksize)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body, headers={**headers, "Content-Length": str(len(body))})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
