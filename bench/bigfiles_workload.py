"""Big files: one large file through every path, beside MLflow 3.17.2's server and ``cp`` with
fsync, measured in the same run on the same disk.

Local store (example app, gunicorn 2 gthread workers): the JSON API PUT, MLflow ``log_artifact``
(one PUT: the client asks ``server-info``, which offers no multipart on the local store),
``log_artifact`` with ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` (parts in parallel), and downloads;
then the same ``log_artifact`` and download against ``mlflow server`` (2 workers, proxied
artifacts). A 5 GiB body made on the fly goes through the JSON API to show the worker's memory
stays flat. The machine's own limits are measured in the same turns: sha256 of the file, and each
client (MLflow's ``log_artifact``, the JSON PUT's) sending it to a server that discards what it
reads (:mod:`bench.discard`). GCS (gcp-storage-emulator in its own process, 256 MiB: it holds objects in memory):
the JSON API PUT through the app, a direct upload to a resumable session, and multipart uploads
by MLflow's client and by ``modelregistry`` with their parts through the app (a store that cannot
sign) and straight to the bucket (a store that signs), with the worker thread-seconds each holds
per GB (the durations of the app's requests, from its access log). ``python -m bench bigfiles-gcs``
runs the GCS part alone. Each transfer runs
``reps`` times, the registry's, MLflow's and ``cp``'s taking turns, and the best run of each is
shown (the machine is shared: the best is the least disturbed, and turns spread the disturbance).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
import tempfile
import time
import typing as t
from pathlib import Path

import requests

from .api_workload import _make_file as make_file
from .bodies import GeneratedBody, put_body
from .mlflow_workload import CLIENT_ENV, mlflow_server_available, start_mlflow_server
from .servers import Server, request_seconds, start_discard_server, start_example_app, start_gcs_emulator

MiB = 1024 * 1024
GiB = 1024 * MiB
P = "/api/v1/projects/bench"


def cp_fsync(src: Path, workdir: Path) -> t.Callable[[], None]:
    """``cp`` of the file, then fsync of the copy, as one step to time."""
    dst = workdir / "cp-copy.bin"

    def run() -> None:
        subprocess.run(["cp", str(src), str(dst)], check=True)
        fd = os.open(dst, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        dst.unlink()
    return run


def sha256_alone(src: Path) -> t.Callable[[], None]:
    """sha256 of the file read from the page cache into one reused buffer: the hashing ceiling."""
    def run() -> None:
        digest, view = hashlib.sha256(), memoryview(bytearray(8 * MiB))
        with open(src, "rb", buffering=0) as fh:
            while got := fh.readinto(view):
                digest.update(view[:got])
    return run


def client_ceilings(src: Path, size: int, discard_url: str) -> dict[str, t.Callable[[], None]]:
    """The clients sending the file to a server that reads and discards it: how fast each client
    can send on this machine, whatever the server does."""
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    repo = HttpArtifactRepository(f"{discard_url}/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts")

    def put() -> None:
        with open(src, "rb") as fh:
            status, _answer = put_body(f"{discard_url}/discard", _Sized(fh, size), {})
        assert status == 200
    return {"mlflow_client": lambda: repo.log_artifact(str(src)), "put_client": put}


def _version(session: requests.Session, api: str, name: str) -> tuple[str, str]:
    m = session.post(f"{api}/models", json={"name": name}).json()
    v = session.post(f"{api}/models/{m['id']}/versions", json={"version": "1.0.0"}).json()
    return f"{api}/models/{m['id']}/versions/{v['id']}", v["run_id"]


def _mlflow(tracking_uri: str, token: str | None, multipart: bool):
    from mlflow import MlflowClient

    for var in (*CLIENT_ENV, "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"):
        os.environ.pop(var, None)
    os.environ.update(MLFLOW_TRACKING_URI=tracking_uri, MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
                      MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false")
    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    if multipart:
        os.environ["MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD"] = "true"
        os.environ["MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE"] = str(MiB)
    return MlflowClient(tracking_uri=tracking_uri)


def _download(client: t.Any, run_id: str, name: str, workdir: Path) -> None:
    import mlflow

    out = workdir / "dl"
    out.mkdir(exist_ok=True)
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=name, dst_path=str(out))
    os.unlink(local)


class _Best:
    """The best (shortest) time of each named transfer, and the worker memory it needed."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.memory: dict[str, float] = {}

    def time(self, name: str, server: Server, fn: t.Callable[[], t.Any]) -> None:
        before = server.reset_peaks()
        start = time.perf_counter()
        fn()
        seconds = time.perf_counter() - start
        self.seconds[name] = min(seconds, self.seconds.get(name, seconds))
        self.memory[name] = max(server.peak_growth_mib(before), self.memory.get(name, 0.0))

    def figures(self, size: int) -> dict[str, float]:
        out = {name: size / MiB / seconds for name, seconds in self.seconds.items()}
        out.update({f"{name}_mem": mib for name, mib in self.memory.items()})
        return out


