"""Webhook delivery on the example app served by gunicorn (2 gthread workers) on SQLite, to a
receiver on 127.0.0.1 that checks each signature: the latency from a change's answer to the
delivery's arrival (one change at a time), and the throughput of a backlog sent by the app's own
deliverer threads and by ``flask model-registry webhooks worker``."""
from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from tests.webhooks.receiver import Receiver

from .servers import BIN, start_example_app

P = "/api/v1/projects/bench"
SECRET = "bench-secret"


def _hook(session: requests.Session, url: str, receiver: Receiver) -> None:
    r = session.post(f"{url}{P}/webhooks", json={"name": "bench", "url": receiver.url, "secret": SECRET,
                                                 "events": ["registered_model.created"]})
    assert r.status_code == 201, r.text


def _backlog(session: requests.Session, url: str, count: int, prefix: str) -> float:
    start = time.perf_counter()
    for i in range(count):
        r = session.post(f"{url}{P}/models", json={"name": f"{prefix}-{i:05d}"})
        assert r.status_code == 201, r.text
    return time.perf_counter() - start


def run(quick: bool = False) -> None:
    singles = 20 if quick else 100
    backlog = 100 if quick else 500
    env = {"MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
    with tempfile.TemporaryDirectory(prefix="mr-bench-webhooks-") as tmp:
        workdir = Path(tmp)
        receiver = Receiver(secret=SECRET).start()
        server = start_example_app(workdir / "threads", extra_env=env)
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {server.token}"
            _hook(session, server.url, receiver)
            latencies = []
            for i in range(singles):
                sent = time.time()
                r = session.post(f"{server.url}{P}/models", json={"name": f"single-{i:04d}"})
                assert r.status_code == 201
                got = receiver.wait_for(i + 1, timeout=30)
                latencies.append(got[-1].at - sent)
            assert all(g.verified for g in receiver.accepted)
            done = len(receiver.accepted)
            made = _backlog(session, server.url, backlog, "burst")
            start = time.perf_counter()
            receiver.wait_for(done + backlog, timeout=300)
            drained = time.perf_counter() - start + made
            print("webhooks (gunicorn 2 workers, SQLite, deliverer thread per process):")
            latencies.sort()
            print(f"  change sent -> delivery received (the change's own request included): median {statistics.median(latencies) * 1000:.0f} ms, "
                  f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
                  f"({singles} changes one at a time)")
            print(f"  {backlog} changes in {made:.1f} s, all delivered {drained:.1f} s after the first: "
                  f"{backlog / drained:.0f} deliveries/s")
        finally:
            server.stop()

        receiver.accepted.clear()
        receiver.received.clear()
        server = start_example_app(workdir / "worker", extra_env={**env, "MODEL_REGISTRY_WEBHOOK_DELIVERER": "none"})
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {server.token}"
            _hook(session, server.url, receiver)
            _backlog(session, server.url, backlog, "queued")
            worker = subprocess.Popen([str(BIN / "flask"), "--app", "example_app", "model-registry", "webhooks", "worker",
                                       "--threads", "4"], env=server.env, cwd=workdir / "worker",
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            try:
                assert worker.stdout is not None
                worker.stdout.readline()  # "Webhook worker started ...": time the sending, not the start-up
                start = time.perf_counter()
                receiver.wait_for(backlog, timeout=300)
            finally:
                worker.terminate()
                worker.wait(30)
            seconds = time.perf_counter() - start
            assert len({g.delivery_id for g in receiver.accepted}) == backlog
            print(f"  a backlog of {backlog} sent by one 'webhooks worker --threads 4' (after its start-up): "
                  f"{seconds:.1f} s, {backlog / seconds:.0f} deliveries/s")
        finally:
            server.stop()
            receiver.stop()
