"""Package files with curl-like raw requests: a body streamed in with PUT, fetched with GET,
Range and HEAD, on the local store and on GCS; 409, 413 and hostile paths."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from .conftest import PROJECT_API, stored_paths


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_upload_and_download_like_curl(client, rita, package, store_kind):
    body = os.urandom(1_500_000)
    url = f"{package.files}/model/weights/part-001.bin"
    # what `curl --upload-file part-001.bin -H "PRIVATE-TOKEN: ..." URL` sends
    r = client.put(url, input_stream=io.BytesIO(body), content_length=len(body),
                   headers={"PRIVATE-TOKEN": rita.token, "Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.json
    assert r.json["path"] == "model/weights/part-001.bin" and r.json["size"] == len(body)
    assert r.json["sha256"] == hashlib.sha256(body).hexdigest()

    r = client.get(url, headers={"PRIVATE-TOKEN": rita.token})
    assert r.status_code == 200 and r.data == body
    assert r.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    assert r.headers["Content-Length"] == str(len(body))
    assert "part-001.bin" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"

    r = client.get(url, headers={**rita.headers, "Range": "bytes=1000-1999"})
    assert r.status_code == 206 and r.data == body[1000:2000]
    assert r.headers["Content-Range"] == f"bytes 1000-1999/{len(body)}"
    r = client.get(url, headers={**rita.headers, "Range": "bytes=-10"})
    assert r.status_code == 206 and r.data == body[-10:]
    r = client.get(url, headers={**rita.headers, "Range": f"bytes={len(body)}-"})
    assert r.status_code == 416

    r = client.head(url, headers=rita.headers)
    assert r.status_code == 200 and r.data == b"" and r.headers["Content-Length"] == str(len(body))

    listing = client.get(package.files, headers=rita.headers).json
    assert listing["package_name"] == "fraud-detector/1.2.0" and listing["version"] == "1.2.0"
    assert [(f["path"], f["size"]) for f in listing["items"]] == [("model/weights/part-001.bin", len(body))]
    # the same files as the JSON API's artifacts of the version
    artifacts = client.get(f"{PROJECT_API}/models/{package.model_id}/versions/{package.version_id}/artifacts",
                           headers=rita.headers).json
    assert [a["sha256"] for a in artifacts["items"]] == [hashlib.sha256(body).hexdigest()]


def test_same_path_again_is_409_unless_overwrite_is_asked(app, client, rita, package):
    url = f"{package.files}/config.json"
    assert client.put(url, data=b'{"a": 1}', headers=rita.headers).status_code == 201
    r = client.put(url, data=b'{"a": 2}', headers=rita.headers)
    assert r.status_code == 409 and r.json["error"]["code"] == "already_exists"
    assert client.get(url, headers=rita.headers).data == b'{"a": 1}'
    r = client.put(url + "?overwrite=true", data=b'{"a": 3}', headers=rita.headers)
    assert r.status_code == 201 and r.json["content_type"] == "application/json"
    assert client.get(url, headers=rita.headers).data == b'{"a": 3}'
    assert stored_paths(app, package) == ["config.json"]


HOSTILE = [
    "../x", "%2e%2e/x", "a/%2E%2E/%2e%2e/x", "%2e%2e%2fetc%2fpasswd", "/etc/passwd", "//etc/passwd",
    "a\\b", "..\\..\\x", "a%00b", "a%0ab", "a//b", "a/./b", "a/", "./a", "x" * 1000, "a/" + "y" * 300,
]


def test_hostile_paths_are_refused(app, client, rita, package):
    for path in HOSTILE:
        for method in ("PUT", "GET"):
            r = client.open(f"{package.files}/{path}", method=method, data=b"evil" if method == "PUT" else None,
                            headers=rita.headers)
            assert r.status_code == 400, (method, path[:40], r.status_code, r.data[:200])
            assert r.json["error"]["code"] == "invalid"
    r = client.put(f"{package.files}/", data=b"x", headers=rita.headers)
    assert r.status_code == 400 and "empty" in r.json["error"]["message"]
    assert stored_paths(app, package) == []
    # an unusual but harmless name is fine
    assert client.put(f"{package.files}/weights%20v2/..hidden-ok", data=b"x", headers=rita.headers).status_code == 201
    assert stored_paths(app, package) == ["weights v2/..hidden-ok"]


def test_a_version_is_also_named_by_its_package_name(client, rita, package):
    r = client.put(f"{package.files_by_name}/model/MLmodel", data=b"flavors: {}\n", headers=rita.headers)
    assert r.status_code == 201, r.json
    assert client.get(f"{package.files}/model/MLmodel", headers=rita.headers).data == b"flavors: {}\n"
    assert client.get(f"{package.files_by_name}/model/MLmodel", headers=rita.headers).data == b"flavors: {}\n"
    assert client.get(package.files_by_name, headers=rita.headers).json["version_id"] == package.version_id
    # a folder named "files" is still a folder of the version named by id
    assert client.put(f"{package.files}/files/x.bin", data=b"x", headers=rita.headers).status_code == 201
    assert client.get(f"{package.files_by_name}/files/x.bin", headers=rita.headers).data == b"x"
    for url in (f"{PROJECT_API}/packages/ml_models/fraud-detector/9.9.9/files/model/MLmodel",
                f"{PROJECT_API}/packages/ml_models/no-such-model/1.2.0/files",
                f"{PROJECT_API}/packages/ml_models/987654/files/model/MLmodel",
                f"{PROJECT_API}/packages/ml_models/99999999999999/files"):
        r = client.get(url, headers=rita.headers)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found", url


def test_if_range_resumes_only_the_same_content(client, rita, package):
    body = b"0123456789" * 1000
    url = f"{package.files}/weights.bin"
    sha = client.put(url, data=body, headers=rita.headers).json["sha256"]
    r = client.get(url, headers={**rita.headers, "Range": "bytes=4000-", "If-Range": f'"{sha}"'})
    assert r.status_code == 206 and r.data == body[4000:]
    # a download started on other content gets the whole file again
    r = client.get(url, headers={**rita.headers, "Range": "bytes=4000-", "If-Range": '"0000"'})
    assert r.status_code == 200 and r.data == body
