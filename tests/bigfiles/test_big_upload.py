"""A file of a gigabyte (``MODEL_REGISTRY_TEST_BIG_UPLOAD_GIB``; ``make bench`` sends 5) sent to the
JSON API on the local store, made on the fly and never held whole: the stored sha256 matches, and
the serving process's memory does not grow with the file."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.bodies import GeneratedBody, put_body

GiB = 1024 ** 3
P = "/api/v1/projects/proj"


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the bytes go to the store; the database sees one row


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def reset_peak_rss() -> float:
    Path("/proc/self/clear_refs").write_text("5")
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.slow
def test_gigabyte_upload_streams_through(live_server, client, rita, tmp_path):
    size = int(float(os.environ.get("MODEL_REGISTRY_TEST_BIG_UPLOAD_GIB", "1")) * GiB)
    model = client.post(f"{P}/models", json={"name": "big"}, headers=rita.headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    url = f"{live_server.url}{P}/models/{model['id']}/versions/{version['id']}/artifacts/weights.bin"
    body = GeneratedBody(size)
    before = reset_peak_rss()
    status, answer = put_body(url, body, rita.headers)
    growth = peak_rss_mib() - before
    assert status == 201, answer[:300]
    stored = json.loads(answer)
    assert stored["size"] == size and stored["sha256"] == body.sha256
    assert growth < 150, f"memory grew by {growth:.0f} MiB while {size / GiB:.1f} GiB went through"
    with live_server.app.app_context():
        store = live_server.app.extensions["model_registry"].store
        assert not any((store.root / ".incoming").iterdir())
