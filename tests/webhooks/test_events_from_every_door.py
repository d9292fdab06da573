"""The same change fires the same event whichever door it came through: pages, JSON API, the
real MLflow client, the package API."""
from __future__ import annotations

import io
import os

import pytest

from flask_modelregistry.services.events import EVENTS
from tests.pages.conftest import csrf_from
from tests.support import login

from .conftest import add_webhook


def _events(receiver, count: int) -> list[tuple[str, dict]]:
    got = receiver.wait_for(count, timeout=15)
    assert all(g.verified for g in got)
    return sorted(((f"{g.payload['entity']}.{g.payload['action']}", g.payload["data"]) for g in got),
                  key=lambda item: (item[0], str(item[1])))


def test_json_api_and_package_api(client, people, receiver):
    add_webhook(client, people["max"], receiver, list(EVENTS))
    h = people["rita"].headers
    model = client.post("/api/v1/projects/proj/models", json={"name": "fraud"}, headers=h).get_json()
    base = f"/api/v1/projects/proj/models/{model['id']}/versions"
    version = client.post(base, json={"version": "1.2.0-rc.1", "metadata": {"team": "risk"}}, headers=h).get_json()
    vurl = f"{base}/{version['id']}"
    assert client.put(vurl + "/metadata", json={"stage": "canary"}, headers=h).status_code == 200
    assert client.put(vurl + "/artifacts/model.pkl", data=b"abc", headers=h).status_code == 201
    package = f"/api/v1/projects/proj/packages/ml_models/{version['id']}/files/conf/a.yaml"
    assert client.put(package, data=b"x: 1", headers=h).status_code in (200, 201)
    assert client.delete(vurl + "/artifacts/model.pkl", headers=h).status_code == 204
    assert client.delete(vurl, headers=h).status_code == 204
    assert client.delete(f"/api/v1/projects/proj/models/{model['id']}", headers=h).status_code == 204
    got = _events(receiver, 10)
    names = sorted(name for name, _ in got)
    assert names == sorted(["registered_model.created", "model_version.created", "model_version.published",
                            "model_version_tag.deleted", "model_version_tag.set", "model_version_file.created",
                            "model_version_file.created", "model_version_file.deleted", "model_version.deleted",
                            "registered_model.deleted"])
    data = dict((name, d) for name, d in got)
    assert data["registered_model.created"] == {"name": "fraud", "tags": {}, "description": ""}
    created = data["model_version.created"]
    assert created["name"] == "fraud" and created["version"] == "1"
    assert created["tags"] == {"team": "risk", "model_registry.version": "1.2.0-rc.1"}
    assert data["model_version.published"] == {"name": "fraud", "version": "1", "semantic_version": "1.2.0-rc.1",
                                               "prerelease": True}
    assert data["model_version_tag.set"] == {"name": "fraud", "version": "1", "key": "stage", "value": "canary"}
    assert data["model_version_tag.deleted"] == {"name": "fraud", "version": "1", "key": "team"}
    files = sorted(d["path"] for name, d in got if name == "model_version_file.created")
    assert files == ["conf/a.yaml", "model.pkl"]
    assert data["model_version_file.deleted"] == {"name": "fraud", "version": "1", "path": "model.pkl"}
    assert data["model_version.deleted"] == {"name": "fraud", "version": "1", "semantic_version": "1.2.0-rc.1"}
    assert data["registered_model.deleted"] == {"name": "fraud"}


def test_mlflow_client(live_server, people, receiver, monkeypatch, tmp_path):
    from mlflow import MlflowClient

    client = live_server.app.test_client()
    add_webhook(client, people["max"], receiver, list(EVENTS))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{live_server.url}/api/v1/projects/proj/ml/mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", people["rita"].token)
    ml = MlflowClient()
    ml.create_registered_model("churn", tags={"owner": "risk"}, description="d")
    mv = ml.create_model_version("churn", "s3://bucket/model", tags={"model_registry.version": "2.0.0"},
                                 description="first")
    ml.set_model_version_tag("churn", mv.version, "validated", "yes")
    ml.delete_model_version_tag("churn", mv.version, "validated")
    ml.set_registered_model_alias("churn", "champion", mv.version)
    ml.delete_registered_model_alias("churn", "champion")
    (tmp_path / "notes.txt").write_text("hello")
    ml.log_artifact(mv.run_id, str(tmp_path / "notes.txt"))
    ml.delete_model_version("churn", mv.version)
    ml.delete_registered_model("churn")
    got = _events(receiver, 10)
    data = dict(got)
    assert data["registered_model.created"] == {"name": "churn", "tags": {"owner": "risk"}, "description": "d"}
    assert data["model_version.created"]["version"] == "1"
    assert data["model_version.created"]["source"] == "s3://bucket/model"
    assert data["model_version.created"]["run_id"] == mv.run_id
    assert data["model_version.created"]["description"] == "first"
    assert data["model_version_tag.set"] == {"name": "churn", "version": "1", "key": "validated", "value": "yes"}
    assert data["model_version_tag.deleted"] == {"name": "churn", "version": "1", "key": "validated"}
    assert data["model_version_alias.created"] == {"name": "churn", "alias": "champion", "version": "1"}
    assert data["model_version_alias.deleted"] == {"name": "churn", "alias": "champion"}
    assert data["model_version_file.created"]["path"] == "notes.txt"
    assert data["model_version.deleted"]["semantic_version"] == "2.0.0"
    assert data["registered_model.deleted"] == {"name": "churn"}


