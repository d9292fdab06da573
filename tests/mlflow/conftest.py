"""Fixtures of the MLflow tests: the real ``mlflow`` client (mlflow-skinny) pointed at the example
app served on a port, as a user of each role; and the JSON API to see what the client did."""
from __future__ import annotations

import dataclasses
import typing as t

import pytest

from ..support import PROJECT, Person

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
