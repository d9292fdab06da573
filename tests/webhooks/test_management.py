"""Managing webhooks: maintainers and above; reporters get 403 (PERMISSION_DENIED over MLflow);
another project's webhooks are invisible; the secret is never shown again."""
from __future__ import annotations

import pytest

from .conftest import SECRET

#: the doors' rules, not the database's: SQLite suffices
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

#: a public address the tests never send to: they make no change these webhooks are told about
BODY = {"name": "deploy", "url": "https://8.8.8.8/hook", "events": ["model_version_alias.created"], "status": "DISABLED",
        "secret": SECRET, "description": "start the deployment"}


def test_maintainers_manage_webhooks_and_the_secret_is_never_shown(client, people):
    h = people["max"].headers
    made = client.post("/api/v1/projects/proj/webhooks", json=BODY, headers=h)
    assert made.status_code == 201
    hook = made.get_json()
    assert hook["has_secret"] is True and "secret" not in hook and SECRET not in made.get_data(as_text=True)
    url = f"/api/v1/projects/proj/webhooks/{hook['id']}"
    assert client.get(url, headers=h).get_json()["name"] == "deploy"
    listed = client.get("/api/v1/projects/proj/webhooks", headers=h).get_json()
    assert listed["total"] == 1 and SECRET not in str(listed)
    changed = client.patch(url, json={"name": "deploy2", "events": ["model_version.created", "model_version.deleted"],
                                      "status": "DISABLED"}, headers=h).get_json()
    assert (changed["name"], changed["status"], changed["events"]) == (
        "deploy2", "DISABLED", ["model_version.created", "model_version.deleted"])
    assert client.patch(url, json={"secret": ""}, headers=h).get_json()["has_secret"] is False
    assert client.delete(url, headers=h).status_code == 204
    assert client.get(url, headers=h).status_code == 404


ROLES = [("olga", 201), ("max", 201), ("dev", 403), ("rita", 403), ("gus", 403), ("otto", 404)]


def test_roles(client, people):
    """Maintainers and owners manage webhooks; developers, reporters and guests get 403; a
    signed-in non-member 404 (the private project is not revealed)."""
    for who, status in ROLES:
        answer = client.post("/api/v1/projects/proj/webhooks", json=BODY, headers=people[who].headers)
        assert answer.status_code == status, who
        listed = client.get("/api/v1/projects/proj/webhooks", headers=people[who].headers)
        assert listed.status_code == (200 if status == 201 else status), who
        if status == 403:
            assert listed.get_json()["error"]["code"] == "forbidden"


def test_roles_over_mlflow(live_server, people, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{live_server.url}/api/v1/projects/proj/ml/mlflow")
    for who, status in ROLES:
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", people[who].token)
        client = MlflowClient()
        if status == 201:
            hook = client.create_webhook(name=f"hook-{who}", url="https://8.8.8.8/h", events=["model_version.created"])
            assert client.get_webhook(hook.webhook_id).name == f"hook-{who}"
            continue
        with pytest.raises(MlflowException) as caught:
            client.list_webhooks()
        assert caught.value.error_code == ("PERMISSION_DENIED" if status == 403 else "RESOURCE_DOES_NOT_EXIST"), who


def test_anonymous_and_read_tokens(client, people):
    assert client.get("/api/v1/projects/proj/webhooks").status_code == 401
    assert client.post("/api/v1/projects/proj/webhooks", json=BODY,
                       headers=people["max"].read_headers).status_code == 403


def test_another_projects_webhooks_are_invisible(client, people, app):
    from tests.support import add_people

    made = client.post("/api/v1/projects/proj/webhooks", json=BODY, headers=people["max"].headers).get_json()
    other = add_people(app, "other")
    h = other["max"].headers
    assert client.get("/api/v1/projects/other/webhooks", headers=h).get_json()["total"] == 0
    for method in ("get", "patch", "delete"):
        answer = getattr(client, method)(f"/api/v1/projects/other/webhooks/{made['id']}", json={}, headers=h)
        assert answer.status_code == 404
    assert client.post(f"/api/v1/projects/other/webhooks/{made['id']}/test", json={}, headers=h).status_code == 404


BAD = [({"name": "-bad"}, "name"), ({"name": "x" * 64}, "name"), ({"events": []}, "events"),
       ({"events": ["model.nope"]}, "events"), ({"url": "ftp://x.example.com"}, "url"), ({"status": "PAUSED"}, "status"),
       ({"secret": "x" * 1001}, "secret"), ({"url": 5}, "url"), ({"name": None}, "name")]


def test_bad_fields_are_422(client, people):
    for change, field in BAD:
        answer = client.post("/api/v1/projects/proj/webhooks", json={**BODY, **change}, headers=people["max"].headers)
        assert answer.status_code == 422, change
        assert any(k.startswith(field) for k in answer.get_json()["error"]["fields"]), change


def test_secrets_are_stored_encrypted(client, people, app):
    import sqlalchemy as sa

    from example_app.models import db
    from flask_modelregistry.models import Webhook

    client.post("/api/v1/projects/proj/webhooks", json=BODY, headers=people["max"].headers)
    with app.app_context():
        stored = db.session.scalar(sa.select(Webhook.secret_encrypted))
        assert stored and SECRET not in stored
        from flask_modelregistry.webhooks.secrets import decrypt

        assert decrypt(stored) == SECRET


def test_the_openapi_document_has_the_webhook_routes_and_events(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(spec["paths"]["/projects/{project}/webhooks"])
    assert {"get", "patch", "delete"} <= set(spec["paths"]["/projects/{project}/webhooks/{webhook_id}"])
    assert "post" in spec["paths"]["/projects/{project}/webhooks/{webhook_id}/test"]
    assert "get" in spec["paths"]["/projects/{project}/webhooks/{webhook_id}/deliveries"]
    assert "model_version_file.created" in str(spec)
