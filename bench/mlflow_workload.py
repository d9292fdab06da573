"""The MLflow client's registry workload against the example app (gunicorn, 2 workers, SQLite),
and, when the full ``mlflow`` package is installed, the same workload against ``mlflow server``
(2 workers, SQLite, proxied artifacts, its job runner off) on the same machine, side by side.

The workload is the research notes' baseline: 200 models with 2 tags and a description, 5
versions each (``source=runs:/R/model`` with ``run_id=R``, a tag, a description), every page of
``search_registered_models``, ``search_model_versions`` with filters, single gets, and a 200 MiB
artifact logged and downloaded with its sha256 checked. Memory is the workers' peak RSS
(``VmHWM``, reset through ``clear_refs`` before each transfer).
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import statistics
import subprocess
import tempfile
import time
import typing as t
from pathlib import Path

from .api_workload import _make_file as make_file
from .servers import BIN, Server, free_port, start_example_app, wait_http

MiB = 1024 * 1024
CLIENT_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
              "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")


class MlflowServer(Server):
    """``mlflow server``: its workers are every process below the CLI (uvicorn, its workers, the job runner)."""

    def worker_pids(self) -> list[int]:
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            path = Path(f"/proc/{pid}/task/{pid}/children")
            children = [int(p) for p in path.read_text().split()] if path.exists() else []
            found.extend(children)
            todo.extend(children)
        return found


@dataclasses.dataclass
class Target:
    label: str
    tracking_uri: str
    token: str | None
    server: Server


@dataclasses.dataclass
class Results:
    timings: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    figures: dict[str, float] = dataclasses.field(default_factory=dict)

    def time(self, name: str, fn: t.Callable[[], t.Any]) -> t.Any:
        start = time.perf_counter()
        result = fn()
        self.timings.setdefault(name, []).append(time.perf_counter() - start)
        return result


def mlflow_bin() -> Path:
    """Where ``mlflow server`` is: ``BENCH_MLFLOW_BIN`` (the venv ``make bench`` makes, since
    mlflow 3.17.2 pins gunicorn<27 and the registry wants 27), else beside this Python."""
    return Path(os.environ.get("BENCH_MLFLOW_BIN") or BIN)


def mlflow_server_available() -> str | None:
    """None when ``mlflow server`` can run here, else why not."""
    if not (mlflow_bin() / "mlflow").exists():
        return f"no 'mlflow' command in {mlflow_bin()} (make bench installs mlflow==3.17.2 into .venv-mlflow)"
    probe = subprocess.run([str(mlflow_bin() / "python"), "-c", "import mlflow.server, uvicorn, fastapi, alembic"],
                           capture_output=True, text=True)
    if probe.returncode:
        return f"mlflow's server cannot be imported there: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def start_mlflow_server(workdir: Path, workers: int = 2) -> MlflowServer:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    process = subprocess.Popen(
        [str(mlflow_bin() / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
         "--artifacts-destination", str(workdir / "artifacts"), "--serve-artifacts"],
        env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=open(workdir / "mlflow.log", "wb"))
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", timeout=180)
    return MlflowServer(url, "", process, env)


def _use(target: Target):
    from mlflow import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # not a line per created version
    for var in CLIENT_ENV:
        os.environ.pop(var, None)
    os.environ["MLFLOW_TRACKING_URI"] = target.tracking_uri
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    if target.token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = target.token
    return MlflowClient(tracking_uri=target.tracking_uri, registry_uri=target.tracking_uri)


def _pages(fn: t.Callable[[str | None], t.Any]) -> int:
    token, total = None, 0
    while True:
        page = fn(token)
        total += len(page)
        token = page.token
        if not token:
            return total


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def workload(target: Target, workdir: Path, *, n_models: int, n_versions: int, blob_size: int) -> Results:
    import mlflow

    res = Results()
    c = _use(target)
    run = c.create_run("0")
    run_id = run.info.run_id
    start = time.perf_counter()
    for i in range(n_models):
        name = f"bench-{i:04d}"
        res.time("create_registered_model", lambda: c.create_registered_model(
            name, tags={"team": "bench", "index": str(i)}, description="A benchmark model."))
        for v in range(1, n_versions + 1):
            res.time("create_model_version", lambda: c.create_model_version(
                name, f"runs:/{run_id}/model", run_id=run_id, tags={"v": str(v)}, description=f"Version {v}."))
    elapsed = time.perf_counter() - start
    res.figures["create_calls"] = n_models * (1 + n_versions)
    res.figures["create_seconds"] = elapsed

    for _ in range(3):
        found = res.time("search_registered_models, all pages", lambda: _pages(lambda tok: c.search_registered_models(
            filter_string="name LIKE 'bench-%'", order_by=["name"], max_results=100, page_token=tok)))
        assert found == n_models, found
        hits = res.time("search_model_versions name=", lambda: c.search_model_versions(
            f"name = 'bench-{n_models // 2:04d}'"))
        assert len(hits) == n_versions
        found = res.time("search_model_versions name LIKE + tag, all pages", lambda: _pages(
            lambda tok: c.search_model_versions("name LIKE 'bench-%' AND tags.v = '3'", max_results=100,
                                                page_token=tok)))
        assert found == n_models, found
    for i in range(0, n_models, max(1, n_models // 20)):
        name = f"bench-{i:04d}"
        res.time("get_registered_model", lambda: c.get_registered_model(name))
        res.time("get_model_version", lambda: c.get_model_version(name, "2"))

    blob = workdir / "blob.bin"
    sha = make_file(blob, blob_size)
    server = target.server
    before = server.reset_peaks()
    res.time("log_artifact", lambda: c.log_artifact(run_id, str(blob)))
    res.figures["upload_peak_mib"] = server.peak_growth_mib(before)
    blob.unlink()
    before = server.reset_peaks()
    out = workdir / "download"
    out.mkdir(exist_ok=True)
    local = res.time("download_artifacts", lambda: mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="blob.bin", dst_path=str(out)))
    res.figures["download_peak_mib"] = server.peak_growth_mib(before)
    assert _sha256(Path(local)) == sha, "the downloaded file differs"
    res.figures["blob_mib"] = blob_size / MiB
    res.figures["rss_at_rest_mib"] = server.rss_mib()
    return res


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _p95_ms(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(len(ordered) * 0.95)) - 1)] * 1000


def rows(res: Results) -> list[tuple[str, float, str]]:
    """(figure, value, unit) lines of one target."""
    out = []
    f = res.figures
    out.append((f"create {int(f['create_calls'])} models+versions, total", f["create_seconds"], "s"))
    out.append(("  throughput", f["create_calls"] / f["create_seconds"], "calls/s"))
    for name, values in res.timings.items():
        if name in ("log_artifact", "download_artifacts"):
            continue
        out.append((f"{name} median", _median_ms(values), "ms"))
        out.append((f"{name} p95", _p95_ms(values), "ms"))
    up, down = res.timings["log_artifact"][0], res.timings["download_artifacts"][0]
    out.append((f"{f['blob_mib']:.0f} MiB log_artifact", f["blob_mib"] / up, "MiB/s"))
    out.append(("  worker peak RSS growth", f["upload_peak_mib"], "MiB"))
    out.append((f"{f['blob_mib']:.0f} MiB download_artifacts (sha256 checked)", f["blob_mib"] / down, "MiB/s"))
    out.append(("  worker peak RSS growth", f["download_peak_mib"], "MiB"))
    out.append(("server RSS at rest, all processes", f["rss_at_rest_mib"], "MiB"))
    return out


def report(ours: Results, theirs: Results | None, skipped: str | None, *, workers: int) -> None:
    print()
    print(f"MLflow client workload: example app (gunicorn -w {workers}, SQLite) vs mlflow server "
          f"({workers} workers, SQLite, job runner off)")
    print("-" * 100)
    mine = rows(ours)
    if theirs is None:
        for label, value, unit in mine:
            print(f"{label:<58} {value:10.1f} {unit}")
        print(f"MLflow's own server: comparison skipped, {skipped}")
        return
    print(f"{'figure':<58} {'registry':>12} {'mlflow':>12} {'ratio':>8}")
    for (label, value, unit), (_l, other, _u) in zip(mine, rows(theirs)):
        ratio = value / other if other else float("nan")
        print(f"{label:<58} {value:9.1f} {unit:<2} {other:9.1f} {unit:<2} {ratio:7.2f}x")
    print("ratio = registry / mlflow (for times lower is better, for throughput and MiB/s higher is better)")


def run(quick: bool = False) -> None:
    n_models, n_versions = (40, 5) if quick else (200, 5)
    blob_size = (20 if quick else 200) * MiB
    workers = 2
    saved = {k: os.environ.get(k) for k in CLIENT_ENV}
    try:
        with tempfile.TemporaryDirectory(prefix="mr-mlflow-bench-") as tmp:
            workdir = Path(tmp)
            server = start_example_app(workdir / "registry", workers=workers)
            try:
                target = Target("registry", f"{server.url}/api/v1/projects/bench/ml/mlflow", server.token, server)
                ours = workload(target, workdir / "registry", n_models=n_models, n_versions=n_versions,
                                blob_size=blob_size)
            finally:
                server.stop()
            theirs, skipped = None, mlflow_server_available()
            if skipped is None:
                mlflow_server = start_mlflow_server(workdir / "mlflow", workers=workers)
                try:
                    target = Target("mlflow", mlflow_server.url, None, mlflow_server)
                    theirs = workload(target, workdir / "mlflow", n_models=n_models, n_versions=n_versions,
                                      blob_size=blob_size)
                finally:
                    with contextlib.suppress(Exception):
                        mlflow_server.stop()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    report(ours, theirs, skipped, workers=workers)
