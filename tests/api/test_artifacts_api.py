"""Files of a version through the JSON API: streamed upload, download with Range, delete; both stores."""
from __future__ import annotations

import hashlib
import http.client
import os
import urllib.parse

import pytest
import sqlalchemy as sa

P = "/api/v1/projects/proj"


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "files"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return f"{P}/models/{model['id']}/versions/{v['id']}", model, v


def _stored_keys(app):
    from flask_modelregistry.models import Artifact
    from example_app.models import db

    with app.app_context():
        return list(db.session.scalars(sa.select(Artifact.storage_key)))


def _store(app):
    with app.app_context():
        return app.extensions["model_registry"].store


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_upload_download_range_delete(app, client, rita, version, store_kind):
    base, _m, _v = version
    data = os.urandom(1_500_000)
    r = client.put(f"{base}/artifacts/weights/model.bin", data=data, headers=rita.headers)
    assert r.status_code == 201, r.json
    assert r.json == {**r.json, "path": "weights/model.bin", "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(), "content_type": "application/octet-stream"}
    assert client.put(f"{base}/artifacts/weights/model.bin", data=b"again", headers=rita.headers).status_code == 409
    listing = client.get(f"{base}/artifacts", headers=rita.headers).json
    assert [a["path"] for a in listing["items"]] == ["weights/model.bin"]
    got = client.get(f"{base}/artifacts/weights/model.bin", headers=rita.headers)
    assert got.status_code == 200 and got.data == data
    assert got.headers["Content-Length"] == str(len(data))
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith("attachment")
    part = client.get(f"{base}/artifacts/weights/model.bin", headers={**rita.headers, "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.data == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    tail = client.get(f"{base}/artifacts/weights/model.bin", headers={**rita.headers, "Range": "bytes=-10"})
    assert tail.data == data[-10:]
    bad = client.get(f"{base}/artifacts/weights/model.bin", headers={**rita.headers, "Range": f"bytes={len(data)}-"})
    assert bad.status_code == 416
    etag = got.headers["ETag"]
    assert client.get(f"{base}/artifacts/weights/model.bin",
                      headers={**rita.headers, "If-None-Match": etag}).status_code == 304
    head = client.head(f"{base}/artifacts/weights/model.bin", headers=rita.headers)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(data)) and head.data == b""
    keys = _stored_keys(app)
    assert len(keys) == 1 and _store(app).exists(keys[0])
    assert client.delete(f"{base}/artifacts/weights/model.bin", headers=rita.headers).status_code == 204
    assert not _store(app).exists(keys[0])
    assert client.get(f"{base}/artifacts/weights/model.bin", headers=rita.headers).status_code == 404


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_deleting_version_and_model_removes_stored_objects(app, client, rita, version, store_kind):
    base, model, _v = version
    for name in ("a.txt", "dir/b.txt"):
        assert client.put(f"{base}/artifacts/{name}", data=b"x" * 10, headers=rita.headers).status_code == 201
    v2 = client.post(f"{P}/models/{model['id']}/versions", json={"version": "2.0.0"}, headers=rita.headers).json
    assert client.put(f"{P}/models/{model['id']}/versions/{v2['id']}/artifacts/c.txt", data=b"c",
                      headers=rita.headers).status_code == 201
    keys = _stored_keys(app)
    assert len(keys) == 3 and all(_store(app).exists(k) for k in keys)
    assert client.delete(base, headers=rita.headers).status_code == 204
    assert [k for k in keys if _store(app).exists(k)] == [k for k in keys if k in _stored_keys(app)]
    assert len(_stored_keys(app)) == 1
    assert client.delete(f"{P}/models/{model['id']}", headers=rita.headers).status_code == 204
    assert not any(_store(app).exists(k) for k in keys)
    assert _stored_keys(app) == []


def test_delete_several_is_all_or_nothing(client, rita, version):
    base, _m, _v = version
    for name in ("a", "b", "c"):
        client.put(f"{base}/artifacts/{name}", data=b"1", headers=rita.headers)
    r = client.post(f"{base}/artifacts/delete", json={"paths": ["a", "nope"]}, headers=rita.headers)
    assert r.status_code == 404
    assert len(client.get(f"{base}/artifacts", headers=rita.headers).json["items"]) == 3
    r = client.post(f"{base}/artifacts/delete", json={"paths": ["a", "b"]}, headers=rita.headers)
    assert r.status_code == 204 and r.data == b""
    assert [a["path"] for a in client.get(f"{base}/artifacts", headers=rita.headers).json["items"]] == ["c"]
    for body in [{"paths": []}, {"paths": "a"}, {}, {"paths": ["../c"]}]:
        assert client.post(f"{base}/artifacts/delete", json=body, headers=rita.headers).status_code in (400, 422)


def test_size_limit_is_413_and_keeps_nothing(app, client, rita, version):
    app.config["MODEL_REGISTRY_MAX_FILE_SIZE"] = 1000
    base, _m, _v = version
    r = client.put(f"{base}/artifacts/big.bin", data=b"x" * 1001, headers=rita.headers)
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert "limit of 1000 bytes" in r.json["error"]["message"]
    assert client.get(f"{base}/artifacts", headers=rita.headers).json["items"] == []
    assert _stored_keys(app) == []
    assert client.put(f"{base}/artifacts/ok.bin", data=b"x" * 1000, headers=rita.headers).status_code == 201


def test_chunked_body_past_the_limit_is_413(app, live_server, rita, version):
    """A body without Content-Length (chunked transfer) is counted as it arrives."""
    import requests

    app.config["MODEL_REGISTRY_MAX_FILE_SIZE"] = 1000
    base, _m, _v = version

    def chunks():
        for _ in range(30):
            yield b"y" * 100

    r = requests.put(f"{live_server.url}{base}/artifacts/chunked.bin", data=chunks(), headers=rita.headers)
    assert r.status_code == 413
    small = requests.put(f"{live_server.url}{base}/artifacts/small.bin", data=iter([b"a" * 500, b"b" * 400]),
                         headers=rita.headers)
    assert small.status_code == 201 and small.json()["size"] == 900
    assert [k for k in _stored_keys(app)] and len(_stored_keys(app)) == 1


HOSTILE_URL_PATHS = ["../x", "%2e%2e/x", "a/%2e%2e/%2e%2e/x", "%2Fetc/passwd", "a%5Cb", "a%00b", "a//b",
                     "x" * 1000, "a/%0a", "dir/"]


@pytest.mark.parametrize("path", HOSTILE_URL_PATHS)
def test_hostile_paths_are_400(client, rita, version, path):
    base, _m, _v = version
    r = client.put(f"{base}/artifacts/{path}", data=b"x", headers=rita.headers)
    assert r.status_code in (400, 404), r.status_code
    if r.status_code == 400:
        assert r.json["error"]["code"] == "invalid"
    assert client.get(f"{base}/artifacts", headers=rita.headers).json["items"] == []


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_cut_off_upload_leaves_no_row_and_no_object(app, live_server, rita, version, store_kind):
    """A client that declares 4 MB, sends 1 MB and hangs up."""
    base, _m, _v = version
    url = urllib.parse.urlsplit(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("PUT", f"{base}/artifacts/cut.bin")
    conn.putheader("Authorization", f"Bearer {rita.token}")
    conn.putheader("Content-Length", str(4 * 1024 * 1024))
    conn.endheaders()
    conn.send(b"z" * (1024 * 1024))
    conn.sock.shutdown(2)
    conn.close()
    import time

    deadline = time.time() + 10
    while time.time() < deadline:  # the server notices the hang-up when it reads on
        time.sleep(0.2)
        if _no_incoming(app, store_kind):
            break
    assert _stored_keys(app) == []
    assert _no_incoming(app, store_kind)


def _no_incoming(app, store_kind) -> bool:
    if store_kind != "local":
        store = _store(app)
        return not list(store.bucket.list_blobs(prefix=store.prefix))
    incoming = _store(app).root / ".incoming"
    return not incoming.exists() or not any(incoming.iterdir())
