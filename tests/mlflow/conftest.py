"""Fixtures of the MLflow tests: the real ``mlflow`` client (mlflow-skinny) pointed at the example
app served on a port, as a user of each role; and the JSON API to see what the client did."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
import typing as t

import pytest

from ..support import PROJECT, Person, pending_and_stored

MLFLOW_ENV = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
              "MLFLOW_TRACKING_PASSWORD", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME",
              "MLFLOW_RUN_ID")


@dataclasses.dataclass
class Tracking:
    """Points the MLflow client at a project, as a person (the client re-reads its environment on
    every request), and reads the registry back through the JSON API."""

    url: str
    people: dict[str, Person]
    monkeypatch: pytest.MonkeyPatch
    app: t.Any

    def uri(self, project: str = PROJECT) -> str:
        return f"{self.url}/api/v1/projects/{project}/ml/mlflow"

    def use(self, person: str | None = "rita", *, project: str = PROJECT, read_only: bool = False,
            basic: bool = False):
        """An ``MlflowClient`` acting as ``person`` (None: no credentials)."""
        from mlflow import MlflowClient

        for var in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            self.monkeypatch.delenv(var, raising=False)
        self.monkeypatch.setenv("MLFLOW_TRACKING_URI", self.uri(project))
        if person is not None:
            who = self.people[person]
            token = who.read_token if read_only else who.token
            if basic:
                self.monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", who.username)
                self.monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", token)
            else:
                self.monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        return MlflowClient(tracking_uri=self.uri(project))

    def http(self, method: str, path: str, person: str | None = "rita", project: str = PROJECT, **kwargs: t.Any):
        """A raw HTTP call to the tracking URI (what the client would send), with ``requests``."""
        import requests

        headers = dict(kwargs.pop("headers", {}))
        if person is not None:
            headers.setdefault("Authorization", f"Bearer {self.people[person].token}")
        return requests.request(method, self.uri(project) + path, headers=headers, timeout=60, **kwargs)

    # -- the same registry seen through the JSON API -------------------------------------------

    def api(self, path: str, person: str = "rita", project: str = PROJECT) -> t.Any:
        response = self.app.test_client().get(f"/api/v1/projects/{project}{path}",
                                              headers=self.people[person].headers)
        assert response.status_code == 200, response.json
        return response.json

    def api_model(self, name: str, project: str = PROJECT) -> dict[str, t.Any]:
        items = self.api(f"/models?search={name}&per_page=100", project=project)["items"]
        return next(m for m in items if m["name"] == name)

    def api_version(self, name: str, number: int, project: str = PROJECT) -> dict[str, t.Any]:
        model = self.api_model(name, project)
        items = self.api(f"/models/{model['id']}/versions?per_page=100", project=project)["items"]
        return next(v for v in items if v["number"] == number)

    def api_files(self, name: str, number: int) -> dict[str, dict[str, t.Any]]:
        version = self.api_version(name, number)
        listing = self.api(f"/models/{version['model_id']}/versions/{version['id']}/artifacts")
        return {a["path"]: a for a in listing["items"]}


@pytest.fixture
def tracking(live_server, people, monkeypatch) -> t.Iterator[Tracking]:
    """The MLflow client talks to the live app as rita (reporter of ``proj``) unless told otherwise.
    Retries are off, so a wrong 5xx fails at once instead of being retried for minutes."""
    import mlflow
    from mlflow.tracking import fluent

    monkeypatch.setattr(fluent, "_active_experiment_id", None)  # set_experiment() leaves it behind
    for var in MLFLOW_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
    tracking = Tracking(url=live_server.url, people=people, monkeypatch=monkeypatch, app=live_server.app)
    tracking.use("rita")
    yield tracking
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture
def mlflow_client(tracking):
    return tracking.use("rita")


def error_code(excinfo: pytest.ExceptionInfo) -> str:
    """The MLflow error code the client raised (taken from the server's answer)."""
    return excinfo.value.error_code


def write_file(folder, name: str, content: str | bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    return str(path)


# -- MLflow's multipart uploads (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD) -------------------------

MiB = 1024 * 1024


@pytest.fixture
def multipart_env(monkeypatch):
    """The client sends a file of 1 MiB or more in parts of 1 MiB."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(MiB))


class PartCounter:
    """Wraps the app: counts part requests and the most of them in flight at once. The first part
    waits (up to 10 s) for a second to arrive, so a client that sends parts in parallel is seen
    doing so however the threads are scheduled."""

    def __init__(self, app):
        self.inner = app.wsgi_app
        self.lock = threading.Lock()
        self.now = self.most = self.total = 0
        self.second = threading.Event()
        app.wsgi_app = self

    def __call__(self, environ, start_response):
        is_part = "/mpu-part/" in environ["PATH_INFO"]
        if is_part:
            with self.lock:
                self.now += 1
                self.total += 1
                self.most = max(self.most, self.now)
                first = self.total == 1
                if self.now >= 2:
                    self.second.set()
            if first:
                self.second.wait(10)
        try:
            return list(self.inner(environ, start_response))
        finally:
            if is_part:
                with self.lock:
                    self.now -= 1


def random_file(path, size: int) -> str:
    """Write ``size`` random bytes to ``path``; their SHA-256."""
    data = os.urandom(size)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def assert_a_refused_upload_leaves_nothing(tracking: Tracking, client, tmp_path) -> None:
    """With files past 3 MiB refused, the client's upload of 5 MiB in parts fails, and the run has
    no file, the ledger no row and the store no object nor partial write."""
    tracking.app.config["MODEL_REGISTRY_MAX_FILE_SIZE"] = 3 * MiB
    run = client.create_run("0")
    source = tmp_path / "big.bin"
    random_file(source, 5 * MiB)
    with pytest.raises(Exception):
        client.log_artifact(run.info.run_id, str(source))
    assert tracking.http("GET", "/api/2.0/mlflow-artifacts/artifacts",
                         params={"path": f"0/{run.info.run_id}/artifacts"}).json() == {}
    assert pending_and_stored(tracking.app, partial=True) == ([], [])
