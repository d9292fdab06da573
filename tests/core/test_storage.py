"""Both artifact stores: streamed, atomic writes; ranged reads; deletes; the size limit."""
from __future__ import annotations

import ctypes
import hashlib
import io
import mmap
import os
import uuid

import pytest

from flask_modelregistry.errors import TooLarge
from flask_modelregistry.storage import GCSArtifactStore, LocalArtifactStore, pipeline, store_from_uri


class FailingStream(io.RawIOBase):
    """Yields ``good`` bytes, then fails like a client that hangs up mid-upload."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(size if size > 0 else 65536, self.left)
        self.left -= n
        return b"x" * n


@pytest.fixture(params=["local", "gcs"])
def store(request, tmp_path, monkeypatch):
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "store")
    emulator = request.getfixturevalue("gcs_emulator")
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator.host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    return store_from_uri(f"gs://{emulator.bucket}/s-{uuid.uuid4().hex[:8]}", chunk_size=256 * 1024)


def test_write_read_range_delete(store):
    data = os.urandom(3 * 256 * 1024 + 123)  # several GCS chunks and a tail
    stored = store.write("runs/r1/a", io.BytesIO(data), max_size=10**9)
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert store.exists("runs/r1/a")
    assert b"".join(store.read("runs/r1/a")) == data
    assert b"".join(store.read("runs/r1/a", 1000, 300000)) == data[1000:301000]
    assert b"".join(store.read("runs/r1/a", len(data) - 5, 5)) == data[-5:]
    store.copy("runs/r1/a", "runs/r2/b")
    assert b"".join(store.read("runs/r2/b")) == data
    store.delete("runs/r1/a")
    assert not store.exists("runs/r1/a")
    assert store.exists("runs/r2/b")
    store.delete("runs/r1/a")  # deleting twice is fine


def test_empty_file(store):
    stored = store.write("runs/r/empty", io.BytesIO(b""))
    assert stored.size == 0 and stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert b"".join(store.read("runs/r/empty", 0, 0)) == b""


def test_too_large_keeps_nothing(store):
    with pytest.raises(TooLarge):
        store.write("runs/r/big", io.BytesIO(b"y" * 600_000), max_size=500_000)
    assert not store.exists("runs/r/big")


def test_cut_off_upload_keeps_nothing(store):
    with pytest.raises(ConnectionResetError):
        store.write("runs/r/cut", FailingStream(700_000))
    assert not store.exists("runs/r/cut")
    if isinstance(store, LocalArtifactStore):
        assert not any((store.root / ".incoming").iterdir())


def test_gcs_prefix_and_chunk_checks(gcs_emulator, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    store = store_from_uri(f"gs://{gcs_emulator.bucket}/some/prefix")
    assert isinstance(store, GCSArtifactStore) and store.prefix == "some/prefix"
    store.write("k", io.BytesIO(b"abc"))
    assert store.bucket.blob("some/prefix/k").exists()
    with pytest.raises(ValueError):
        GCSArtifactStore(store.bucket, chunk_size=1000)
    with pytest.raises(ValueError):
        store_from_uri("s3://bucket/x")


def test_local_store_refuses_keys_that_escape(tmp_path):
    store = LocalArtifactStore(tmp_path / "s")
    with pytest.raises(ValueError):
        store.write("../outside", io.BytesIO(b"x"))
    assert not (tmp_path / "outside").exists()


def test_local_writes_racing_deletes_in_one_folder_all_succeed(tmp_path):
    """A delete prunes the run's folder once it is empty; a write putting a file into that folder
    at the same moment (between making the folder and moving its file in) must still land, not
    fail with FileExistsError or FileNotFoundError (once a 500 of a PUT racing a file delete)."""
    import threading

    store = LocalArtifactStore(tmp_path)
    failures: list[str] = []
    barrier = threading.Barrier(3)

    def churn(n: int) -> None:
        barrier.wait()
        for i in range(300):
            key = f"runs/r/{n}-{i}"
            try:
                store.write(key, io.BytesIO(b"x" * (n + 1)))
                assert store.exists(key), key
                copied = f"runs/r/{n}-{i}-copy"
                store.copy(key, copied)
                store.delete(copied)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                failures.append(f"{key}: {exc!r}")
            store.delete(key)

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert list(store.list_objects()) == [] and not (tmp_path / "runs").exists()


class Trickle(io.RawIOBase):
    """A body that arrives in uneven pieces, as from a socket (``read`` only, like a WSGI input)."""

    def __init__(self, data: bytes, piece: int) -> None:
        self.data, self.pos, self.piece = data, 0, piece

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = min(size if size is not None and size >= 0 else len(self.data), self.piece)
        self.piece = self.piece % 70001 + 1  # vary the next piece's size
        out = self.data[self.pos:self.pos + size]
        self.pos += len(out)
        return out


@pytest.mark.parametrize("size", [1, 4095, 4096, 4097, pipeline.DIRECT_CHUNK, pipeline.DIRECT_CHUNK + 1,
                                  3 * pipeline.DIRECT_CHUNK + 12345])
def test_local_writes_of_any_length_are_exact(tmp_path, size):
    """Whole blocks go straight to the disk and the tail through the page cache: every length
    around the block and buffer sizes comes out byte for byte, from readinto and read streams."""
    store = LocalArtifactStore(tmp_path / "store")
    data = os.urandom(size)
    for name, stream in (("into", io.BytesIO(data)), ("read", Trickle(data, 65536))):
        stored = store.write(f"runs/r/{name}", stream, max_size=10**9)
        assert (stored.size, stored.sha256) == (size, hashlib.sha256(data).hexdigest())
        assert b"".join(store.read(f"runs/r/{name}")) == data


def _cached_fraction(path) -> float:
    """The share of the file's pages that are in the page cache (mincore on a mapping of it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    size = os.path.getsize(path)
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY) as mapped:
        vec = ctypes.create_string_buffer(pages)
        address = ctypes.addressof(ctypes.c_char.from_buffer(mapped))
        assert libc.mincore(ctypes.c_void_p(address), size, vec) == 0, os.strerror(ctypes.get_errno())
        return sum(b & 1 for b in vec.raw) / pages


