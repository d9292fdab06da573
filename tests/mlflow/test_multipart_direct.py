"""MLflow's multipart protocol on GCS with a store that signs: the real client PUTs each part
straight to its own object in the bucket, through the V4 signed URL the server gives in
``credentials`` (none reaches the app), and completing composes them in the bucket (in levels past
32 parts), checks the size and records the file; an aborted, refused or abandoned upload leaves
nothing. The emulator takes these PUTs on ``/BUCKET/OBJECT`` and gives no ETag."""
from __future__ import annotations

import datetime as dt
import hashlib
import urllib.parse

import requests

from ..bigfiles.test_gcs_direct import app_config, backend, store_kind  # noqa: F401  (fixtures: GCS that signs)
from ..support import pending_and_stored
from .conftest import PartCounter, assert_a_refused_upload_leaves_nothing, random_file

MiB = 1024 * 1024


def _create(tracking, run_id: str, name: str, parts: int) -> tuple[str, dict]:
    base = f"/api/2.0/mlflow-artifacts/mpu/create/0/{run_id}/artifacts"
    created = tracking.http("POST", base, json={"path": f"/tmp/x/{name}", "num_parts": parts})
    assert created.status_code == 200, created.text
    return base, created.json()


def test_the_client_sends_every_part_straight_to_the_bucket(tracking, mlflow_client, multipart_env, tmp_path,
                                                            gcs_emulator):
    counter = PartCounter(tracking.app)
    c = mlflow_client
    c.create_registered_model("mp")
    mv = c.create_model_version("mp", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    source = tmp_path / "weights.bin"
    expected = random_file(source, 40 * MiB + 4321)  # 41 parts: two levels of compose
    c.log_artifact(mv.run_id, str(source), artifact_path="model")
    stored = tracking.api_files("mp", 1)["model/weights.bin"]
    assert stored["size"] == 40 * MiB + 4321 and stored["sha256"] == expected
    assert counter.total == 0  # no part reached the app
    import mlflow

    local = mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path="model/weights.bin",
                                                dst_path=str(tmp_path / "dl"))
    assert hashlib.sha256(open(local, "rb").read()).hexdigest() == expected
    pending, objects = pending_and_stored(tracking.app, partial=True)
    assert pending == [] and len(objects) == 1  # the file itself: no part, no intermediate compose


def test_the_credentials_are_signed_urls_of_the_bucket(tracking, mlflow_client, gcs_emulator):
    run = mlflow_client.create_run("0")
    base, created = _create(tracking, run.info.run_id, "f.bin", 2)
    for n, credential in enumerate(created["credentials"], start=1):
        url = urllib.parse.urlsplit(credential["url"])
        query = urllib.parse.parse_qs(url.query)
        assert f"{url.scheme}://{url.netloc}" == gcs_emulator.host and url.path.endswith(f"/{n:05d}")
        assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
        assert int(query["X-Goog-Expires"][0]) == tracking.app.config["MODEL_REGISTRY_MULTIPART_EXPIRY"]
        assert "x-goog-content-length-range" in query["X-Goog-SignedHeaders"][0]
        assert credential["headers"]["x-goog-content-length-range"].startswith("0,")
    # the app's part URL does not take parts of an upload that goes to the bucket
    refused = tracking.http("PUT", f"/api/2.0/mlflow-artifacts/mpu-part/1?upload_id={created['upload_id']}",
                            data=b"a")
    assert refused.status_code == 400
    tracking.http("POST", base.replace("/create/", "/abort/"), json={"path": "/tmp/x/f.bin",
                                                                      "upload_id": created["upload_id"]})
    assert pending_and_stored(tracking.app, partial=True) == ([], [])


def test_a_refused_completion_is_aborted_by_the_client_and_leaves_nothing(tracking, mlflow_client, multipart_env,
                                                                         tmp_path):
    # the bucket takes the parts; completing refuses
    assert_a_refused_upload_leaves_nothing(tracking, mlflow_client, tmp_path)


