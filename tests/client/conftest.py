"""The example app served on a port behind a tap: a WSGI middleware that counts the package
file requests reaching the server and can fail, hold or cut one of them, so that tests interrupt
the command-line client for real and see what a second run sends again."""
from __future__ import annotations

import hashlib
import os
import sys
import threading
import typing as t
from pathlib import Path

import pytest
from werkzeug.wsgi import get_input_stream


class Tap:
    def __init__(self, app: t.Callable) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.puts: list[str] = []
        self.gets: list[tuple[str, str | None]] = []
        #: PUTs the registry has finished handling
        self.puts_done = 0
        #: answer this PUT (1-based) with 503 without reaching the registry
        self.fail_put: int | None = None
        #: hold this PUT until ``release`` is set (``held`` tells when it arrived)
        self.hold_put: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        #: drop the connection after ``cut_after`` bytes of this file GET
        self.cut_get: int | None = None
        self.cut_after = 0

    def __call__(self, environ: dict, start_response: t.Callable) -> t.Iterable[bytes]:
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        if "/packages/ml_models/" not in path or "/files/" not in path:
            return self.app(environ, start_response)
        with self.lock:
            if method == "PUT":
                self.puts.append(path)
                number = len(self.puts)
            else:
                self.gets.append((path, environ.get("HTTP_RANGE")))
                number = len(self.gets)
        if method == "GET":
            if number == self.cut_get:
                return self._cut(environ, start_response)
            return self.app(environ, start_response)
        try:
            if number == self.fail_put:
                get_input_stream(environ).read()  # the body is read, as a proxy would
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [b'{"error": {"code": "unavailable", "message": "injected failure", "fields": {}}}']
            if number == self.hold_put:
                self.held.set()
                self.release.wait(60)
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.puts_done += 1

    def wait_for_puts(self, timeout: float = 30) -> None:
        """Wait until every PUT that reached the server has been handled."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.puts_done == len(self.puts):
                    return
            time.sleep(0.02)
        raise AssertionError("the server is still handling uploads")

    def _cut(self, environ: dict, start_response: t.Callable) -> t.Iterator[bytes]:
        body = self.app(environ, start_response)
        sent = 0
        try:
            for chunk in body:
                if sent + len(chunk) >= self.cut_after:
                    yield chunk[: self.cut_after - sent]
                    raise ConnectionAbortedError("connection cut by the test")
                sent += len(chunk)
                yield chunk
        finally:
            getattr(body, "close", lambda: None)()


@pytest.fixture
def tap(app) -> Tap:
    wrapped = Tap(app.wsgi_app)
    app.wsgi_app = wrapped
    return wrapped


@pytest.fixture
def churn(app) -> int:
    """An empty model ``churn`` in project ``proj``; its versions are created by the client."""
    from flask_modelregistry.services import registered_models
    from flask_modelregistry.services.identity import Actor

    with app.app_context():
        return registered_models.create_model("proj", Actor.system(), name="churn").id


@pytest.fixture
def cli_env(live_server, rita) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODEL_REGISTRY_")}
    env.update(MODEL_REGISTRY_URL=live_server.url, MODEL_REGISTRY_TOKEN=rita.token, PYTHONUNBUFFERED="1")
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask_modelregistry.client", *args]


def make_tree(root: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write files under ``root``; return their sha256 by path."""
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}


def remote_files(client, rita, version_id: int) -> dict[str, str]:
    r = client.get(f"/api/v1/projects/proj/packages/ml_models/{version_id}/files", headers=rita.headers)
    assert r.status_code == 200, r.json
    return {f["path"]: f["sha256"] for f in r.json["items"]}


def version_id_of(client, rita, model_id: int, version: str) -> int:
    items = client.get(f"/api/v1/projects/proj/models/{model_id}/versions", headers=rita.headers).json["items"]
    return next(v["id"] for v in items if v["version"] == version)
