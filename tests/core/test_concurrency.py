"""Concurrent writers: the same version created twice at once gives one 201 and one 409, never a
500, in threads of one server and across two gunicorn worker processes sharing PostgreSQL."""
from __future__ import annotations

import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

P = "/api/v1/projects/proj"


def _race(url: str, headers: dict, body: dict, n: int) -> list[int]:
    barrier = threading.Barrier(n)
    session_per_thread = [requests.Session() for _ in range(n)]

    def fire(i: int) -> int:
        barrier.wait()
        return session_per_thread[i].post(url, json=body, headers=headers, timeout=60).status_code

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(fire, range(n)))


def test_concurrent_creations_in_one_server(live_server, rita):
    base = live_server.url + P
    model = requests.post(f"{base}/models", json={"name": "raced"}, headers=rita.headers).json()
    for round_ in range(6):
        codes = _race(f"{base}/models/{model['id']}/versions", rita.headers, {"version": f"1.{round_}.0"}, 4)
        assert sorted(codes) == [201, 409, 409, 409], codes
    codes = _race(f"{base}/models", rita.headers, {"name": "same-name"}, 4)
    assert sorted(codes) == [201, 409, 409, 409], codes
    # versions without a semantic version all succeed, with distinct next-major versions
    codes = _race(f"{base}/models/{model['id']}/versions", rita.headers, {}, 3)
    assert codes == [201, 201, 201], codes
    listing = requests.get(f"{base}/models/{model['id']}/versions?per_page=100", headers=rita.headers).json()
    numbers = sorted(v["number"] for v in listing["items"])
    assert numbers == list(range(1, 10)) and len({v["version"] for v in listing["items"]}) == 9


def _cli(env: dict, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "example_app", *args], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def gunicorn_on_postgres(postgres_server_url, tmp_path):
    from tests.conftest import create_scratch_postgres
    from tests.support import free_port, wait_until_answers

    if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("gunicorn is not installed")
    url, drop = create_scratch_postgres(postgres_server_url)
    env = {**os.environ, "EXAMPLE_DATABASE_URL": url, "MODEL_REGISTRY_STORAGE_URI": str(tmp_path / "artifacts"),
           "SECRET_KEY": "shared-by-all-workers"}
    _cli(env, "users", "create", "rita", "--password", "rita")
    _cli(env, "members", "add", "rita", "proj", "reporter")
    token = _cli(env, "model-registry", "tokens", "create", "rita").strip().splitlines()[-1]
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                             "--worker-class", "gthread", "--threads", "4", "example_app:create_app()"],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/login", proc)
        yield base, {"Authorization": f"Bearer {token}"}, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        drop()


def test_two_gunicorn_workers_share_postgres_without_500s(gunicorn_on_postgres):
    base, headers, proc = gunicorn_on_postgres
    model = requests.post(f"{base}{P}/models", json={"name": "multi-worker"}, headers=headers).json()
    all_codes = []
    for round_ in range(8):
        codes = _race(f"{base}{P}/models/{model['id']}/versions", headers, {"version": f"2.{round_}.0"}, 6)
        all_codes.extend(codes)
        assert codes.count(201) == 1 and codes.count(409) == 5, codes
    for _ in range(30):  # stateless: every worker serves every object, whoever created it
        r = requests.get(f"{base}{P}/models/{model['id']}/versions?per_page=100", headers=headers)
        assert r.status_code == 200 and r.json()["total"] == 8
    assert 500 not in all_codes
    # the measured cases of one transaction per operation, across the two workers
    from tests.concurrency.test_races import check_across_workers

    check_across_workers(base, headers)
    assert proc.poll() is None