def _skip_unless_direct_writes_skip_the_cache(tmp_path) -> None:
    """Skip where an ``O_DIRECT`` write is refused, or taken but kept in memory all the same
    (tmpfs takes ``O_DIRECT`` since Linux 6.6: its files are the page cache)."""
    probe = tmp_path / "probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT)
    except OSError:
        pytest.skip("this file system takes no O_DIRECT writes")
    try:
        with mmap.mmap(-1, 16 * pipeline.DIRECT_ALIGN) as block:
            os.write(fd, block)
    except OSError:
        pytest.skip("this file system takes no O_DIRECT writes")
    finally:
        os.close(fd)
    if _cached_fraction(probe) > 0.5:
        pytest.skip("this file system keeps directly written files in memory (tmpfs)")


def test_a_large_local_write_bypasses_the_page_cache(tmp_path):
    """A file of gigabytes written through the page cache costs a copy of every byte and as much
    cache memory as the file (pushing out what else is cached): the local store writes whole
    blocks with O_DIRECT, so next to nothing of an upload is left cached."""
    store = LocalArtifactStore(tmp_path / "store")
    _skip_unless_direct_writes_skip_the_cache(tmp_path)
    data = os.urandom(4 * pipeline.DIRECT_CHUNK + 100)
    stored = store.write("runs/r/big", io.BytesIO(data), max_size=10**9)
    path = store.root / "runs/r/big"
    assert stored.size == len(data)
    assert _cached_fraction(path) < 0.05
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256