def measure_local(src: Path, sha: str, size: int, workdir: Path, reps: int,
                  big: int) -> tuple[dict[str, float], dict[str, float] | None, float, str | None]:
    """Every path on the registry and on MLflow's server, both running, taking turns transfer by
    transfer (so a busy moment of the shared machine hits both alike); and cp with fsync between."""
    ours, theirs, cp, machine = _Best(), _Best(), [], _Best()
    loads: list[float] = []
    server = start_example_app(workdir / "registry")
    discard = start_discard_server()
    skipped = mlflow_server_available()
    mlflow_server = None if skipped else start_mlflow_server(workdir / "mlflow")
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.token}"
        api = server.url + P
        base, _run = _version(session, api, "bigfiles")
        n = iter(range(1000))

        def json_put() -> None:
            with open(src, "rb") as fh:
                body = _Sized(fh, size)
                status, answer = put_body(f"{base}/artifacts/f{next(n)}.bin", body, dict(session.headers))
            assert status == 201 and json.loads(answer)["sha256"] == sha, answer[:200]

        tracking = f"{api}/ml/mlflow"
        run_ours = _mlflow(tracking, server.token, multipart=False).create_run("0").info.run_id
        run_mp = _mlflow(tracking, server.token, multipart=True).create_run("0").info.run_id
        run_theirs = _mlflow(mlflow_server.url, None, multipart=False).create_run("0").info.run_id if mlflow_server else None
        copy = cp_fsync(src, workdir)
        ceilings = {"sha256": sha256_alone(src), **client_ceilings(src, size, discard.host)}
        for _ in range(reps):
            loads.append(os.getloadavg()[0])
            start = time.perf_counter()
            copy()
            cp.append(time.perf_counter() - start)
            for name, fn in ceilings.items():
                machine.time(name, server, fn)
            ours.time("json_put", server, json_put)
            c = _mlflow(tracking, server.token, multipart=False)
            ours.time("log_artifact", server, lambda: c.log_artifact(run_ours, str(src)))
            if mlflow_server:
                m = _mlflow(mlflow_server.url, None, multipart=False)
                theirs.time("log_artifact", mlflow_server, lambda: m.log_artifact(run_theirs, str(src)))
            c = _mlflow(tracking, server.token, multipart=True)
            ours.time("multipart", server, lambda: c.log_artifact(run_mp, str(src)))
            c = _mlflow(tracking, server.token, multipart=False)
            ours.time("download", server, lambda: _download(c, run_ours, src.name, workdir))
            if mlflow_server:
                m = _mlflow(mlflow_server.url, None, multipart=False)
                theirs.time("download", mlflow_server, lambda: _download(m, run_theirs, src.name, workdir))
        body = GeneratedBody(big)
        big_best = _Best()
        big_best.time("big_put", server, lambda: _check_put(put_body(f"{base}/artifacts/generated.bin", body,
                                                                     dict(session.headers)), body))
    finally:
        server.stop()
        discard.stop()
        if mlflow_server:
            with contextlib.suppress(Exception):
                mlflow_server.stop()
    out = ours.figures(size)
    out.update(big_best.figures(big))
    out.update({k: v for k, v in machine.figures(size).items() if not k.endswith("_mem")})
    out["load_min"], out["load_max"] = min(loads), max(loads)
    return out, (theirs.figures(size) if mlflow_server else None), size / MiB / min(cp), skipped


def _check_put(result: tuple[int, bytes], body: GeneratedBody) -> None:
    status, answer = result
    assert status == 201 and json.loads(answer)["sha256"] == body.sha256, answer[:200]


class _Sized:
    def __init__(self, fh: t.BinaryIO, size: int) -> None:
        self.fh, self.size = fh, size

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> bytes:
        return self.fh.read(n)


