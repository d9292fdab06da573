"""A 300 MB artifact logged with the MLflow client and downloaded again, its sha256 checked,
without the file ever sitting in memory (client and server share this process here)."""
from __future__ import annotations

import hashlib
import os
import resource

import mlflow
import pytest

SIZE = 300 * 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the bytes go to the artifact store; once is enough


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.slow
def test_300_mb_artifact_round_trip(tracking, mlflow_client, tmp_path):
    block = os.urandom(1 << 20)
    source = tmp_path / "weights.bin"
    with open(source, "wb") as fh:
        for i in range(SIZE >> 20):
            fh.write(i.to_bytes(4, "big") + block[4:])
    expected = sha256_of(str(source))

    c = mlflow_client
    c.create_registered_model("big")
    mv = c.create_model_version("big", "", tags={"model_registry.version": "1.0.0"})
    before = peak_rss_mb()
    c.log_artifact(mv.run_id, str(source), artifact_path="model")
    stored = tracking.api_files("big", 1)["model/weights.bin"]
    assert stored["size"] == SIZE and stored["sha256"] == expected

    local = mlflow.artifacts.download_artifacts("models:/big/1", dst_path=str(tmp_path / "dl"))
    assert sha256_of(os.path.join(local, "model", "weights.bin")) == expected
    assert peak_rss_mb() - before < 100, "the 300 MB file was held in memory"