@pytest.mark.parametrize("part", [4096 * 3 + 1, pipeline.DIRECT_CHUNK, pipeline.DIRECT_CHUNK + 4096])
@pytest.mark.parametrize("last", [1, 4096, 5000])
def test_local_multipart_parts_of_any_length_are_exact(tmp_path, part, last):
    """Parts written at their offsets (direct where the offset and length are whole blocks, through
    the page cache where not), in any order, and the file hashed back from the disk: byte for byte."""
    store = LocalArtifactStore(tmp_path / "store")
    data = os.urandom(3 * part + last)
    sizes = [part, part, part, last]
    for number in (2, 4, 1, 3):
        chunk = data[(number - 1) * part:(number - 1) * part + sizes[number - 1]]
        stream = io.BytesIO(chunk) if number % 2 else Trickle(chunk, 65536)
        assert store.write_part("u1", number, 4, stream, len(chunk), max_size=10**9) == len(chunk)
    stored = store.assemble("u1", "runs/r/mp", sizes)
    assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert b"".join(store.read("runs/r/mp")) == data


def test_a_part_cut_off_writes_only_what_came(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    assert store.write_part("u2", 1, 2, io.BytesIO(b"x" * 5000), 8192) == 5000


def test_large_multipart_parts_bypass_the_page_cache(tmp_path):
    """Parts as large as MLflow's go to the disk directly, as a whole file's write does: through the
    page cache they cost a copy of every byte and, on two workers, four times the CPU of one PUT."""
    store = LocalArtifactStore(tmp_path / "store")
    _skip_unless_direct_writes_skip_the_cache(tmp_path)
    part = 2 * pipeline.DIRECT_CHUNK
    data = os.urandom(3 * part)
    for number in (1, 2):
        store.write_part("u3", number, 3, io.BytesIO(data[(number - 1) * part:number * part]), part, max_size=10**9)
    whole, _last = store._upload_files("u3")
    assert _cached_fraction(whole) < 0.05
    store.write_part("u3", 3, 3, io.BytesIO(data[2 * part:]), part, max_size=10**9)
    stored = store.assemble("u3", "runs/r/big-mp", [part, part, part])
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert _cached_fraction(store.root / "runs/r/big-mp") < 0.05  # hashed back from the disk, not cached again


def test_receive_buffers_are_reused_from_upload_to_upload_and_hold_nothing_of_the_last(tmp_path):
    """The process keeps a few receive buffers between uploads (a fresh page costs a fault on first
    touch): a second upload gets the first one's buffers back, a shorter file after a longer one
    comes out exact (nothing of the last file's bytes), and the pool keeps no more than its bound."""
    store = LocalArtifactStore(tmp_path / "store")
    pool = pipeline.BUFFERS
    long, short = os.urandom(3 * pipeline.DIRECT_CHUNK + 5), os.urandom(pipeline.DIRECT_CHUNK // 2 + 3)
    store.write("runs/r/long", io.BytesIO(long), max_size=10**9)
    kept = list(pool._idle)
    assert len(kept) >= pipeline.DIRECT_BUFFERS
    stored = store.write("runs/r/short", io.BytesIO(short), max_size=10**9)
    assert stored.sha256 == hashlib.sha256(short).hexdigest()
    assert b"".join(store.read("runs/r/short")) == short
    assert {id(b) for b in pool._idle} == {id(b) for b in kept}  # the same maps, none made anew
    store.write_part("u5", 1, 2, io.BytesIO(long[:pipeline.DIRECT_CHUNK]), pipeline.DIRECT_CHUNK)
    assert {id(b) for b in pool._idle} == {id(b) for b in kept}
    extra = [pool.get() for _ in range(pool.keep + 3)]
    for buffer in extra:
        pool.put(buffer)
    assert len(pool._idle) == pool.keep and sum(b.closed for b in extra) == 3


def test_a_failed_write_gives_its_buffers_back(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    store.write("runs/r/warm", io.BytesIO(b"w" * 100), max_size=10**9)
    before = len(pipeline.BUFFERS._idle)
    with pytest.raises(TooLarge):
        store.write("runs/r/big", io.BytesIO(os.urandom(3 * pipeline.DIRECT_CHUNK)), max_size=pipeline.DIRECT_CHUNK)
    assert len(pipeline.BUFFERS._idle) == before  # all four came back, none lost to the failure


@pytest.mark.parametrize("start,length", [(0, None), (1, None), (4095, 2), (4096, 4096), (12345, 3 * 1024 * 1024),
                                          (pipeline.DIRECT_CHUNK - 1, 2), (pipeline.DIRECT_CHUNK, None),
                                          (2 * pipeline.DIRECT_CHUNK + 777, 0), (0, 1)])
def test_local_reads_of_any_range_are_exact(tmp_path, start, length):
    """Reads go from block-aligned offsets into whole buffers and hand on only what was asked,
    in pieces of at most a megabyte."""
    store = LocalArtifactStore(tmp_path / "store")
    data = os.urandom(2 * pipeline.DIRECT_CHUNK + 5000)
    store.write("runs/r/f", io.BytesIO(data), max_size=10**9)
    pieces = list(store.read("runs/r/f", start, length))
    assert b"".join(pieces) == (data[start:] if length is None else data[start:start + length])
    assert all(0 < len(p) <= 1024 * 1024 for p in pieces)


def test_a_large_local_read_bypasses_the_page_cache(tmp_path):
    """Sending a file of gigabytes through the page cache fills it with pages the worker pays to
    fault in (about 3 CPU seconds per 2 GiB here) and pushes out what else is cached: the local
    store reads whole blocks with O_DIRECT, as it writes them."""
    _skip_unless_direct_writes_skip_the_cache(tmp_path)
    store = LocalArtifactStore(tmp_path / "store")
    data = os.urandom(4 * pipeline.DIRECT_CHUNK + 100)
    store.write("runs/r/big", io.BytesIO(data), max_size=10**9)
    assert hashlib.sha256(b"".join(store.read("runs/r/big"))).digest() == hashlib.sha256(data).digest()
    assert _cached_fraction(store.root / "runs/r/big") < 0.05


def test_a_read_stopped_early_closes_its_file_and_keeps_its_buffer(tmp_path):
    store = LocalArtifactStore(tmp_path / "store")
    store.write("runs/r/f", io.BytesIO(os.urandom(3 * pipeline.DIRECT_CHUNK)), max_size=10**9)
    fds = len(os.listdir("/proc/self/fd"))
    idle = len(pipeline.BUFFERS._idle)
    reading = store.read("runs/r/f")
    next(reading)
    assert len(os.listdir("/proc/self/fd")) == fds + 1
    reading.close()  # the client went away
    assert len(os.listdir("/proc/self/fd")) == fds and len(pipeline.BUFFERS._idle) == idle
    never_started = store.read("runs/r/f")
    del never_started  # a response closed before its first piece
    import gc

    gc.collect()
    assert len(os.listdir("/proc/self/fd")) == fds


def _bytes_read() -> int:
    """What this process's read system calls returned so far (``rchar``)."""
    for line in open("/proc/self/io"):
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_small_ranges_read_only_their_blocks_and_small_files_stay_cached(tmp_path):
    """A range of 100 bytes reads its block or two, not a whole buffer (200 such ranges read
    1.5 GiB from the disk when every read filled 8 MiB past the page cache); reads below a buffer
    go through the page cache, so a small file asked for often stays there."""
    store = LocalArtifactStore(tmp_path / "store")
    data = os.urandom(4 * pipeline.DIRECT_CHUNK)
    store.write("runs/r/f", io.BytesIO(data), max_size=10**9)
    before = _bytes_read()
    for i in range(200):
        start = (i * 7_654_321) % (len(data) - 100)
        assert b"".join(store.read("runs/r/f", start, 100)) == data[start:start + 100]
    assert _bytes_read() - before < 200 * 3 * pipeline.DIRECT_ALIGN
    small = os.urandom(300_000)
    store.write("runs/r/MLmodel", io.BytesIO(small), max_size=10**9)
    assert b"".join(store.read("runs/r/MLmodel")) == small
    assert _cached_fraction(store.root / "runs/r/MLmodel") > 0.9
