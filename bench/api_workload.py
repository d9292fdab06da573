"""The JSON API on the example app served by gunicorn (2 gthread workers) on SQLite: creating
models and versions, list pages, a 1 GiB upload and download on the local store, a 256 MiB one
on GCS (gcp-storage-emulator in its own process: it holds whole objects in memory, so larger
objects measure the emulator, not the registry), and the query count of each list page."""
from __future__ import annotations

import contextlib
import hashlib
import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from .servers import Server, start_example_app, start_gcs_emulator

MiB = 1024 * 1024
P = "/api/v1/projects/bench"


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.1f} ms (p95 {sorted(values)[int(len(values) * 0.95) - 1] * 1000:.1f})"


def _make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(4 * MiB)
    with open(path, "wb") as fh:
        left = size
        while left:
            chunk = block[: min(len(block), left)]
            fh.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def transfer(server: Server, session: requests.Session, base: str, size: int, workdir: Path) -> dict[str, float]:
    """Upload then download one file of ``size`` bytes; MB/s and the workers' peak RSS growth."""
    path = workdir / f"blob-{size}"
    sha = _make_file(path, size)
    before = server.reset_peaks()
    with open(path, "rb") as fh:
        up_s, r = _timed(session.put, f"{base}/artifacts/blob.bin", data=fh,
                         headers={"Content-Length": str(size)})
    assert r.status_code == 201 and r.json()["sha256"] == sha, r.text[:300]
    up_mem = server.peak_growth_mib(before)
    before = server.reset_peaks()
    start = time.perf_counter()
    digest = hashlib.sha256()
    with session.get(f"{base}/artifacts/blob.bin", stream=True) as resp:
        resp.raise_for_status()
        for chunk in resp.iter_content(MiB):
            digest.update(chunk)
    down_s = time.perf_counter() - start
    assert digest.hexdigest() == sha
    down_mem = server.peak_growth_mib(before)
    path.unlink()
    return {"up_mbs": size / MiB / up_s, "down_mbs": size / MiB / down_s, "up_mem": up_mem, "down_mem": down_mem}


def query_counts(workdir: Path) -> dict[int, tuple[int, int]]:
    """Queries per model list page and version list page, in-process on the benchmark's database."""
    import sqlalchemy as sa

    from example_app import create_app
    from example_app.models import db
    from flask_modelregistry.services import registered_models, versions
    from flask_modelregistry.services.identity import Actor

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}", "SECRET_KEY": "bench",
                      "MODEL_REGISTRY_STORAGE_URI": str(workdir / "artifacts")})
    out = {}
    with app.app_context():
        actor = Actor.system()
        model = registered_models.get_model_by_name("bench", actor, "with-versions")
        for per_page in (5, 20, 100):
            counts = []
            for call in (lambda: registered_models.list_models("bench", actor, per_page=per_page),
                         lambda: versions.list_versions("bench", actor, model, per_page=per_page)):
                statements: list[str] = []
                listener = lambda *a: statements.append(a[2])  # noqa: E731
                db.session.expire_all()
                sa.event.listen(db.engine, "before_cursor_execute", listener)
                try:
                    call()
                finally:
                    sa.event.remove(db.engine, "before_cursor_execute", listener)
                counts.append(len(statements))
            out[per_page] = (counts[0], counts[1])
    return out


def run(quick: bool = False) -> None:
    n_models = 200 if quick else 1000
    n_versions = 50 if quick else 200
    big = 64 * MiB if quick else 1024 * MiB
    gcs_size = 32 * MiB if quick else 256 * MiB
    with tempfile.TemporaryDirectory(prefix="mr-bench-") as tmp:
        workdir = Path(tmp)
        server = start_example_app(workdir / "local")
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {server.token}"
            api = server.url + P
            create_model = []
            for i in range(n_models):
                seconds, r = _timed(session.post, f"{api}/models", json={"name": f"model-{i:04d}",
                                                                          "description": "benchmark model"})
                assert r.status_code == 201, r.text
                create_model.append(seconds)
            model = session.post(f"{api}/models", json={"name": "with-versions"}).json()
            create_version = []
            for i in range(n_versions):
                body = {"version": f"{i // 20}.{i % 20}.0", "metrics": [{"key": "acc", "value": 0.5, "step": 0}],
                        "params": {"lr": "0.1"}}
                seconds, r = _timed(session.post, f"{api}/models/{model['id']}/versions", json=body)
                assert r.status_code == 201, r.text
                create_version.append(seconds)
            list_models, list_versions = [], []
            pages = max(1, n_models // 20)
            for i in range(60):
                seconds, r = _timed(session.get, f"{api}/models", params={"per_page": 20, "page": 1 + i % pages,
                                                                           "sort": "name", "order": "asc"})
                assert r.status_code == 200 and len(r.json()["items"]) == 20
                list_models.append(seconds)
                seconds, r = _timed(session.get, f"{api}/models/{model['id']}/versions",
                                    params={"per_page": 20, "page": 1 + i % max(1, n_versions // 20)})
                assert r.status_code == 200 and len(r.json()["items"]) == 20
                list_versions.append(seconds)
            version = session.post(f"{api}/models/{model['id']}/versions", json={"version": "99.0.0"}).json()
            local = transfer(server, session, f"{api}/models/{model['id']}/versions/{version['id']}", big, workdir)
            idle = server.rss_mib()
        finally:
            server.stop()
        counts = query_counts(workdir / "local")

        emulator = start_gcs_emulator(workdir, "bench")
        gcs_server = start_example_app(workdir / "gcs", storage_uri="gs://bench/registry",
                                       extra_env={"STORAGE_EMULATOR_HOST": emulator.host,
                                                  "GOOGLE_CLOUD_PROJECT": "bench"})
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {gcs_server.token}"
            api = gcs_server.url + P
            m = session.post(f"{api}/models", json={"name": "gcs"}).json()
            v = session.post(f"{api}/models/{m['id']}/versions", json={"version": "1.0.0"}).json()
            gcs = transfer(gcs_server, session, f"{api}/models/{m['id']}/versions/{v['id']}", gcs_size, workdir)
        finally:
            with contextlib.suppress(Exception):
                gcs_server.stop()
            emulator.stop()

    print()
    print("JSON API on the example app (gunicorn, 2 gthread workers, SQLite)")
    print("-" * 78)
    print(f"create a model ({n_models} calls)              {_ms(create_model)}")
    print(f"create a version ({n_versions} calls)             {_ms(create_version)}")
    print(f"model list page, 20 of {n_models:<5}              {_ms(list_models)}")
    print(f"version list page, 20 of {n_versions:<4}             {_ms(list_versions)}")
    print("queries per list page (models / versions): " + ", ".join(
        f"per_page={k}: {v[0]} / {v[1]}" for k, v in counts.items()))
    print(f"{big // MiB} MiB upload, local store            {local['up_mbs']:7.0f} MB/s, worker peak +{local['up_mem']:.0f} MiB")
    print(f"{big // MiB} MiB download, local store          {local['down_mbs']:7.0f} MB/s, worker peak +{local['down_mem']:.0f} MiB")
    print(f"{gcs_size // MiB} MiB upload, GCS (emulator)          {gcs['up_mbs']:7.0f} MB/s, worker peak +{gcs['up_mem']:.0f} MiB")
    print(f"{gcs_size // MiB} MiB download, GCS (emulator)        {gcs['down_mbs']:7.0f} MB/s, worker peak +{gcs['down_mem']:.0f} MiB")
    print(f"server RSS at rest (master + 2 workers)   {idle:7.0f} MiB")