def test_pages(app, people, receiver):
    client = app.test_client()
    add_webhook(client, people["max"], receiver, list(EVENTS))
    login(client, "rita")
    token = csrf_from(client.get("/projects/proj/models/new").data)
    made = client.post("/projects/proj/models/new", data={"csrf_token": token, "name": "pages-model",
                                                          "description": ""})
    assert made.status_code == 302
    model_url = made.headers["Location"]
    form = client.get(model_url + "/versions/new")
    made = client.post(model_url + "/versions/new", data={
        "csrf_token": csrf_from(form.data), "version": "0.1.0", "description": "", "metadata": "k=v",
        "files": [(io.BytesIO(b"weights"), "w.bin")]}, content_type="multipart/form-data")
    assert made.status_code == 302, made.data[:500]
    version_url = made.headers["Location"].split("?")[0]
    token = csrf_from(client.get(version_url).data)
    deleted = client.post(version_url + "/artifacts/delete", data={"csrf_token": token, "paths": ["w.bin"]})
    assert deleted.status_code == 302
    assert client.post(version_url + "/delete", data={"csrf_token": token}).status_code == 302
    assert client.post(model_url + "/delete", data={"csrf_token": token}).status_code == 302
    got = _events(receiver, 7)
    names = sorted(name for name, _ in got)
    assert names == sorted(["registered_model.created", "model_version.created", "model_version.published",
                            "model_version_file.created", "model_version_file.deleted", "model_version.deleted",
                            "registered_model.deleted"])
    data = dict(got)
    assert data["model_version.created"]["tags"] == {"k": "v", "model_registry.version": "0.1.0"}
    assert data["model_version_file.created"]["path"] == "w.bin"


def test_package_api_alone(app, people):
    """Package uploads are covered with the JSON API above; a project without webhooks queues nothing."""
    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import WebhookDelivery

    client = app.test_client()
    h = people["rita"].headers
    model = client.post("/api/v1/projects/proj/models", json={"name": "quiet"}, headers=h).get_json()
    assert model["id"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 0


def _mlflow_watched(live_server, people, receiver, monkeypatch, events: list[str]):
    """The real MLflow client as rita, with a webhook of ``events`` to ``receiver``."""
    from mlflow import MlflowClient

    add_webhook(live_server.app.test_client(), people["max"], receiver, events)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{live_server.url}/api/v1/projects/proj/ml/mlflow")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", people["rita"].token)
    return MlflowClient()


def test_the_parent_version_tag_over_mlflow(live_server, people, receiver, monkeypatch):
    """``model_registry.parent_version`` is lineage, kept as a link, but MLflow clients set and delete
    it as a tag: it fires the tag events like any tag."""
    ml = _mlflow_watched(live_server, people, receiver, monkeypatch,
                         ["model_version_tag.set", "model_version_tag.deleted"])
    ml.create_registered_model("lineage")
    ml.create_model_version("lineage", "s3://b/1")
    second = ml.create_model_version("lineage", "s3://b/2")
    ml.set_model_version_tag("lineage", second.version, "model_registry.parent_version", "1")
    ml.delete_model_version_tag("lineage", second.version, "model_registry.parent_version")
    got = _events(receiver, 2)
    assert got == [("model_version_tag.deleted", {"name": "lineage", "version": "2", "key": "model_registry.parent_version"}),
                   ("model_version_tag.set", {"name": "lineage", "version": "2", "key": "model_registry.parent_version",
                                              "value": "1"})]


def test_deleting_a_tag_or_alias_that_does_not_exist_fires_as_mlflow_does(live_server, people, receiver,
                                                                          monkeypatch):
    """MLflow's server answers such a delete with success and fires its event all the same (its
    store deletes nothing, its handler delivers the webhook); so does this one, through the real
    client."""
    ml = _mlflow_watched(live_server, people, receiver, monkeypatch,
                         ["model_version_tag.deleted", "model_version_alias.deleted"])
    ml.create_registered_model("absent")
    ml.create_model_version("absent", "s3://b/1")
    ml.delete_model_version_tag("absent", "1", "never-set")
    ml.delete_model_version_tag("absent", "1", "model_registry.parent_version")
    ml.delete_registered_model_alias("absent", "never-set")
    got = _events(receiver, 3)
    assert got == [("model_version_alias.deleted", {"name": "absent", "alias": "never-set"}),
                   ("model_version_tag.deleted", {"name": "absent", "version": "1",
                                                  "key": "model_registry.parent_version"}),
                   ("model_version_tag.deleted", {"name": "absent", "version": "1", "key": "never-set"})]
