"""Two hosts on one PostgreSQL database and one GCS bucket: two gunicorn masters (127.0.0.2 and
127.0.0.3, two workers each, every worker with its sweeper running every second and a grace
period of four seconds), uploads, slow uploads, deletes of files, versions and models on both at
once. Nothing is lost (every file answered 201 and not deleted is downloadable from both hosts
with its sha256), nothing is left (``storage check`` is clean, the planted leftovers are gone)."""
from __future__ import annotations

import concurrent.futures
import hashlib
import io
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.support import free_port, wait_until_answers

from .servers import BIN, add_writer, cli, gunicorn, portal_env

P = "/api/v1/projects/proj"
HOSTS = ("127.0.0.2", "127.0.0.3")
GRACE = 4  # heartbeats every grace/3 s: a worker starved that long on a loaded machine is rare


@pytest.fixture
def emulator(tmp_path):
    """gcp-storage-emulator in a process of its own, as a bucket shared by the hosts."""
    port = free_port()
    proc = subprocess.Popen([str(BIN / "gcp-storage-emulator"), "start", "--host", "127.0.0.1", "--port", str(port),
                             "--default-bucket", "shared", "--in-memory", "-q"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/storage/v1/b", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stored_state(bucket, prefix: str, engine) -> tuple[set[str], set[str], int]:
    """The bucket's objects, the artifact rows' keys and the count of upload reservations."""
    names = {b.name.removeprefix(prefix + "/") for b in bucket.list_blobs(prefix=prefix + "/")}
    with engine.connect() as conn:
        rows = set(conn.scalars(sa.text("SELECT storage_key FROM mr_artifacts")))
        pending = conn.scalar(sa.text("SELECT count(*) FROM mr_pending_objects"))
    return names, rows, pending


class SlowBody(io.RawIOBase):
    """A body sent in pieces over longer than the grace period: only heartbeats keep it alive."""

    def __init__(self, data: bytes, pieces: int, seconds: float) -> None:
        self.data, self.piece, self.pause = data, -(-len(data) // pieces), seconds / pieces
        self.pos = 0

    def __iter__(self):
        while self.pos < len(self.data):
            time.sleep(self.pause)
            yield self.data[self.pos:self.pos + self.piece]
            self.pos += self.piece


def test_two_hosts_on_one_database_and_bucket_lose_nothing_and_leave_nothing(database, emulator, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    storage = f"gs://shared/registry-{uuid.uuid4().hex[:6]}"
    env = portal_env(database, storage, MODEL_REGISTRY_SWEEP_INTERVAL="1",
                     MODEL_REGISTRY_STORAGE_GRACE_PERIOD=str(GRACE),
                     MODEL_REGISTRY_GCS_CHUNK_SIZE=str(1024 * 1024))
    headers = add_writer(env)

    # leftovers of processes that died before: an orphan object and an abandoned reservation
    from google.cloud import storage as gcs

    bucket = gcs.Client().bucket("shared")
    prefix = storage.removeprefix("gs://shared/")
    bucket.blob(f"{prefix}/runs/old/orphan").upload_from_string(b"left behind")
    bucket.blob(f"{prefix}/runs/old/abandoned").upload_from_string(b"half recorded")
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO mr_pending_objects (storage_key, purpose, project, created_at, heartbeat_at)"
                             " VALUES ('runs/old/abandoned', 'upload', 'proj', now() at time zone 'utc' - interval '1 hour',"
                             " now() at time zone 'utc' - interval '1 hour')"))

    servers = []
    try:
        for host in HOSTS:
            servers.append(gunicorn(env, tmp_path, host, free_port(), workers=2))
        urls = [s.url + P for s in servers]
        kept: dict[str, str] = {}  # download URL path -> sha256 of every file that must stay
        codes: list[int] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            rnd = random.Random(n)
            http = requests.Session()
            here, there = urls[n % 2], urls[(n + 1) % 2]
            model = http.post(f"{here}/models", json={"name": f"m{n}"}, headers=headers).json()
            for vn in range(2):
                v = http.post(f"{there if vn % 2 else here}/models/{model['id']}/versions",
                              json={"version": f"1.{vn}.0"}, headers=headers).json()
                files = f"/models/{model['id']}/versions/{v['id']}/artifacts"
                stored = {}
                for i in range(3):
                    data = os.urandom(rnd.randint(10_000, 600_000))
                    r = http.put(f"{rnd.choice(urls)}{files}/f{i}.bin", data=data, headers=headers, timeout=60)
                    with lock:
                        codes.append(r.status_code)
                    if r.status_code == 201:
                        stored[f"{files}/f{i}.bin"] = hashlib.sha256(data).hexdigest()
                if n == 0 and vn == 0:  # longer than the grace period, alive all along
                    data = os.urandom(1_500_000)
                    r = http.put(f"{there}{files}/slow.bin", data=iter(SlowBody(data, 10, GRACE * 2.5)),
                                 headers=headers, timeout=60)
                    assert r.status_code == 201, r.text
                    stored[f"{files}/slow.bin"] = hashlib.sha256(data).hexdigest()
                # delete one file from the other host, and every other version entirely
                gone = rnd.choice(sorted(stored))
                assert http.delete(f"{there}{gone}", headers=headers).status_code == 204
                del stored[gone]
                if vn == 1:
                    r = http.delete(f"{here}/models/{model['id']}/versions/{v['id']}", headers=headers)
                    assert r.status_code == 204
                    stored.clear()
                with lock:
                    kept.update(stored)
            if n == 2:  # and a whole model, racing nothing but the sweepers
                assert http.delete(f"{there}/models/{model['id']}", headers=headers).status_code == 204
                with lock:
                    for path in [p for p in kept if p.startswith(f"/models/{model['id']}/")]:
                        del kept[path]

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            for f in [pool.submit(client, n) for n in range(4)]:
                f.result()
        assert set(codes) == {201}, codes
        assert kept
        deadline = time.monotonic() + GRACE + 60  # the sweepers' turn after the grace period
        while time.monotonic() < deadline:
            names, rows, pending = stored_state(bucket, prefix, engine)
            if names == rows and pending == 0:
                break
            time.sleep(0.5)
        for path, sha in kept.items():
            for url in urls:
                r = requests.get(f"{url}{path}", headers=headers, timeout=60)
                assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == sha, (url, path)
    finally:
        for server in servers:
            server.stop()
    names, rows, pending = stored_state(bucket, prefix, engine)
    assert "runs/old/orphan" not in names and "runs/old/abandoned" not in names
    engine.dispose()
    assert names == rows and len(rows) == len(kept) and pending == 0
    result = cli(env, "model-registry", "storage", "check")
    assert result.returncode == 0 and "Storage is consistent" in result.stdout, result.stdout + result.stderr
