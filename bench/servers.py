"""Start the example app under gunicorn (and a GCS emulator) for benchmarks, and read the
workers' memory from /proc."""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def flask_cli(env: dict, *args: str) -> str:
    result = subprocess.run([str(BIN / "flask"), "--app", "example_app", *args], env=env, capture_output=True,
                            text=True, timeout=300)
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclasses.dataclass
class Server:
    url: str
    token: str
    process: subprocess.Popen
    env: dict

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def reset_peaks(self) -> dict[int, int]:
        """Reset each worker's peak RSS; return its current RSS (kB)."""
        base = {}
        for pid in self.worker_pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                pass
            base[pid] = proc_status(pid)["VmRSS"]
        return base

    def peak_growth_mib(self, base: dict[int, int]) -> float:
        """The largest rise of any worker's peak RSS over its RSS at the reset, in MiB."""
        growth = 0
        for pid, before in base.items():
            try:
                growth = max(growth, proc_status(pid)["VmHWM"] - before)
            except (FileNotFoundError, KeyError):
                continue
        return growth / 1024

    def rss_mib(self) -> float:
        pids = [self.process.pid, *self.worker_pids()]
        return sum(proc_status(p)["VmRSS"] for p in pids) / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def start_example_app(workdir: Path, *, storage_uri: str | None = None, workers: int = 2,
                      extra_env: dict | None = None, access_log: bool = False) -> Server:
    """A fresh example app on SQLite in ``workdir``, served by gunicorn; a reporter ``bench``
    with an API token in project ``bench``. With ``access_log``, gunicorn writes each request's
    method, path, status and duration in microseconds to ``workdir/access.log``
    (:func:`request_seconds` adds them up)."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "EXAMPLE_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
           "MODEL_REGISTRY_STORAGE_URI": storage_uri or str(workdir / "artifacts"),
           "SECRET_KEY": "bench", **(extra_env or {})}
    flask_cli(env, "init-db")
    flask_cli(env, "users", "create", "bench", "--password", "bench")
    flask_cli(env, "members", "add", "bench", "bench", "maintainer")
    token = flask_cli(env, "model-registry", "tokens", "create", "bench").strip().splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", "4", "--timeout", "0",
         "-b", f"127.0.0.1:{port}", *(["--access-logfile", str(workdir / "access.log"),
                                      "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"] if access_log else []),
         "example_app:create_app()"],
        env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(workdir / "gunicorn.log", "wb"))
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/login")
    for _ in range(50):  # every worker up
        if len(Server(url, token, process, env).worker_pids()) >= workers:
            break
        time.sleep(0.1)
    return Server(url, token, process, env)


@dataclasses.dataclass
class EmulatorProcess:
    host: str
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_gcs_emulator(datadir: Path, bucket: str) -> EmulatorProcess:
    """gcp-storage-emulator in a process of its own (so its memory is not counted as the app's)."""
    port = free_port()
    process = subprocess.Popen([str(BIN / "gcp-storage-emulator"), "start", "--host", "127.0.0.1",
                                "--port", str(port), "--default-bucket", bucket, "-q"],
                               cwd=datadir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    host = f"http://127.0.0.1:{port}"
    wait_http(host)
    return EmulatorProcess(host, process)


def request_seconds(log: Path, since: int = 0, *, path_part: str = "") -> tuple[float, int]:
    """The seconds the requests logged in ``log`` after its first ``since`` lines (those whose path
    contains ``path_part``) held a worker thread, added up, and the number of lines now (for the
    next call)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return sum(int(line.rsplit(" ", 1)[-1]) for line in lines[since:]
               if path_part in line.split(" ", 2)[1]) / 1e6, len(lines)


def start_discard_server() -> EmulatorProcess:
    """:mod:`bench.discard` in a process of its own; ``host`` is its base URL."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.discard", str(port)], cwd=Path(__file__).parent.parent)
    host = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    return EmulatorProcess(host, process)
