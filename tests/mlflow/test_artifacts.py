"""Artifacts through MLflow's artifact proxy: logged to a version's run they are that version's
files (on local disk and on GCS), listed a folder at a time, downloaded whole or by range,
replaced, deleted; hostile paths and files above the limit are refused."""
from __future__ import annotations

import hashlib
import os

import mlflow
import pytest
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from .conftest import write_file

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_files_logged_to_a_version_run_are_the_versions(tracking, mlflow_client, tmp_path, store_kind):
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "")  # no source: the version's own run keeps its files
    local = tmp_path / "out"
    write_file(local, "model.pkl", b"\x80\x04pickle" * 1000)
    write_file(local, "config/params.yaml", "depth: 6\n")
    write_file(local, "config/features/list.txt", "amount\nmerchant\n")
    c.log_artifacts(mv.run_id, str(local))
    c.log_artifact(mv.run_id, write_file(tmp_path, "README.md", "# notes"), artifact_path="docs")

    files = tracking.api_files("fraud", 1)
    assert set(files) == {"model.pkl", "config/params.yaml", "config/features/list.txt", "docs/README.md"}
    assert files["model.pkl"]["sha256"] == hashlib.sha256(b"\x80\x04pickle" * 1000).hexdigest()
    assert tracking.api_version("fraud", 1)["artifact_count"] == 4

    assert sorted((f.path, f.is_dir) for f in c.list_artifacts(mv.run_id)) == [
        ("config", True), ("docs", True), ("model.pkl", False)]
    assert [(f.path, f.file_size) for f in c.list_artifacts(mv.run_id, "config/features")] == [
        ("config/features/list.txt", 16)]

    folder = mlflow.artifacts.download_artifacts(run_id=mv.run_id, artifact_path="config", dst_path=str(tmp_path / "dl"))
    assert open(os.path.join(folder, "features", "list.txt")).read() == "amount\nmerchant\n"
    # the whole version, as a deployment fetches it
    whole = mlflow.artifacts.download_artifacts(artifact_uri="models:/fraud/1", dst_path=str(tmp_path / "all"))
    assert open(os.path.join(whole, "model.pkl"), "rb").read() == b"\x80\x04pickle" * 1000


def test_put_replaces_range_get_and_delete(tracking, mlflow_client, tmp_path):
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "s3://b/1")
    c.log_artifact(mv.run_id, write_file(tmp_path, "a/notes.txt", "first"), artifact_path="sub")
    c.log_artifact(mv.run_id, write_file(tmp_path, "b/notes.txt", "second version"), artifact_path="sub")
    assert tracking.api_files("fraud", 1)["sub/notes.txt"]["size"] == len("second version")  # replaced, as MLflow does

    path = f"{ARTIFACTS}/0/{mv.run_id}/artifacts/sub/notes.txt"
    whole = tracking.http("GET", path)
    assert whole.status_code == 200 and whole.content == b"second version"
    assert whole.headers["Accept-Ranges"] == "bytes" and "attachment" in whole.headers["Content-Disposition"]
    part = tracking.http("GET", path, headers={"Range": "bytes=7-13"})
    assert part.status_code == 206 and part.content == b"version"
    assert part.headers["Content-Range"] == "bytes 7-13/14"

    repo = get_artifact_repository(c.get_run(mv.run_id).info.artifact_uri)
    repo.delete_artifacts("sub")
    assert tracking.api_files("fraud", 1) == {}
    missing = tracking.http("GET", path)
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_listing_a_missing_folder_or_a_file_is_empty(tracking, mlflow_client, tmp_path):
    c = mlflow_client
    run = c.create_run("0")
    c.log_artifact(run.info.run_id, write_file(tmp_path, "f.txt", "x"))
    base = f"0/{run.info.run_id}/artifacts"
    assert tracking.http("GET", ARTIFACTS, params={"path": f"{base}/nothing"}).json() == {}
    assert tracking.http("GET", ARTIFACTS, params={"path": f"{base}/f.txt"}).json() == {}
    assert tracking.http("GET", ARTIFACTS, params={"path": base}).json() == {
        "files": [{"path": "f.txt", "is_dir": False, "file_size": 1}]}
    assert c.list_artifacts(run.info.run_id, "f.txt") == []


def test_multipart_turned_off_and_the_client_falls_back(tracking, mlflow_client, tmp_path, monkeypatch):
    monkeypatch.setitem(tracking.app.config, "MODEL_REGISTRY_MULTIPART_UPLOADS", False)
    info = tracking.http("GET", "/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is False and info["multipart_downloads_enabled"] is False
    answer = tracking.http("POST", "/api/2.0/mlflow-artifacts/mpu/create/0/x/artifacts/f.bin",
                           json={"path": "f.bin", "num_parts": 2})
    assert answer.status_code == 501 and answer.json()["error_code"] == "NOT_IMPLEMENTED"

    # a client forced to try multipart gets NOT_IMPLEMENTED and sends one streamed PUT instead
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1024")
    run = mlflow_client.create_run("0")
    mlflow_client.log_artifact(run.info.run_id, write_file(tmp_path, "big.bin", b"z" * 4096))
    assert [(f.path, f.file_size) for f in mlflow_client.list_artifacts(run.info.run_id)] == [("big.bin", 4096)]


# (a literal "../" is resolved by the HTTP client before it is sent, to a path of the project's root)
@pytest.mark.parametrize("path", ["%2E%2E/escape.txt", "sub/%2e%2e/%2e%2e/escape.txt",
                                  "sub//x.txt", "sub/%00.txt"])
def test_hostile_paths_are_refused(tracking, mlflow_client, path):
    run = mlflow_client.create_run("0")
    answer = tracking.http("PUT", f"{ARTIFACTS}/0/{run.info.run_id}/artifacts/{path}", data=b"x")
    assert answer.status_code == 400, answer.text
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert mlflow_client.list_artifacts(run.info.run_id) == []