def _signing_key(path: Path) -> Path:
    """A throwaway service-account key, for the app to sign URLs as GCS wants (the emulator checks no signature)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    path.write_text(json.dumps({"type": "service_account", "project_id": "bench", "private_key_id": "k1",
                                "private_key": pem, "client_email": "registry@bench.iam.gserviceaccount.com",
                                "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    return path


def _held(out: dict[str, float], name: str, server: Server, log: Path, size: int, fn: t.Callable[[], t.Any]) -> None:
    """Throughput, worker memory and the worker thread-seconds per GB the app's requests held
    (from its access log: every request's duration, parts in parallel each counted)."""
    _, since = request_seconds(log)
    before = server.reset_peaks()
    start = time.perf_counter()
    fn()
    out[name] = size / MiB / (time.perf_counter() - start)
    out[name + "_mem"] = server.peak_growth_mib(before)
    time.sleep(0.3)  # the last request's log line
    out[name + "_held"] = request_seconds(log, since)[0] / (size / GiB)
    out[name + "_complete"] = request_seconds(log, since, path_part="/complete")[0] / (size / GiB)


def _direct_session(session: requests.Session, api: str, base: str, src: Path, size: int, sha: str) -> None:
    """One file to a resumable session the app opens, in 32 MiB pieces, as the pages send it."""
    import google_crc32c

    direct = f"{api}/packages/ml_models/{base.rsplit('/', 1)[-1]}/direct-uploads"
    opened = session.post(direct, json={"path": "direct.bin", "size": size}).json()
    crc, digest = google_crc32c.Checksum(), hashlib.sha256()
    sent = 0
    with open(src, "rb") as fh:
        while sent < size:
            data = fh.read(32 * MiB)
            crc.update(data)
            digest.update(data)
            r = requests.put(opened["session_url"], data=data,
                             headers={"Content-Range": f"bytes {sent}-{sent + len(data) - 1}/{size}"})
            assert r.status_code in (200, 201, 308), r.text[:200]
            sent += len(data)
    done = session.post(f"{direct}/complete", json={
        "upload": opened["upload"], "sha256": digest.hexdigest(), "crc32c": int.from_bytes(crc.digest(), "big")})
    assert done.status_code == 201 and done.json()["sha256"] == sha, done.text[:200]


def measure_gcs(workdir: Path, size: int) -> dict[str, float]:
    """Each upload path on GCS: through the app, straight to the bucket; multipart by MLflow's
    client and by ``modelregistry``, its parts through the app (a store that cannot sign) and
    straight to the bucket (a store that signs)."""
    from flask_modelregistry.client.api_client import RegistryClient

    emulator = start_gcs_emulator(workdir, "bench")
    env = {"STORAGE_EMULATOR_HOST": emulator.host, "GOOGLE_CLOUD_PROJECT": "bench"}
    plain = start_example_app(workdir / "gcs", storage_uri="gs://bench/registry", extra_env=env, access_log=True)
    signing = start_example_app(workdir / "gcs-signed", storage_uri="gs://bench/signed", access_log=True, extra_env={
        **env, "MODEL_REGISTRY_GCS_SIGNING_KEY": str(_signing_key(workdir / "signing-key.json"))})
    out: dict[str, float] = {}
    try:
        src = workdir / "gcs.bin"
        sha = make_file(src, size)
        for server, kind in ((plain, "through"), (signing, "direct")):
            log = workdir / ("gcs" if server is plain else "gcs-signed") / "access.log"
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {server.token}"
            api = server.url + P
            base, run_id = _version(session, api, "gcs")
            if server is plain:
                def put() -> None:
                    with open(src, "rb") as fh:
                        r = session.put(f"{base}/artifacts/through.bin", data=fh, headers={"Content-Length": str(size)})
                    assert r.status_code == 201 and r.json()["sha256"] == sha, r.text[:200]

                _held(out, "through", server, log, size, put)
                _held(out, "direct", server, log, size, lambda: _direct_session(session, api, base, src, size, sha))
            c = _mlflow(f"{api}/ml/mlflow", server.token, multipart=True)
            _held(out, f"mlflow_parts_{kind}", server, log, size, lambda: c.log_artifact(run_id, str(src), "mp"))
            client = RegistryClient(server.url, server.token)
            version_id = int(base.rsplit("/", 1)[-1])

            def cli_parts() -> None:
                stored = client.put_file_in_parts("bench", version_id, "cli/gcs.bin", src, size, part_size=16 * MiB,
                                                  workers=4)
                assert stored.sha256 == sha

            _held(out, f"cli_parts_{kind}", server, log, size, cli_parts)
        src.unlink()
    finally:
        for server in (plain, signing):
            with contextlib.suppress(Exception):
                server.stop()
        emulator.stop()
    return out


@contextlib.contextmanager
def _client_env() -> t.Iterator[None]:
    """The MLflow client's environment as it was, after the workload set it."""
    saved = {k: os.environ.get(k) for k in (*CLIENT_ENV, "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD",
                                            "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE")}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run(quick: bool = False) -> None:
    size = (256 if quick else 2048) * MiB
    big = (1 if quick else 5) * GiB
    gcs_size = (32 if quick else 256) * MiB
    reps = 1 if quick else 3
    with _client_env(), tempfile.TemporaryDirectory(prefix="mr-bigfiles-bench-") as tmp:
        workdir = Path(tmp)
        src = workdir / "model.bin"
        sha = make_file(src, size)
        ours, theirs, cp, skipped = measure_local(src, sha, size, workdir, reps, big)
        src.unlink()
        gcs = measure_gcs(workdir, gcs_size)
    report(size, big, gcs_size, cp, ours, theirs, skipped, gcs)


def report(size: int, big: int, gcs_size: int, cp: float, ours: dict[str, float], theirs: dict[str, float] | None,
           skipped: str | None, gcs: dict[str, float]) -> None:
    print()
    print(f"Big files: {size // MiB} MiB on the local store, gunicorn 2 gthread workers; registry, MLflow's "
          "server and cp taking turns, best of the runs")
    print("-" * 100)
    print(f"load average (1 min) at each round: {ours['load_min']:.1f} to {ours['load_max']:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"{'path':<44} {'MiB/s':>8} {'worker +MiB':>12} {'vs mlflow':>10} {'vs cp+fsync':>12}")
    print(f"{'cp + fsync, same file, same disk':<44} {cp:8.0f} {'':>12} {'':>10} {'1.00':>12}")
    for label, key in (("sha256 alone (file in the page cache)", "sha256"),
                       ("MLflow client to a discarding server", "mlflow_client"),
                       ("JSON PUT client to a discarding server", "put_client")):
        print(f"{label:<44} {ours[key]:8.0f} {'':>12} {'':>10} {ours[key] / cp:11.2f}x")
    rows = [("JSON API PUT", "json_put", "log_artifact"), ("MLflow log_artifact (one PUT)", "log_artifact", "log_artifact"),
            ("MLflow log_artifact, multipart (parallel parts)", "multipart", "log_artifact"),
            ("MLflow download_artifacts", "download", "download")]
    for label, key, theirs_key in rows:
        ratio = f"{ours[key] / theirs[theirs_key]:9.2f}x" if theirs else "       n/a"
        print(f"{label:<44} {ours[key]:8.0f} {ours[key + '_mem']:12.0f} {ratio:>10} {ours[key] / cp:11.2f}x")
    if theirs:
        for label, key in (("mlflow server 3.17.2: log_artifact", "log_artifact"),
                           ("mlflow server 3.17.2: download_artifacts", "download")):
            print(f"{label:<44} {theirs[key]:8.0f} {theirs[key + '_mem']:12.0f} {'1.00x':>10} {theirs[key] / cp:11.2f}x")
    else:
        print(f"MLflow's own server: skipped, {skipped}")
    print(f"{f'{big / GiB:.0f} GiB body made on the fly, JSON API PUT':<44} {ours['big_put']:8.0f} "
          f"{ours['big_put_mem']:12.0f}")
    print()
    report_gcs(gcs_size, gcs)


GCS_ROWS = (("JSON API PUT through the app", "through"),
            ("direct upload to a resumable session", "direct"),
            ("MLflow multipart, parts through the app", "mlflow_parts_through"),
            ("MLflow multipart, parts straight to the bucket", "mlflow_parts_direct"),
            ("modelregistry parts through the app", "cli_parts_through"),
            ("modelregistry parts straight to the bucket", "cli_parts_direct"))


def report_gcs(gcs_size: int, gcs: dict[str, float]) -> None:
    print(f"GCS (gcp-storage-emulator, {gcs_size // MiB} MiB; the emulator's speed bounds every path). Worker "
          "thread-seconds: the app's requests' durations from its access log, added up")
    print(f"{'path':<48} {'MiB/s':>8} {'worker +MiB':>12} {'worker thread-s per GB':>24} {'of which completing':>20}")
    for label, key in GCS_ROWS:
        print(f"{label:<48} {gcs[key]:8.0f} {gcs[key + '_mem']:12.0f} {gcs[key + '_held']:24.2f} "
              f"{gcs[key + '_complete']:20.2f}")


def run_gcs(quick: bool = False) -> None:
    """The GCS part alone (``python -m bench bigfiles-gcs``)."""
    gcs_size = (32 if quick else 256) * MiB
    with _client_env(), tempfile.TemporaryDirectory(prefix="mr-bigfiles-gcs-bench-") as tmp:
        gcs = measure_gcs(Path(tmp), gcs_size)
    print()
    report_gcs(gcs_size, gcs)
