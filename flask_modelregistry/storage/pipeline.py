"""Receiving, hashing and writing an upload at the same time.

Each step releases the GIL on large buffers (``socket.recv``, ``hashlib`` above 2 KiB,
``os.write``), so each gets a thread of its own: an upload runs at the pace of its slowest step
instead of their sum, and holds a fixed number of buffers whatever the file's size.

A local write (:func:`hash_and_write`) passes a few reused, page-aligned buffers through a
:class:`Chain` (receive, hash, write) and writes them with ``O_DIRECT``. Profiled with ``perf``
(2 GiB, gunicorn gthread worker, before this design): 63 % of the worker's CPU time was the
kernel copying the body into the page cache (``copy_folio_from_iter_atomic``), about 9 CPU
seconds per upload, because every new page-cache page (and every fresh chunk allocation) is a
first touch of memory, which is dear on a virtual machine; the direct writes bring the worker's
system time from about 7 s to about 1 s. A multipart part goes the same way to its offset
(:func:`write_at`), and a local file is hashed back from the disk through a chain as well
(:func:`hash_file`): parts written through the page cache cost about 9 CPU seconds per 2 GiB
upload on two gunicorn workers. A stream that is not a local file (a GCS object read back to
hash it, :func:`hash_stream`) goes through a chain too, received while the last buffer is hashed.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import mmap
import os
import queue
import threading
import typing as t

from ..errors import TooLarge


_END = object()
log = logging.getLogger(__name__)


#: size of each receive buffer of a local write: a multiple of every disk's block size, and
#: large enough that each direct write keeps the disk busy
DIRECT_CHUNK = 8 * 1024 * 1024
#: receive buffers per local write: one being filled, one hashed, one written, one spare
DIRECT_BUFFERS = 4
#: alignment of direct writes (offsets, lengths and memory): the largest logical block size, and
#: at least a memory page, so that no page of a file is written both directly and through the
#: page cache (the tail of one part and the start of the next, say), which the kernel cannot
#: keep coherent on kernels with pages larger than the disk's blocks
DIRECT_ALIGN = max(4096, mmap.PAGESIZE)
O_DIRECT = getattr(os, "O_DIRECT", 0)


def open_direct(path: str | os.PathLike[str], flags: int) -> int:
    """``os.open`` with ``O_DIRECT`` added where the file system takes it (plain otherwise): the
    bytes go between the buffers and the disk without a copy through the page cache (nor
    page-cache memory taken for a file of gigabytes)."""
    if O_DIRECT:
        try:
            return os.open(path, flags | O_DIRECT, 0o644)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
    return os.open(path, flags, 0o644)


def is_direct(fd: int) -> bool:
    """Whether ``fd`` is open with ``O_DIRECT``."""
    return bool(O_DIRECT and fcntl.fcntl(fd, fcntl.F_GETFL) & O_DIRECT)


def make_direct(fd: int) -> bool:
    """Turn ``O_DIRECT`` on for an open file where the file system takes it; whether it is on."""
    if not O_DIRECT:
        return False
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | O_DIRECT)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
    return is_direct(fd)


def drop_direct(fd: int) -> None:
    """Turn ``O_DIRECT`` off: the rest goes through the page cache (a file system that took the
    flag but refuses a direct read or write, or a piece that is not whole blocks)."""
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~O_DIRECT)


def open_for_write(path: str | os.PathLike[str]) -> int:
    """Create ``path`` (it must not exist) for :func:`hash_and_write`, direct where it can be
    (:func:`open_direct`)."""
    return open_direct(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC)


class DirectWriter:
    """Writes consecutive pieces to ``fd`` (from ``offset`` with ``pwrite`` when given, else at the
    file's position): straight to the disk while the file is open with ``O_DIRECT`` and the
    pieces are whole blocks at block offsets, then (the short tail, an offset off the blocks, or a
    file system that refuses a direct write) through the page cache for the rest."""

    def __init__(self, fd: int, offset: int | None = None) -> None:
        self.fd, self.offset = fd, offset
        self.direct = is_direct(fd)
        if self.direct and offset is not None and offset % DIRECT_ALIGN:
            self._buffered()

    def _buffered(self) -> None:
        drop_direct(self.fd)
        self.direct = False

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            if self.direct and len(view) < DIRECT_ALIGN:
                self._buffered()
            piece = view[:len(view) - len(view) % DIRECT_ALIGN] if self.direct else view
            try:
                if self.offset is None:
                    written = os.write(self.fd, piece)
                else:
                    written = os.pwrite(self.fd, piece, self.offset)
                    self.offset += written
            except OSError as exc:
                if not (self.direct and exc.errno == errno.EINVAL):
                    raise
                self._buffered()
                continue
            view = view[written:]


def fill(stream: t.BinaryIO, view: memoryview) -> int:
    """Read from ``stream`` into ``view`` until it is full or the stream ends; the bytes read.
    Uses ``readinto`` where the stream has it (no intermediate bytes object)."""
    readinto = getattr(stream, "readinto", None)
    filled = 0
    while filled < len(view):
        got = None
        if readinto is not None:
            try:
                got = readinto(view[filled:]) or 0
            except NotImplementedError:  # io.RawIOBase's, on a stream that only has read
                readinto = None
        if got is None:
            data = stream.read(len(view) - filled)
            got = len(data)
            view[filled:filled + got] = data
        if not got:
            break
        filled += got
    return filled


class _Link(threading.Thread):
    """One step of a :class:`Chain`: applies ``step`` to each buffer, then hands it on. After a
    failure (or a cancel) it hands buffers on untouched, so that none is lost and the producer
    never waits for a buffer that will not come back."""

    def __init__(self, step: t.Callable[[memoryview], t.Any], handoff: t.Callable[[t.Any], None], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.step, self.handoff = step, handoff
        self.queue: queue.Queue[t.Any] = queue.Queue()
        self.error: BaseException | None = None
        self.cancelled = False

    def run(self) -> None:
        while True:
            item = self.queue.get()
            if item is not _END and self.error is None and not self.cancelled:
                buffer, length = item
                try:
                    with memoryview(buffer) as view:
                        self.step(view[:length])
                except BaseException as exc:  # raised in the producer's thread
                    self.error = exc
            self.handoff(item)
            if item is _END:
                return


def new_buffer(size: int) -> mmap.mmap:
    """A page-aligned buffer of ``size`` bytes: private anonymous memory (a shared map would be
    backed by shmem, dearer to fault in, and refuses ``MADV_FREE``)."""
    return mmap.mmap(-1, size, flags=getattr(mmap, "MAP_PRIVATE", 0) or mmap.MAP_SHARED)


class BufferPool:
    """Receive buffers kept between the uploads of this process. A fresh anonymous page costs a
    fault and its zeroing on first touch, dear on a virtual machine: the parts of a multipart
    upload (10 MiB each, MLflow's default) paid it for every byte they received. At most ``keep``
    idle buffers are kept, marked ``MADV_FREE``: the kernel may take their pages back when memory
    is short, and until it does they are reused without a fault."""

    def __init__(self, size: int, keep: int) -> None:
        self.size, self.keep = size, keep
        self._idle: list[mmap.mmap] = []
        self._lock = threading.Lock()

    def get(self) -> mmap.mmap:
        with self._lock:
            buffer = self._idle.pop() if self._idle else None
        if buffer is None:
            return new_buffer(self.size)
        # a write to each page takes it back from MADV_FREE before any direct read fills it (a
        # page the kernel could still drop while the disk writes into it would read as zeros)
        buffer[::mmap.PAGESIZE] = bytes(len(range(0, self.size, mmap.PAGESIZE)))
        return buffer

    def put(self, buffer: mmap.mmap) -> None:
        if buffer.closed:
            return
        # nothing but the list under the lock: a collection that runs in the middle may finish an
        # abandoned download, whose clean-up puts its own buffer back from this same thread
        with self._lock:
            keep = len(self._idle) < self.keep
        if keep:
            if hasattr(mmap, "MADV_FREE"):
                with contextlib.suppress(OSError):  # a kernel without it keeps the pages
                    buffer.madvise(mmap.MADV_FREE)
            with self._lock:
                if len(self._idle) < self.keep:
                    self._idle.append(buffer)
                    return
        try:
            buffer.close()
        except BufferError:  # a view of it is still alive: the collector unmaps it later
            pass


#: the process's pool of receive buffers: as many idle as two uploads at once use
BUFFERS = BufferPool(DIRECT_CHUNK, 2 * DIRECT_BUFFERS)


class Chain:
    """A fixed set of buffers passing through steps in order, each step on a thread of its own:
    the producer fills a free buffer, the first step takes it, then the next, and the last gives
    it back. Every step works on a different buffer at once (``hashlib`` and ``os.write`` release
    the GIL on large buffers), nothing is copied between steps, and the memory is the buffers',
    whatever the file's size."""

    def __init__(self, steps: t.Sequence[t.Callable[[memoryview], t.Any]], *, buffers: int = DIRECT_BUFFERS,
                 size: int = DIRECT_CHUNK) -> None:
        # anonymous maps are page-aligned, as direct writes need, and each is reused from
        # buffer to buffer (and from upload to upload, through the pool): no allocation (and
        # no fresh page) per chunk
        self.free: queue.Queue[t.Any] = queue.Queue()
        self.pool = BUFFERS if size == BUFFERS.size else None
        for _ in range(buffers):
            self.free.put(self.pool.get() if self.pool else new_buffer(size))
        self.links: list[_Link] = []
        handoff = self._recycle
        for i, step in reversed(list(enumerate(steps))):
            link = _Link(step, handoff, f"upload-step-{i}")
            self.links.insert(0, link)
            handoff = link.queue.put

    def _recycle(self, item: t.Any) -> None:
        if item is not _END:
            self.free.put(item[0])

    def __enter__(self) -> Chain:
        for link in self.links:
            link.start()
        return self

    def take(self) -> mmap.mmap:
        """A free buffer (waiting for one to come back); raises a step's failure."""
        buffer = self.free.get()
        self._raise_failure()
        return buffer

    def give_back(self, buffer: mmap.mmap) -> None:
        self.free.put(buffer)

    def feed(self, buffer: mmap.mmap, length: int) -> None:
        self.links[0].queue.put((buffer, length))

    def _raise_failure(self) -> None:
        for link in self.links:
            if link.error is not None:
                raise link.error

    def __exit__(self, exc_type: t.Any, exc: t.Any, tb: t.Any) -> None:
        if exc_type is not None:
            for link in self.links:
                link.cancelled = True
        self.links[0].queue.put(_END)
        for link in self.links:
            link.join()
        if self.pool is not None:  # every buffer is back (one the producer kept is left to the collector)
            while not self.free.empty():
                self.pool.put(self.free.get_nowait())
        if exc_type is None:
            self._raise_failure()


def _pump(chain: Chain, read_into: t.Callable[[memoryview], int], *, length: int | None = None,
          max_size: int | None = None, short_is_end: bool = True) -> int:
    """Fill the chain's free buffers with ``read_into`` and feed them on until it gives no more
    (or, with ``short_is_end``, a buffer it did not fill: a stream that ended), or ``length``
    bytes; the bytes fed. :class:`TooLarge` past ``max_size``, raised before the buffer that
    crosses it goes on."""
    size = 0
    while length is None or size < length:
        buffer = chain.take()
        try:
            with memoryview(buffer) as view:
                got = read_into(view if length is None else view[:min(len(view), length - size)])
        except BaseException:
            chain.give_back(buffer)
            raise
        if not got:
            chain.give_back(buffer)
            break
        size += got
        if max_size is not None and size > max_size:
            chain.give_back(buffer)
            raise TooLarge(f"file is larger than the limit of {max_size} bytes")
        chain.feed(buffer, got)
        if short_is_end and length is None and got < len(buffer):
            break
    return size


def hash_and_write(stream: t.BinaryIO, fd: int, *, max_size: int | None) -> tuple[int, str]:
    """Stream ``stream`` into ``fd`` (best opened by :func:`open_for_write`): received into
    reused buffers, hashed and written at once by a :class:`Chain`; (size, sha256 hex).
    :class:`TooLarge` past ``max_size``, raised before the chunk that crosses it is written."""
    digest = hashlib.sha256()
    writer = DirectWriter(fd)
    with Chain([digest.update, writer.write]) as chain:
        size = _pump(chain, lambda view: fill(stream, view), max_size=max_size)
    return size, digest.hexdigest()


def write_at(stream: t.BinaryIO, fd: int, offset: int, length: int) -> int:
    """Write ``length`` bytes of ``stream`` at ``offset`` of ``fd`` (best opened with
    :func:`open_direct`), receiving into reused buffers while the last is written (a
    :class:`Chain` of one step); the bytes written, fewer if the stream ended early."""
    writer = DirectWriter(fd, offset)
    with Chain([writer.write]) as chain:
        _pump(chain, lambda view: fill(stream, view), length=length)
    return writer.offset - offset


def _preadv(fd: int, buffer: t.Any, offset: int) -> int:
    """``preadv`` of ``buffer`` at ``offset``; where the file is open with ``O_DIRECT`` and the
    read is refused (a file system that takes the flag but not the read), the flag is dropped and
    the read made through the page cache."""
    try:
        return os.preadv(fd, [buffer], offset)
    except OSError as exc:
        if exc.errno != errno.EINVAL or not is_direct(fd):
            raise
    drop_direct(fd)
    return os.preadv(fd, [buffer], offset)


def read_direct(fh: t.BinaryIO, start: int, length: int | None, *, piece: int) -> t.Iterator[bytes]:
    """The bytes of file ``fh`` (direct where :func:`make_direct` could make it so) from ``start``, ``length``
    of them or to the end, in pieces of at most ``piece`` bytes; closes ``fh`` when done.

    Each read fills a pooled buffer of :data:`DIRECT_CHUNK` from a block-aligned offset: a file
    written past the page cache is read the same way, at the disk's speed in large reads and
    without filling the page cache (whose fresh pages cost the worker about 3 CPU seconds per
    2 GiB sent). The pieces are copied out as ``bytes`` (servers take nothing else), so the
    buffer goes back to the pool when the last piece is handed on."""
    fd = fh.fileno()
    buffer = BUFFERS.get()
    try:
        position, left = start, length
        with memoryview(buffer) as view:
            while left is None or left > 0:
                aligned = position - position % DIRECT_ALIGN
                skip = position - aligned
                wanted = len(buffer) if left is None else min(len(buffer), -(-(skip + left) // DIRECT_ALIGN) * DIRECT_ALIGN)
                got = _preadv(fd, view[:wanted], aligned) - skip
                if got <= 0:
                    if left:
                        log.warning("%s ended %d bytes short of what was asked", fh.name, left)
                    return
                if left is not None:
                    got = min(got, left)
                for at in range(skip, skip + got, piece):
                    yield bytes(view[at:min(at + piece, skip + got)])
                position += got
                if left is not None:
                    left -= got
    finally:
        fh.close()
        BUFFERS.put(buffer)


def hash_file(fd: int) -> tuple[int, str]:
    """(size, sha256 hex) of the file ``fd`` (best opened with :func:`open_direct`), read with
    ``preadv`` into reused page-aligned buffers (straight from the disk when direct) while the
    last is hashed."""
    digest = hashlib.sha256()
    size = 0

    def read_into(view: memoryview) -> int:
        nonlocal size
        got = _preadv(fd, view, size)
        size += got
        return got

    with Chain([digest.update]) as chain:
        _pump(chain, read_into, short_is_end=False)  # a file's reads end with an empty one
    return size, digest.hexdigest()


def hash_stream(stream: t.BinaryIO) -> tuple[int, str]:
    """(size, sha256 hex) of what ``stream`` holds, receiving the next buffer while one is hashed."""
    digest = hashlib.sha256()
    with Chain([digest.update]) as chain:
        size = _pump(chain, lambda view: fill(stream, view))
    return size, digest.hexdigest()
