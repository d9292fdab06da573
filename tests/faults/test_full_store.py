"""A full disk under the artifact store: a 20 MiB tmpfs mounted as the artifact folder, and uploads
larger than it through every door. Each answers 507 ``insufficient_storage`` in its own shape, the
partial file is removed, no row names it, and once space is free uploads work again."""
from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest

from ..support import login

P = "/api/v1/projects/proj"
TOO_BIG = 24 * 1024 * 1024  # more than the 20 MiB filesystem holds


@pytest.fixture
def storage_uri(tmp_path) -> str:
    """A real, tiny filesystem: tmpfs of 20 MiB (mounting needs root; else the test is skipped)."""
    folder = tmp_path / "tiny-store"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    yield str(folder)
    subprocess.run(["umount", "-l", str(folder)], check=False)


def _files_in(folder: str) -> list[str]:
    return [str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file()]


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "full-disk"}, headers=rita.headers).json
    mv = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return model["id"], mv["id"], mv["run_id"]


def _big() -> io.BytesIO:
    return io.BytesIO(os.urandom(1024 * 1024) * (TOO_BIG // (1024 * 1024)))


def test_every_door_answers_507_and_leaves_nothing(app, client, rita, version, storage_uri):
    m, v, run_id = version
    base = f"{P}/models/{m}/versions/{v}"

    r = client.put(f"{base}/artifacts/big.bin", data=_big(), headers=rita.headers)
    assert r.status_code == 507, r.data[:300]
    assert r.json["error"]["code"] == "insufficient_storage"
    assert "full" in r.json["error"]["message"]

    r = client.put(f"{P}/packages/ml_models/{v}/files/big.bin", data=_big(), headers=rita.headers)
    assert r.status_code == 507 and r.json["error"]["code"] == "insufficient_storage", r.data[:300]

    tracking = f"{P}/ml/mlflow/api/2.0"
    run = client.get(f"{tracking}/mlflow/runs/get", query_string={"run_id": run_id}, headers=rita.headers).json
    root = run["run"]["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    r = client.put(f"{tracking}/mlflow-artifacts/artifacts/{root}/big.bin", data=_big(), headers=rita.headers)
    assert r.status_code == 507, r.data[:300]
    assert r.json["error_code"] == "RESOURCE_EXHAUSTED" and "full" in r.json["message"]

    login(client, "rita")
    page = client.get(f"/projects/proj/models/{m}/versions/{v}?tab=artifacts")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    r = client.post(f"/projects/proj/models/{m}/versions/{v}/artifacts/upload",
                    data={"csrf_token": token, "subfolder": "", "files": (_big(), "big.bin")},
                    content_type="multipart/form-data")
    assert r.status_code == 507, r.data[:300]
    assert b"The storage is full" in r.data
    r = client.post(f"/projects/proj/models/{m}/versions/new",
                    data={"csrf_token": token, "version": "2.0.0", "files": (_big(), "big.bin")},
                    content_type="multipart/form-data")
    assert r.status_code == 507, r.data[:300]

    # nothing left: no partial file in the store, no row, and not the half-made version 2.0.0
    assert _files_in(storage_uri) == []
    listing = client.get(f"{base}/artifacts", headers=rita.headers).json
    assert listing["items"] == []
    versions = client.get(f"{P}/models/{m}/versions", headers=rita.headers).json
    assert [x["version"] for x in versions["items"]] == ["1.0.0"]

    # the space was given back: a file that fits goes in
    r = client.put(f"{base}/artifacts/small.bin", data=b"x" * 1024, headers=rita.headers)
    assert r.status_code == 201, r.data[:300]
    assert len(_files_in(storage_uri)) == 1
