"""Requests no page can take, under the registry's page URLs: a wrong method answers the registry's
own 405 page with ``Allow`` (computed from the URL map), an unknown path or one with a newline the
registry's 404 page, a malformed chunked body 400, each with ``X-Content-Type-Options: nosniff``,
without any app-wide error handler: the host's own routes and its other paths answer as before."""
from __future__ import annotations

import socket

import pytest

from ..support import login

P = "/projects/proj"


@pytest.fixture
def model_id(app, client, rita) -> int:
    prefix = app.config["MODEL_REGISTRY_URL_PREFIX"]
    created = client.post(f"{prefix}/api/v1{P}/models", json={"name": "paged"}, headers=rita.headers)
    assert created.status_code == 201
    return created.json["id"]


def _registry_page(r) -> bool:
    return r.mimetype == "text/html" and b'class="mr-error-page"' in r.data


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_wrong_method_on_a_page_is_the_registrys_405_with_allow(client, model_id, signed_in):
    if signed_in:
        login(client, "rita")
    for method, url, allowed in (("PUT", f"{P}/models", {"GET", "HEAD"}),
                                 ("DELETE", f"{P}/models/new", {"GET", "HEAD", "POST"}),
                                 ("POST", f"{P}/models/{model_id}", {"GET", "HEAD"}),
                                 ("PATCH", f"{P}/model-registry/settings", {"GET", "HEAD", "POST"}),
                                 ("DELETE", "/-/model-registry/static/registry.css", {"GET", "HEAD"})):
        r = client.open(url, method=method)
        assert r.status_code == 405, (method, url, r.status_code, r.data[:300])
        assert set(r.headers["Allow"].split(", ")) - {"OPTIONS"} == allowed, (url, r.headers["Allow"])
        assert _registry_page(r), (url, r.data[:300])
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url


@pytest.mark.parametrize("signed_in", [True, False])
def test_unknown_page_paths_and_newlines_are_the_registrys_404(client, model_id, signed_in):
    if signed_in:
        login(client, "rita")
    for url in (f"{P}/models/{model_id}/nothing", f"{P}/models/abc", f"{P}/models%0A", f"{P}/models/%0A",
                f"{P}/models/{model_id}%0A", f"{P}/models/{model_id}/versions/%0A/edit", f"{P}/models/",
                f"{P}/model-registry/nothing", f"{P}/model-registry/settings%0A", f"{P}/-/model-registry/nothing",
                "/-/model-registry/static/nothing.css", "/-/model-registry/%0A"):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code, r.data[:300])
        assert _registry_page(r), (url, r.data[:300])
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
    if signed_in:  # a newline in the project's name: no such project
        r = client.get("/projects/pr%0Aoj/models")
        assert r.status_code == 404 and _registry_page(r) and r.headers["X-Content-Type-Options"] == "nosniff"


def test_the_hosts_own_routes_and_paths_are_untouched(client, people):
    assert client.get("/login").status_code == 200
    for method, url, status in (("PUT", "/login", 405), ("GET", "/nothing", 404), ("GET", P, 404),
                                ("GET", f"{P}/settings", 404), ("GET", "/projects", 404), ("DELETE", "/", 405),
                                ("GET", "/login%0A", 404)):
        r = client.open(url, method=method)
        assert r.status_code == status, (method, url, r.status_code)
        assert not _registry_page(r), url  # Flask's own answer, as the host had it
    login(client, "rita")
    home = client.get("/")
    assert home.status_code == 200 and b"mr-error-page" not in home.data


@pytest.mark.parametrize("app_config", [{"MODEL_REGISTRY_URL_PREFIX": "/ml"}])
def test_under_a_url_prefix_every_path_is_the_registrys(client, model_id, app_config):
    for url in ("/ml/nothing", f"/ml{P}", f"/ml{P}/models/{model_id}/nothing", "/ml/%0A"):
        r = client.get(url)
        assert r.status_code == 404 and _registry_page(r), (url, r.status_code)
        assert r.headers.get("X-Content-Type-Options") == "nosniff", url
    r = client.put(f"/ml{P}/models")
    assert r.status_code == 405 and _registry_page(r) and set(r.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    r = client.get(f"{P}/models")  # no longer the registry's
    assert r.status_code == 404 and not _registry_page(r)


@pytest.mark.parametrize("body", [b"zz\r\nhello\r\n0\r\n\r\n", b"ffff\r\nshort"])
def test_a_malformed_chunked_body_to_a_page_is_400(live_server, body):
    host, port = live_server.url.removeprefix("http://").split(":")
    for path in (f"{P}/models/new", "/-/model-registry/static/registry.css", f"{P}/models/1/nothing"):
        head = (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(head.encode() + body)
            sock.shutdown(socket.SHUT_WR)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status = answer.split(b"\r\n", 1)[0].split(b" ")[1]
        # a body is read only by a route that takes it: the others refuse the method or the path first
        assert status == (b"400" if path.endswith("/new") else b"405" if "static" in path else b"404"), \
            (path, answer[:300])
        assert b"nosniff" in answer.lower(), (path, answer[:300])


def test_the_405_page_speaks_the_pages_language(client, model_id):
    r = client.put(f"{P}/models", headers={"Accept-Language": "ja"})
    assert r.status_code == 405 and _registry_page(r)
    text = r.get_data(as_text=True)
    assert "このアドレスは PUT リクエストを受け付けません。" in text and 'lang="ja"' in text
    english = client.put(f"{P}/models").get_data(as_text=True)
    assert "This address does not take PUT requests; it takes GET, HEAD." in english
