"""On GCS with a store that signs, the ``modelregistry`` command sends a large file's parts straight
to the bucket (signed URLs, none of its credentials), sends the file's SHA-256 and CRC32C with the
completion, and the server composes the parts in the bucket and checks the composed object's
CRC32C without reading a byte back; a wrong checksum leaves nothing."""
from __future__ import annotations

import hashlib
import os

import google_crc32c
import requests

from ..bigfiles.test_gcs_direct import app_config, store_kind  # noqa: F401  (fixtures: GCS that signs)
from ..support import pending_and_stored
from .conftest import make_tree, remote_files, version_id_of
from .test_cli_parts import InFlight, _run

MiB = 1024 * 1024


def test_the_parts_go_straight_to_the_bucket_and_nothing_is_read_back(client, rita, churn, live_server, tmp_path,
                                                                      monkeypatch):
    from flask_modelregistry.storage.gcs import GCSArtifactStore

    counter = InFlight(live_server.app)
    reads: list[str] = []
    real_read = GCSArtifactStore.read
    monkeypatch.setattr(GCSArtifactStore, "read", lambda self, key, *a, **k: reads.append(key) or real_read(
        self, key, *a, **k))
    sent_auth: list[str] = []
    real_request = requests.Session.request

    def watch(session, method, url, *args, **kwargs):  # what each request carries, as sent
        headers = {**session.headers, **(kwargs.get("headers") or {})}
        if "X-Goog-Signature" in url and ("Authorization" in headers or "PRIVATE-TOKEN" in headers):
            sent_auth.append(url)
        return real_request(session, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", watch)
    shas = make_tree(tmp_path, {"model/weights.bin": os.urandom(21 * MiB + 7), "model/small.txt": b"small"})
    assert _run(live_server, rita, monkeypatch, tmp_path, "model") == 0
    assert remote_files(client, rita, version_id_of(client, rita, churn, "1.0.0")) == shas
    assert counter.total == 0  # no part reached the app
    assert reads == []  # and the server read nothing back to hash it
    assert sent_auth == []  # the bucket got no token of the registry
    pending, objects = pending_and_stored(live_server.app)
    assert pending == [] and len(objects) == 2


def test_a_crc32c_that_is_not_the_composed_objects_keeps_nothing(client, rita, churn, live_server):
    version_id = client.post(f"/api/v1/projects/proj/models/{churn}/versions", json={"version": "2.0.0"},
                             headers=rita.headers).json["id"]
    url = f"/api/v1/projects/proj/packages/ml_models/{version_id}/uploads"
    data = os.urandom(5 * MiB + 3)
    created = client.post(url, json={"path": "w.bin", "size": len(data), "part_size": 5 * MiB},
                          headers=rita.headers).json
    assert created["direct"] is True and len(created["parts"]) == 2
    parts = []
    for part, start in zip(created["parts"], (0, 5 * MiB)):
        sent = requests.put(part["url"], data=data[start:start + 5 * MiB], headers=part["headers"], timeout=30)
        assert sent.status_code == 200
        parts.append({"part_number": part["part_number"], "etag": sent.headers.get("ETag", "")})
    crc = int.from_bytes(google_crc32c.Checksum(data).digest(), "big")
    body = {"upload_id": created["upload_id"], "parts": parts, "sha256": hashlib.sha256(data).hexdigest()}
    bad = client.post(f"{url}/complete", json={**body, "crc32c": crc ^ 1}, headers=rita.headers)
    assert bad.status_code == 422 and "CRC32C" in bad.json["error"]["message"]
    assert pending_and_stored(live_server.app) == ([], [])
    assert "w.bin" not in remote_files(client, rita, version_id)
    malformed = client.post(f"{url}/complete", json={**body, "sha256": "x", "crc32c": crc}, headers=rita.headers)
    assert malformed.status_code == 422
