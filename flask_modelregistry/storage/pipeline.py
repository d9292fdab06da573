"""Receiving, hashing and writing an upload at the same time.

Profiling a 2 GiB upload on the local store (cProfile, gunicorn gthread worker) showed the three
steps taking turns in one thread: ``write`` into the page cache about 45 % of the time (blocked
on the disk's write-back), ``sha256`` about 20 %, ``recv`` and the server's body buffers the rest.
Each of them releases the GIL on large buffers (``socket.recv``, ``hashlib`` above 2 KiB,
``os.write``), so each gets a thread of its own here, fed through a bounded queue: the upload then
runs at the pace of its slowest step instead of their sum, and at most ``depth`` chunks per step
are held, whatever the file's size.
"""
from __future__ import annotations

import hashlib
import os
import queue
import threading
import typing as t

from ..errors import TooLarge

#: read size of an upload: large, so that each step's per-call cost (and GIL hand-over) is rare
PIPELINE_CHUNK = 4 * 1024 * 1024
#: chunks queued per step at most: memory is about ``2 * depth * chunk`` per upload in flight
PIPELINE_DEPTH = 4

_END = object()


class _Stage(threading.Thread):
    """Calls ``consume`` on every chunk queued; after a failure it keeps draining the queue
    (discarding), so the producer never blocks on a full queue, and the error is raised there."""

    def __init__(self, consume: t.Callable[[bytes], t.Any], depth: int, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.consume = consume
        self.queue: queue.Queue[t.Any] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.cancelled = False

    def run(self) -> None:
        while True:
            chunk = self.queue.get()
            if chunk is _END:
                return
            if self.error is None and not self.cancelled:
                try:
                    self.consume(chunk)
                except BaseException as exc:  # handed to the producer's thread
                    self.error = exc


class Pipeline:
    """Feeds each chunk to every consumer, each on a thread of its own.

    Used as a context manager: leaving it normally waits until every consumer has taken every
    chunk and raises the first consumer's error; leaving it on an exception cancels the rest.
    """

    def __init__(self, consumers: t.Sequence[t.Callable[[bytes], t.Any]], *, depth: int = PIPELINE_DEPTH) -> None:
        self.stages = [_Stage(c, depth, f"upload-stage-{i}") for i, c in enumerate(consumers)]

    def __enter__(self) -> Pipeline:
        for stage in self.stages:
            stage.start()
        return self

    def feed(self, chunk: bytes) -> None:
        self._raise_failure()
        for stage in self.stages:
            stage.queue.put(chunk)

    def _raise_failure(self) -> None:
        for stage in self.stages:
            if stage.error is not None:
                raise stage.error

    def __exit__(self, exc_type: t.Any, exc: t.Any, tb: t.Any) -> None:
        for stage in self.stages:
            if exc_type is not None:
                stage.cancelled = True
            stage.queue.put(_END)
        for stage in self.stages:
            stage.join()
        if exc_type is None:
            self._raise_failure()


def read_chunks(stream: t.BinaryIO, max_size: int | None, chunk_size: int = PIPELINE_CHUNK) -> t.Iterator[bytes]:
    """The stream's bytes in chunks of up to ``chunk_size``; :class:`TooLarge` past ``max_size``
    (raised before the chunk that crosses it is handed on)."""
    size = 0
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        size += len(chunk)
        if max_size is not None and size > max_size:
            raise TooLarge(f"file is larger than the limit of {max_size} bytes")
        yield chunk


def write_all(fd: int, data: bytes | memoryview) -> None:
    """``os.write`` until every byte is written (it may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    """``os.pwrite`` at ``offset`` until every byte is written."""
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def hash_and_write(stream: t.BinaryIO, fd: int, *, max_size: int | None) -> tuple[int, str]:
    """Stream ``stream`` into the open file ``fd``, hashing on the way; (size, sha256 hex)."""
    digest = hashlib.sha256()
    size = 0
    with Pipeline([digest.update, lambda chunk: write_all(fd, chunk)]) as pipe:
        for chunk in read_chunks(stream, max_size):
            size += len(chunk)
            pipe.feed(chunk)
    return size, digest.hexdigest()


def pwrite_stream(stream: t.BinaryIO, fd: int, offset: int, length: int) -> int:
    """Write ``length`` bytes of ``stream`` at ``offset`` of ``fd``, receiving the next chunk while
    the last is written; returns the bytes written (fewer if the stream ended early)."""
    written = 0

    def write(chunk: bytes) -> None:
        nonlocal written
        pwrite_all(fd, chunk, offset + written)
        written += len(chunk)

    received = 0
    with Pipeline([write]) as pipe:
        while received < length:
            chunk = stream.read(min(PIPELINE_CHUNK, length - received))
            if not chunk:
                break
            received += len(chunk)
            pipe.feed(chunk)
    return written


def hash_stream(stream: t.BinaryIO) -> tuple[int, str]:
    """(size, sha256 hex) of what ``stream`` holds, reading the next chunk while one is hashed."""
    digest = hashlib.sha256()
    size = 0
    with Pipeline([digest.update]) as pipe:
        for chunk in read_chunks(stream, None):
            size += len(chunk)
            pipe.feed(chunk)
    return size, digest.hexdigest()
