"""``kill -9`` of the gunicorn worker in the middle of a large upload, through each door (JSON PUT,
MLflow ``log_artifact``'s artifact proxy PUT, package PUT), on PostgreSQL: the partial file and
the ledger row it leaves survive a restart of the server, and the sweep that follows the grace
period (run by the restarted server by itself) removes them; ``storage check`` is clean after."""
from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import requests
import sqlalchemy as sa

from tests.support import free_port

from .servers import add_writer, cli, gunicorn, portal_env

P = "/api/v1/projects/proj"
DECLARED = 120 * 1024 * 1024  # what the client announces
SENT = 24 * 1024 * 1024  # what it sends before the worker dies
GRACE = 2


def _parts(root: Path) -> dict[str, int]:
    incoming = root / ".incoming"
    return {p.name: p.stat().st_size for p in incoming.glob("*.part")} if incoming.is_dir() else {}


def _pending(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM mr_pending_objects WHERE purpose = 'upload'"))
    finally:
        engine.dispose()


def _start_slow_upload(base_url: str, path: str, headers: dict) -> socket.socket:
    """A client that announces ``DECLARED`` bytes and sends only ``SENT``, then waits."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=30)
    head = [f"PUT {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {DECLARED}",
            "Content-Type: application/octet-stream"] + [f"{k}: {v}" for k, v in headers.items()]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    chunk = os.urandom(1024 * 1024)
    for _ in range(SENT // len(chunk)):
        conn.sendall(chunk)
    return conn


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_upload_leaves_nothing_after_the_sweep(database, tmp_path):
    store = tmp_path / "artifacts"
    env = portal_env(database, str(store), MODEL_REGISTRY_SWEEP_INTERVAL="0",
                     MODEL_REGISTRY_STORAGE_GRACE_PERIOD=str(GRACE))
    headers = add_writer(env)
    port = free_port()
    server = gunicorn(env, tmp_path, "127.0.0.1", port)
    try:
        base = server.url
        model = requests.post(f"{base}{P}/models", json={"name": "killed"}, headers=headers).json()
        v = requests.post(f"{base}{P}/models/{model['id']}/versions", json={"version": "1.0.0"},
                          headers=headers).json()
        tracking = f"{P}/ml/mlflow"
        run = requests.get(f"{base}{tracking}/api/2.0/mlflow/runs/get", params={"run_id": v["run_id"]},
                           headers=headers).json()["run"]
        experiment = run["info"]["experiment_id"]
        doors = {
            "json": f"{P}/models/{model['id']}/versions/{v['id']}/artifacts/big/json.bin",
            "mlflow": f"{tracking}/api/2.0/mlflow-artifacts/artifacts/{experiment}/{v['run_id']}/artifacts/mlflow.bin",
            "package": f"{P}/packages/ml_models/{v['id']}/files/package.bin",
        }
        for door, path in doors.items():
            before = set(_parts(store))
            conn = _start_slow_upload(base, path, headers)
            _wait_for(lambda: any(size >= SENT - 2 * 1024 * 1024 for name, size in _parts(store).items()
                                  if name not in before), 20, f"the {door} upload's partial file")
            worker, = server.workers()
            os.kill(worker, signal.SIGKILL)
            conn.close()
            _wait_for(lambda: len(server.workers()) == 1 and server.workers()[0] != worker, 20, "a new worker")
            server.wait_up()
        assert len(_parts(store)) == 3 and _pending(database) == 3
    finally:
        server.stop()

    # the server restarted with its sweeper: after the grace period, nothing is left
    assert len(_parts(store)) == 3, "a restart alone removes nothing"
    env["MODEL_REGISTRY_SWEEP_INTERVAL"] = "0.5"
    server = gunicorn(env, tmp_path, "127.0.0.1", port)
    try:
        _wait_for(lambda: not _parts(store) and _pending(database) == 0, GRACE + 20,
                  "the restarted server's sweeper")
    finally:
        server.stop()
    result = cli(env, "model-registry", "storage", "check", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    engine = sa.create_engine(database)
    try:
        with engine.connect() as c:
            assert c.scalar(sa.text("SELECT count(*) FROM mr_artifacts")) == 0
    finally:
        engine.dispose()
