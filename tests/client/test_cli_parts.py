"""The ``modelregistry`` command sends a large file as parts in parallel (package API multipart
upload), on both stores; a refused part aborts the upload and leaves nothing."""
from __future__ import annotations

import os
import threading

import pytest
import sqlalchemy as sa

from flask_modelregistry.client.cli import main

from .conftest import make_tree, remote_files, version_id_of

MiB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"


class InFlight:
    def __init__(self, app):
        self.inner, self.lock, self.now, self.most, self.total = app.wsgi_app, threading.Lock(), 0, 0, 0
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        part = "/uploads/parts/" in environ["PATH_INFO"]
        with self.lock:
            if part:
                self.now, self.total = self.now + 1, self.total + 1
                self.most = max(self.most, self.now)
        try:
            return list(self.inner(environ, start_response))
        finally:
            with self.lock:
                if part:
                    self.now -= 1


def _run(live_server, rita, monkeypatch, tmp_path, *args):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MODEL_REGISTRY_URL", live_server.url)
    monkeypatch.setenv("MODEL_REGISTRY_TOKEN", rita.token)
    monkeypatch.setenv("MODEL_REGISTRY_PART_SIZE", str(5 * MiB))
    return main(["upload", "proj", "churn", "1.0.0", *args, "--no-progress"])


@pytest.mark.parametrize("store_kind", ["local", "gcs"])
def test_a_large_file_goes_up_in_parallel_parts(client, rita, churn, live_server, tmp_path, monkeypatch, store_kind):
    counter = InFlight(live_server.app)
    shas = make_tree(tmp_path, {"model/weights.bin": os.urandom(21 * MiB + 7), "model/small.txt": b"small"})
    assert _run(live_server, rita, monkeypatch, tmp_path, "model") == 0
    assert remote_files(client, rita, version_id_of(client, rita, churn, "1.0.0")) == shas
    assert counter.total == 5 and counter.most >= 2, (counter.total, counter.most)


def test_a_failed_part_aborts_and_leaves_nothing(app, client, rita, churn, live_server, tmp_path, monkeypatch,
                                                 capsys):
    inner = live_server.app.wsgi_app

    def second_part_fails(environ, start_response):  # the proxy in front drops part 2
        if environ["PATH_INFO"].endswith("/uploads/parts/2"):
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"bad gateway"]
        return inner(environ, start_response)

    live_server.app.wsgi_app = second_part_fails
    make_tree(tmp_path, {"big.bin": os.urandom(11 * MiB)})
    assert _run(live_server, rita, monkeypatch, tmp_path, "big.bin") != 0
    assert "part 2 of big.bin" in capsys.readouterr().out
    from flask_modelregistry.models import PendingObject
    from example_app.models import db

    with app.app_context():
        store = app.extensions["model_registry"].store
        assert list(db.session.scalars(sa.select(PendingObject.storage_key))) == []
        assert list(store.list_objects()) == [] and list(store.list_partial()) == []


def test_start_checks_sizes(client, rita, churn):
    version_id = client.post(f"/api/v1/projects/proj/models/{churn}/versions", json={"version": "2.0.0"},
                             headers=rita.headers).json["id"]
    url = f"/api/v1/projects/proj/packages/ml_models/{version_id}/uploads"
    small = client.post(url, json={"path": "a.bin", "size": 10 * MiB, "part_size": MiB}, headers=rita.headers)
    assert small.status_code == 422 and "part_size" in small.json["error"]["fields"]
    bad = client.post(url, json={"path": "a.bin", "size": "x", "part_size": MiB}, headers=rita.headers)
    assert bad.status_code == 422
    huge = client.post(url, json={"path": "a.bin", "size": 6 * 1024 ** 3, "part_size": 64 * MiB},
                       headers=rita.headers)
    assert huge.status_code == 413
    reader = client.post(url, json={"path": "a.bin", "size": 1, "part_size": 1}, headers=rita.read_headers)
    assert reader.status_code == 403
