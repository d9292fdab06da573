"""On GCS, files go straight to and from the bucket: downloads redirect to short-lived signed URLs
(named for the file), uploads go to a resumable session the server opens per file, and the file
is recorded only once the bucket's object has the size and CRC32C sent. Signing uses a throwaway
service-account key (the emulator verifies no signature, but the URL is signed as GCS wants)."""
from __future__ import annotations

import hashlib
import os
import urllib.parse

import google_crc32c
import pytest
import requests
import sqlalchemy as sa

P = "/api/v1/projects/proj"
KiB = 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def store_kind() -> str:
    return "gcs"


@pytest.fixture
def app_config(gcs_signing_key) -> dict:
    return {"MODEL_REGISTRY_GCS_SIGNING_KEY": gcs_signing_key}


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "direct"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return v["id"], f"{P}/models/{model['id']}/versions/{v['id']}"


def _direct(version_id: int) -> str:
    return f"{P}/packages/ml_models/{version_id}/direct-uploads"


def _crc32c(data: bytes) -> int:
    return int.from_bytes(google_crc32c.Checksum(data).digest(), "big")


def _pending(app) -> list[str]:
    from flask_modelregistry.models import PendingObject
    from example_app.models import db

    with app.app_context():
        return list(db.session.scalars(sa.select(PendingObject.storage_key)))


def test_download_redirects_to_a_signed_url_named_for_the_file(client, rita, version):
    _vid, base = version
    data = os.urandom(300 * KiB)
    assert client.put(f"{base}/artifacts/model/weights.bin", data=data, headers=rita.headers).status_code == 201
    got = client.get(f"{base}/artifacts/model/weights.bin", headers=rita.headers)
    assert got.status_code == 302 and got.headers["Cache-Control"] == "private, no-store"
    url = got.headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"] and int(query["X-Goog-Expires"][0]) <= 900
    assert 'filename="weights.bin"' in query["response-content-disposition"][0]
    direct = requests.get(url, timeout=30)
    assert direct.status_code == 200 and direct.content == data
    assert 'filename="weights.bin"' in direct.headers["Content-Disposition"]
    # a reader without access gets no URL at all
    assert client.get(f"{base}/artifacts/model/weights.bin", headers={}).status_code == 401


def test_signed_downloads_can_be_turned_off(app, client, rita, version):
    _vid, base = version
    app.config["MODEL_REGISTRY_SIGNED_URL_DOWNLOADS"] = False
    assert client.put(f"{base}/artifacts/a.txt", data=b"through the app", headers=rita.headers).status_code == 201
    got = client.get(f"{base}/artifacts/a.txt", headers=rita.headers)
    assert got.status_code == 200 and got.data == b"through the app"


def test_mlflow_and_the_command_download_through_the_redirect(live_server, client, rita, version, tmp_path,
                                                              monkeypatch):
    import mlflow
    from flask_modelregistry.client.cli import main

    vid, base = version
    data = os.urandom(600 * KiB)
    assert client.put(f"{base}/artifacts/m/w.bin", data=data, headers=rita.headers).status_code == 201
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{live_server.url}{P}/ml/mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", rita.token)
    run_id = client.get(f"{base}", headers=rita.headers).json["run_id"]
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="m/w.bin", dst_path=str(tmp_path / "ml"))
    assert open(local, "rb").read() == data
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", rita.token)
    assert main(["download", "proj", "direct", "1.0.0", "--no-progress"]) == 0
    assert (tmp_path / "direct" / "1.0.0" / "m" / "w.bin").read_bytes() == data


