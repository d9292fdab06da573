"""Under gunicorn a local file sent to its end goes out with ``sendfile`` (the kernel moves the
bytes from the file to the socket; the worker reads none of them): a whole file, and a range that
runs to the end. A range in the middle, and every other server, iterate the file as before."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import requests

from tests.support import free_port

from .servers import add_writer, gunicorn, portal_env

P = "/api/v1/projects/proj"
SIZE = 96 * 1024 * 1024 + 12345


@pytest.fixture
def database(postgres_server_url):
    from tests.conftest import create_scratch_postgres

    url, drop = create_scratch_postgres(postgres_server_url)
    yield url
    drop()


def _read_calls(pid: int) -> int:
    """The read system calls the process made so far (``syscr``: read, pread, readv, sendfile
    each count one, whatever their size)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise AssertionError("no syscr in /proc/PID/io")


def test_files_sent_to_their_end_go_out_with_sendfile(database, tmp_path):
    env = portal_env(database, str(tmp_path / "artifacts"))
    headers = add_writer(env)
    server = gunicorn(env, tmp_path, "127.0.0.1", free_port())
    try:
        s = requests.Session()
        s.headers.update(headers)
        model = s.post(f"{server.url}{P}/models", json={"name": "sent"}).json()
        version = s.post(f"{server.url}{P}/models/{model['id']}/versions", json={"version": "1.0.0"}).json()
        url = f"{server.url}{P}/models/{model['id']}/versions/{version['id']}/artifacts/model.bin"
        data = os.urandom(SIZE)
        assert s.put(url, data=data).status_code == 201
        (worker,) = server.workers()

        def get(expect: int, **extra: str) -> tuple[bytes, int]:
            before = _read_calls(worker)
            answer = s.get(url, headers=extra, timeout=120)
            assert answer.status_code == expect, answer.text[:200]
            return answer.content, _read_calls(worker) - before

        whole, reads = get(200)
        assert hashlib.sha256(whole).hexdigest() == hashlib.sha256(data).hexdigest()
        assert reads < 20, f"{reads} read calls for {SIZE} bytes: the worker read the file itself"
        tail, reads = get(206, Range=f"bytes={SIZE - 5_000_000}-")
        assert tail == data[-5_000_000:] and reads < 20, reads
        middle, reads = get(206, Range="bytes=1000-8388607")
        assert middle == data[1000:8388608]
        assert reads >= 8  # iterated a megabyte at a time: only what was asked is read
        first, _ = get(206, Range="bytes=0-0")
        assert first == data[:1]
        assert s.head(url).headers["Content-Length"] == str(SIZE)
    finally:
        server.stop()