def test_completing_checks_the_parts_the_bucket_holds(tracking, mlflow_client):
    run = mlflow_client.create_run("0")
    base, created = _create(tracking, run.info.run_id, "two.bin", 2)
    first = requests.put(created["credentials"][0]["url"], data=b"a" * MiB,
                         headers=created["credentials"][0]["headers"], timeout=30)
    assert first.status_code == 200
    complete = {"path": "/tmp/x/two.bin", "upload_id": created["upload_id"],
                "parts": [{"part_number": 1, "etag": ""}, {"part_number": 2, "etag": ""}]}
    missing = tracking.http("POST", base.replace("/create/", "/complete/"), json=complete)
    assert missing.status_code == 400 and "part 2 is not in the bucket" in missing.text
    # an ETag that is not the held part's MD5: a part replaced since it was sent
    requests.put(created["credentials"][1]["url"], data=b"b" * 10, headers=created["credentials"][1]["headers"],
                 timeout=30)
    wrong = tracking.http("POST", base.replace("/create/", "/complete/"), json={
        **complete, "parts": [{"part_number": 1, "etag": '"' + hashlib.md5(b"x").hexdigest() + '"'},
                              {"part_number": 2, "etag": ""}]})
    assert wrong.status_code == 400 and "part 1 in the bucket is not the one sent" in wrong.text
    right = tracking.http("POST", base.replace("/create/", "/complete/"), json={
        **complete, "parts": [{"part_number": 1, "etag": '"' + hashlib.md5(b"a" * MiB).hexdigest() + '"'},
                              {"part_number": 2, "etag": ""}]})
    assert right.status_code == 200, right.text
    listed = tracking.http("GET", "/api/2.0/mlflow-artifacts/artifacts",
                           params={"path": f"0/{run.info.run_id}/artifacts"}).json()
    assert listed["files"] == [{"path": "two.bin", "is_dir": False, "file_size": MiB + 10}]
    pending, objects = pending_and_stored(tracking.app, partial=True)
    assert pending == [] and len(objects) == 1


def test_an_abandoned_upload_is_swept(tracking, mlflow_client):
    """A client that sends a part to the bucket and goes away: the sweeper deletes it."""
    run = mlflow_client.create_run("0")
    base, created = _create(tracking, run.info.run_id, "left.bin", 2)
    first = requests.put(created["credentials"][0]["url"], data=b"a" * MiB,
                         headers=created["credentials"][0]["headers"], timeout=30)
    assert first.status_code == 200
    assert pending_and_stored(tracking.app, partial=True) != ([], [])
    from flask_modelregistry.services import sweeper

    with tracking.app.app_context():
        sweeper.sweep(grace=dt.timedelta(0))
    assert pending_and_stored(tracking.app, partial=True) == ([], [])
    done = tracking.http("POST", base.replace("/create/", "/complete/"), json={
        "path": "/tmp/x/left.bin", "upload_id": created["upload_id"],
        "parts": [{"part_number": 1, "etag": ""}, {"part_number": 2, "etag": ""}]})
    assert done.status_code in (400, 409)
    assert pending_and_stored(tracking.app, partial=True) == ([], [])


def test_aborting_after_a_complete_keeps_the_file(tracking, mlflow_client):
    """MLflow's client aborts after any error of a complete (a retried complete whose first try
    recorded the file): the abort succeeds and deletes nothing, and completing again succeeds."""
    run = mlflow_client.create_run("0")
    base, created = _create(tracking, run.info.run_id, "once.bin", 1)
    credential = created["credentials"][0]
    assert requests.put(credential["url"], data=b"once", headers=credential["headers"], timeout=30).status_code == 200
    complete = {"path": "/tmp/x/once.bin", "upload_id": created["upload_id"], "parts": [{"part_number": 1, "etag": ""}]}
    for _ in range(2):
        done = tracking.http("POST", base.replace("/create/", "/complete/"), json=complete)
        assert done.status_code == 200, done.text
    aborted = tracking.http("POST", base.replace("/create/", "/abort/"), json={"path": "/tmp/x/once.bin",
                                                                               "upload_id": created["upload_id"]})
    assert aborted.status_code == 200, aborted.text
    got = tracking.http("GET", f"/api/2.0/mlflow-artifacts/artifacts/0/{run.info.run_id}/artifacts/once.bin")
    assert got.status_code == 200 and got.content == b"once"
    pending, objects = pending_and_stored(tracking.app, partial=True)
    assert pending == [] and len(objects) == 1
