"""The ``modelregistry`` command-line client against the example app served by gunicorn: a 1 GiB
file and 200 small ones uploaded and downloaded, each run repeated to see what a resumed run
costs (hashing only), the client's peak memory (it streams, so it should not grow with the file),
and the compare endpoint's time and query count for 2 and 10 versions."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from .servers import proc_status, start_example_app

MiB = 1024 * 1024
P = "/api/v1/projects/bench"


def _cli(env: dict, cwd: Path, *args: str) -> tuple[float, float, str]:
    """Run the client; return (seconds, peak RSS in MiB of that process, stdout).

    The peak is the process's own VmHWM, polled from /proc while it runs: rusage's maxrss would
    count the benchmark's own memory, which a child inherits at fork on Linux."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "flask_modelregistry.client", *args, "--no-progress", "-q"],
                            env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(proc.stdout.read() if proc.stdout else b""))
    reader.start()
    peak_kib = 0
    while proc.poll() is None:
        try:
            peak_kib = max(peak_kib, proc_status(proc.pid)["VmHWM"])
        except (FileNotFoundError, KeyError, ProcessLookupError):
            pass
        time.sleep(0.01)
    reader.join()
    seconds = time.perf_counter() - start
    out = b"".join(output).decode()
    if proc.returncode:
        raise RuntimeError(f"modelregistry {' '.join(args)} failed: {out}")
    return seconds, peak_kib / 1024, out


def _make_tree(root: Path, big: int, small: int) -> None:
    (root / "weights").mkdir(parents=True)
    block = os.urandom(4 * MiB)
    with open(root / "weights" / "model.bin", "wb") as fh:
        left = big
        while left:
            fh.write(block[: min(len(block), left)])
            left -= min(len(block), left)
    for i in range(small):
        (root / "shards").mkdir(exist_ok=True)
        (root / "shards" / f"shard-{i:04d}.json").write_bytes(os.urandom(2048))


def _compare_times(session: requests.Session, api: str, n_metrics: int) -> dict[int, float]:
    model = session.post(f"{api}/models", json={"name": "compared"}).json()
    ids = []
    for i in range(10):
        metrics = [{"key": f"metric-{k:02d}", "value": (i * k) % 7 / 7, "step": s} for k in range(n_metrics)
                   for s in range(5)]
        ids.append(session.post(f"{api}/models/{model['id']}/versions", json={
            "version": f"1.{i}.0", "metrics": metrics, "params": {f"p{k}": str(i % 3) for k in range(20)},
            "datasets": [{"name": "train", "role": "training", "digest": f"sha256:{i % 2}"}]}).json()["id"])
    out = {}
    for count in (2, 10):
        times = []
        for _ in range(20):
            start = time.perf_counter()
            r = session.get(f"{api}/models/{model['id']}/compare", params={"versions": ",".join(map(str, ids[:count]))})
            times.append(time.perf_counter() - start)
            assert r.status_code == 200, r.text[:300]
        out[count] = statistics.median(times)
    return out


def run(quick: bool = False) -> None:
    big = 64 * MiB if quick else 1024 * MiB
    small = 50 if quick else 200
    with tempfile.TemporaryDirectory(prefix="mr-bench-client-") as tmp:
        workdir = Path(tmp)
        server = start_example_app(workdir / "server")
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {server.token}"
            session.post(server.url + P + "/models", json={"name": "cli"}).raise_for_status()
            env = {**os.environ, "MODEL_REGISTRY_URL": server.url, "MODEL_REGISTRY_TOKEN": server.token}
            tree = workdir / "tree"
            _make_tree(tree / "model", big, small)
            up = _cli(env, tree, "upload", "bench", "cli", "1.0.0", "model")
            up_again = _cli(env, tree, "upload", "bench", "cli", "1.0.0", "model")
            down = _cli(env, workdir, "download", "bench", "cli", "1.0.0", "out")
            down_again = _cli(env, workdir, "download", "bench", "cli", "1.0.0", "out")
            compare = _compare_times(session, server.url + P, 50)
        finally:
            server.stop()

    total = big + small * 2048
    print()
    print("modelregistry client against the example app (gunicorn, 2 gthread workers, SQLite, local store)")
    print("-" * 78)
    print(f"upload {big // MiB} MiB + {small} small files         {total / MiB / up[0]:7.0f} MB/s "
          f"({up[0]:.1f} s), client peak RSS {up[1]:.0f} MiB")
    print(f"same upload again (all skipped)          {up_again[0]:7.1f} s, client peak RSS {up_again[1]:.0f} MiB")
    print(f"download the same                        {total / MiB / down[0]:7.0f} MB/s "
          f"({down[0]:.1f} s), client peak RSS {down[1]:.0f} MiB")
    print(f"same download again (all skipped)        {down_again[0]:7.1f} s, client peak RSS {down_again[1]:.0f} MiB")
    print(f"compare 2 / 10 versions (50 metrics, 20 params each)   {compare[2] * 1000:.1f} / {compare[10] * 1000:.1f} ms")