def test_direct_upload_resumes_after_a_network_error_and_is_checked(app, client, rita, version):
    vid, base = version
    data = os.urandom(3 * 256 * KiB + 1000)
    opened = client.post(_direct(vid), json={"path": "weights/model.bin", "size": len(data)},
                         headers={**rita.headers, "Origin": "http://portal.example"})
    assert opened.status_code == 201, opened.json
    session_url = opened.json["session_url"]
    chunk = 256 * KiB
    first = requests.put(session_url, data=data[:chunk], headers={"Content-Range": f"bytes 0-{chunk - 1}/{len(data)}"})
    assert first.status_code == 308
    # the next chunk is lost on the way; the client asks where the bucket stands and goes on from there
    status = requests.put(session_url, data=b"", headers={"Content-Range": f"bytes */{len(data)}"})
    assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{chunk - 1}"
    assert client.get(f"{base}/artifacts", headers=rita.headers).json["items"] == []  # nothing recorded yet
    rest = requests.put(session_url, data=data[chunk:],
                        headers={"Content-Range": f"bytes {chunk}-{len(data) - 1}/{len(data)}"})
    assert rest.status_code in (200, 201)
    done = client.post(f"{_direct(vid)}/complete", headers=rita.headers, json={
        "upload": opened.json["upload"], "sha256": hashlib.sha256(data).hexdigest(), "crc32c": _crc32c(data)})
    assert done.status_code == 201, done.json
    assert done.json["size"] == len(data) and done.json["sha256"] == hashlib.sha256(data).hexdigest()
    again = client.post(f"{_direct(vid)}/complete", headers=rita.headers, json={
        "upload": opened.json["upload"], "sha256": hashlib.sha256(data).hexdigest(), "crc32c": _crc32c(data)})
    assert again.status_code == 201  # a retried finish records nothing twice
    assert [a["path"] for a in client.get(f"{base}/artifacts", headers=rita.headers).json["items"]] == \
        ["weights/model.bin"]
    assert _pending(app) == []


def test_a_file_changed_on_the_way_is_refused_and_deleted(app, client, rita, version):
    vid, base = version
    data = os.urandom(100 * KiB)
    opened = client.post(_direct(vid), json={"path": "x.bin", "size": len(data)}, headers=rita.headers).json
    assert requests.put(opened["session_url"], data=data).status_code in (200, 201)
    bad = client.post(f"{_direct(vid)}/complete", headers=rita.headers, json={
        "upload": opened["upload"], "sha256": hashlib.sha256(data).hexdigest(), "crc32c": _crc32c(data + b"x")})
    assert bad.status_code == 422
    assert client.get(f"{base}/artifacts", headers=rita.headers).json["items"] == []
    assert _pending(app) == []
    with app.app_context():
        assert list(app.extensions["model_registry"].store.list_objects()) == []


def test_cancel_and_access(app, client, rita, people, version):
    vid, _base = version
    reader = client.post(_direct(vid), json={"path": "y.bin", "size": 3}, headers=people["gus"].headers)
    assert reader.status_code == 403
    too_big = client.post(_direct(vid), json={"path": "y.bin", "size": 6 * 1024 ** 3}, headers=rita.headers)
    assert too_big.status_code == 413
    opened = client.post(_direct(vid), json={"path": "y.bin", "size": 3}, headers=rita.headers).json
    assert requests.put(opened["session_url"], data=b"abc").status_code in (200, 201)
    forged = client.post(f"{_direct(vid)}/complete", headers=rita.headers,
                         json={"upload": opened["upload"] + "x", "sha256": "0" * 64, "crc32c": 1})
    assert forged.status_code == 404
    assert client.post(f"{_direct(vid)}/cancel", headers=rita.headers,
                       json={"upload": opened["upload"]}).status_code == 204
    assert _pending(app) == []
    with app.app_context():
        assert list(app.extensions["model_registry"].store.list_objects()) == []


@pytest.mark.parametrize("store_kind", ["local"])
def test_the_local_store_offers_no_direct_upload(client, rita, version, store_kind):
    vid, base = version
    answer = client.post(_direct(vid), json={"path": "y.bin", "size": 3}, headers=rita.headers)
    assert answer.status_code == 400
    assert client.put(f"{base}/artifacts/a.txt", data=b"a", headers=rita.headers).status_code == 201
    assert client.get(f"{base}/artifacts/a.txt", headers=rita.headers).status_code == 200  # no redirect
