"""Answers of the doors to requests no view can take: a wrong method (405 with ``Allow``), a newline in
an API path, any path under the API prefix (JSON, never Flask's HTML), a malformed chunked body sent
on a raw socket (400), and ``X-Content-Type-Options: nosniff`` on every answer."""
from __future__ import annotations

import socket
import uuid

import pytest
import requests

from .conftest import serve_with_gunicorn

P = "/api/v1/projects/proj"
TRACKING = f"{P}/ml/mlflow"


@pytest.fixture
def model(client, rita):
    created = client.post(f"{P}/models", json={"name": "door-model"}, headers=rita.headers)
    assert created.status_code == 201, created.json
    version = client.post(f"{P}/models/{created.json['id']}/versions", json={"version": "1.0.0"},
                          headers=rita.headers)
    return created.json["id"], version.json["id"]


def test_a_wrong_method_is_405_with_allow(client, rita, model):
    m, v = model
    for method, url, allowed in (("PUT", f"{P}/models", {"GET", "POST"}),
                                 ("POST", f"{P}/models/{m}", {"GET", "PATCH", "DELETE"}),
                                 ("DELETE", f"{P}/packages/ml_models/{v}/files/a.bin", {"GET", "PUT"})):
        r = client.open(url, method=method, headers=rita.headers, json={})
        assert r.status_code == 405, (method, url, r.data[:200])
        assert r.json["error"]["code"] == "method_not_allowed"
        assert allowed <= set(r.headers["Allow"].split(", ")), r.headers["Allow"]
    r = client.put(f"{TRACKING}/api/2.0/mlflow/registered-models/get", headers=rita.headers, json={})
    assert r.status_code == 405
    assert r.json["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "GET" in r.headers["Allow"]


def test_unknown_paths_under_the_api_are_json(client, rita):
    for url in (f"{P}/models%0A", f"{P}/mo%0Adels/1", f"{P}/models/1/versions/%0A", "/api/v1", "/api/v1/",
                "/api/v1/%0A", f"{P}/packages/ml_models/%0A/files", f"{P}/nothing/here"):
        r = client.get(url, headers=rita.headers)
        assert r.status_code in (400, 404), (url, r.status_code)
        assert r.is_json and r.json["error"]["code"] in ("not_found", "invalid"), (url, r.data[:200])
    r = client.get(f"{TRACKING}/api/2.0/mlflow/experiments%0A/get", headers=rita.headers)
    assert r.status_code == 404 and r.json["error_code"] == "ENDPOINT_NOT_FOUND"


def test_every_answer_says_nosniff(client, rita, model):
    m, v = model
    answers = [client.get(f"{P}/models", headers=rita.headers),
               client.get(f"{P}/models/999999", headers=rita.headers),
               client.put(f"{P}/models", headers=rita.headers),
               client.get("/api/v1/openapi.json"),
               client.get(f"{P}/models"),  # 401
               client.get(f"{TRACKING}/api/2.0/mlflow/registered-models/search", headers=rita.headers),
               client.get(f"{TRACKING}/api/2.0/mlflow/nothing", headers=rita.headers),
               client.get(f"{P}/packages/ml_models/{v}/files", headers=rita.headers),
               client.get(f"/projects/proj/models/{m}"),  # the login redirect
               client.get("/projects/proj/models/999999")]
    for r in answers:
        assert r.headers.get("X-Content-Type-Options") == "nosniff", (r.request.path, r.status_code)


@pytest.fixture(scope="module")
def gunicorn_sqlite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn")
    yield from serve_with_gunicorn(folder, f"sqlite:///{folder / 'app.db'}", str(folder / "artifacts"))


def _raw(base: str, request: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("body", [b"zz\r\nhello\r\n0\r\n\r\n",     # not a hexadecimal size
                                  b"5\r\nhelloXX0\r\n\r\n",         # no CRLF after the chunk
                                  b"ffff\r\nshort"])                 # ends inside a chunk
def test_a_malformed_chunked_body_is_400_on_every_door(live_server, rita, model, body):
    _check_malformed_chunks(live_server.url, rita.token, *model, body)


@pytest.mark.parametrize("body", [b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhelloXX0\r\n\r\n", b"ffff\r\nshort"])
def test_a_malformed_chunked_body_is_400_under_gunicorn(gunicorn_sqlite, body):
    """gunicorn's chunked decoder raises errors of its own kinds, not Werkzeug's."""
    served = gunicorn_sqlite
    model = requests.post(f"{served.url}{P}/models", json={"name": f"chunked-{uuid.uuid4().hex[:8]}"},
                          headers=served.headers, timeout=30).json()
    mv = requests.post(f"{served.url}{P}/models/{model['id']}/versions", json={"version": "1.0.0"},
                       headers=served.headers, timeout=30).json()
    _check_malformed_chunks(served.url, served.token, model["id"], mv["id"], body)


def _check_malformed_chunks(base: str, token: str, m: int, v: int, body: bytes) -> None:
    targets = [f"PUT {P}/models/{m}/versions/{v}/artifacts/c.bin", f"POST {P}/models/{m}/versions/{v}/metrics",
               f"PUT {P}/packages/ml_models/{v}/files/c.bin",
               f"POST {TRACKING}/api/2.0/mlflow/registered-models/create"]
    for target in targets:
        method, path = target.split(" ")
        head = (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        answer = _raw(base, head.encode() + body)
        status_line = answer.split(b"\r\n", 1)[0]
        assert status_line.split(b" ")[1] == b"400", (target, answer[:400])
        assert b"nosniff" in answer
    # nothing was stored by the failed uploads
    listing = requests.get(f"{base}{P}/models/{m}/versions/{v}/artifacts",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert listing["items"] == []
