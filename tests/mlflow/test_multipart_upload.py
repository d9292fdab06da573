"""MLflow's multipart artifact protocol (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD``) with the real
client against the tracking URI, on both stores: the parts go to this server in parallel, the
file is assembled whole (sha256 checked), and an aborted or abandoned upload leaves nothing."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from ..support import pending_and_stored
from .conftest import PartCounter, assert_a_refused_upload_leaves_nothing, random_file

MiB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_parts_in_parallel_assemble_the_file(tracking, mlflow_client, multipart_env, tmp_path, store_kind):
    counter = PartCounter(tracking.app)
    c = mlflow_client
    c.create_registered_model("mp")
    mv = c.create_model_version("mp", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    source = tmp_path / "weights.bin"
    expected = random_file(source, 7 * MiB + 12345)  # 8 parts, the last short
    c.log_artifact(mv.run_id, str(source), artifact_path="model")
    stored = tracking.api_files("mp", 1)["model/weights.bin"]
    assert stored["size"] == 7 * MiB + 12345 and stored["sha256"] == expected
    assert counter.total == 8 and counter.most >= 2, (counter.total, counter.most)
    out = tmp_path / "dl"
    import mlflow

    local = mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path="model/weights.bin", dst_path=str(out))
    assert hashlib.sha256(open(local, "rb").read()).hexdigest() == expected
    pending, objects = pending_and_stored(tracking.app, partial=True)
    assert pending == [] and len(objects) == 1  # the file itself, no part left


@pytest.mark.parametrize(("store_kind", "parts"), [("local", 0), ("gcs", 3)])
def test_a_client_left_to_ask_the_server_gets_multipart_only_where_it_pays(
        tracking, mlflow_client, monkeypatch, tmp_path, store_kind, parts):
    """Without ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`` the client asks ``server-info``. On the
    local folder one streamed PUT is hashed as it arrives, while parts arriving out of order must
    be read back to be hashed, so the server says no there (as MLflow's server says for a local
    artifact root); on GCS the parts are composed, and it says yes."""
    monkeypatch.delenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", raising=False)
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(MiB))
    counter = PartCounter(tracking.app)
    info = tracking.http("GET", "/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is (parts > 0)
    run = mlflow_client.create_run("0")
    source = tmp_path / "weights.bin"
    expected = random_file(source, 2 * MiB + 5)
    mlflow_client.log_artifact(run.info.run_id, str(source))
    assert counter.total == parts
    local = mlflow_client.download_artifacts(run.info.run_id, "weights.bin", str(tmp_path / "dl"))
    assert hashlib.sha256(open(local, "rb").read()).hexdigest() == expected


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_a_failed_part_aborts_and_leaves_nothing(tracking, mlflow_client, multipart_env, tmp_path, store_kind):
    assert_a_refused_upload_leaves_nothing(tracking, mlflow_client, tmp_path)  # parts beyond 3 MiB are refused


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_an_abandoned_upload_is_swept(tracking, mlflow_client, tmp_path, store_kind):
    """A client that sends some parts and goes away: the sweeper deletes what it sent."""
    c = mlflow_client
    run = c.create_run("0")
    base = f"/api/2.0/mlflow-artifacts/mpu/create/0/{run.info.run_id}/artifacts"
    created = tracking.http("POST", base, json={"path": "/tmp/x/left.bin", "num_parts": 2}).json()
    import requests

    first = requests.put(created["credentials"][0]["url"], data=b"a" * MiB, timeout=30)
    assert first.status_code == 200
    assert pending_and_stored(tracking.app, partial=True) != ([], [])
    from flask_modelregistry.services import sweeper

    with tracking.app.app_context():
        sweeper.sweep(grace=dt.timedelta(0))
    assert pending_and_stored(tracking.app, partial=True) == ([], [])
    # the upload is gone: its last part is refused, and completing it fails without a trace
    again = requests.put(created["credentials"][1]["url"], data=b"b" * 10, timeout=30)
    assert again.status_code >= 400
    done = tracking.http("POST", base.replace("/create/", "/complete/"), json={
        "path": "/tmp/x/left.bin", "upload_id": created["upload_id"],
        "parts": [{"part_number": 1, "etag": first.headers["ETag"]}, {"part_number": 2, "etag": "10-0"}]})
    assert done.status_code == 400
    assert pending_and_stored(tracking.app, partial=True) == ([], [])


def test_part_urls_need_a_valid_upload_id(tracking, mlflow_client):
    import requests

    run = mlflow_client.create_run("0")
    base = f"/api/2.0/mlflow-artifacts/mpu/create/0/{run.info.run_id}/artifacts"
    created = tracking.http("POST", base, json={"path": "f.bin", "num_parts": 2}).json()
    url = created["credentials"][0]["url"]
    forged = url.replace("upload_id=", "upload_id=x")
    assert requests.put(forged, data=b"a", timeout=30).status_code == 404
    assert requests.put(url.replace("/mpu-part/1", "/mpu-part/3"), data=b"a", timeout=30).status_code == 404
    # a reader may not start one
    reader = tracking.http("POST", base, person="gus", json={"path": "f.bin", "num_parts": 2})
    assert reader.status_code == 403
    tracking.http("POST", base.replace("/create/", "/abort/"), json={"path": "f.bin", "upload_id": created["upload_id"]})
