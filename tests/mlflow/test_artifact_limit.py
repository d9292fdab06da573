"""The size limit (``MODEL_REGISTRY_MAX_FILE_SIZE``) holds for MLflow's artifact uploads: above it
the client gets a 413 (never a 5xx it would retry) and nothing is kept."""
from __future__ import annotations

import pytest

from .conftest import write_file

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def app_config():
    return {"MODEL_REGISTRY_MAX_FILE_SIZE": 4096}


def test_files_above_the_size_limit_are_refused(tracking, mlflow_client, tmp_path):
    run = mlflow_client.create_run("0")
    with pytest.raises(Exception) as excinfo:
        mlflow_client.log_artifact(run.info.run_id, write_file(tmp_path, "big.bin", b"z" * 5000))
    assert "413" in str(excinfo.value)
    mlflow_client.log_artifact(run.info.run_id, write_file(tmp_path, "small.bin", b"z" * 4096))
    assert [f.path for f in mlflow_client.list_artifacts(run.info.run_id)] == ["small.bin"]
    # a chunked upload without a length is cut at the limit too
    answer = tracking.http("PUT", f"{ARTIFACTS}/0/{run.info.run_id}/artifacts/chunked.bin",
                           data=iter([b"y" * 3000, b"y" * 3000]))
    assert answer.status_code == 413 and answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert [f.path for f in mlflow_client.list_artifacts(run.info.run_id)] == ["small.bin"]
