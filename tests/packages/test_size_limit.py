"""The file size limit of the package API (a small MODEL_REGISTRY_MAX_FILE_SIZE for the test)."""
from __future__ import annotations

import io

import pytest

from .conftest import stored_paths


@pytest.fixture
def app_config():
    return {"MODEL_REGISTRY_MAX_FILE_SIZE": 1024}


def test_above_the_size_limit_is_413_and_nothing_is_kept(app, client, rita, package):
    r = client.put(f"{package.files}/big.bin", data=b"x" * 1025, headers=rita.headers)
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    # a body without Content-Length (chunked) is cut off at the limit too
    r = client.put(f"{package.files}/big-chunked.bin", input_stream=io.BytesIO(b"x" * 5000),
                   environ_overrides={"wsgi.input_terminated": True}, headers=rita.headers)
    assert r.status_code == 413, r.data
    assert client.put(f"{package.files}/fits.bin", data=b"x" * 1024, headers=rita.headers).status_code == 201
    assert stored_paths(app, package) == ["fits.bin"]
