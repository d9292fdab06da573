"""Deliveries as MLflow sends them, durable and retried: a real receiver on 127.0.0.1 checks the
signature with MLflow's scheme, fails for a while, goes down and comes back."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from .conftest import FAST, SECRET, add_webhook, delivery_in_state, delivery_where
from .receiver import Receiver, mlflow_signature_ok


def _model(client, person, name: str = "fraud") -> dict:
    response = client.post("/api/v1/projects/proj/models", json={"name": name, "description": "d"},
                           headers=person.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_delivery_is_signed_as_mlflow_signs_and_arrives_within_seconds(client, people, receiver):
    add_webhook(client, people["max"], receiver, ["registered_model.created"])
    started = time.time()
    _model(client, people["rita"])
    (got,) = receiver.wait_for(1, timeout=10)
    assert got.at - started < 10
    assert got.verified and got.signature.startswith("v1,")
    assert mlflow_signature_ok(SECRET, got.delivery_id, got.timestamp, got.body, got.signature)
    assert abs(int(got.timestamp) - time.time()) < 30
    assert got.payload["entity"] == "registered_model" and got.payload["action"] == "created"
    assert got.payload["data"] == {"name": "fraud", "tags": {}, "description": "d"}
    assert set(got.payload) == {"entity", "action", "timestamp", "data"}


def test_retries_keep_the_delivery_id_with_a_fresh_timestamp_and_signature(client, people, receiver):
    hook = add_webhook(client, people["max"], receiver, ["registered_model.created"])
    receiver.fail_next = 3
    _model(client, people["rita"])
    (got,) = receiver.wait_for(1, timeout=15)
    tries = [r for r in receiver.received if r.delivery_id == got.delivery_id]
    assert len(tries) == 4
    assert len({r.body for r in tries}) == 1
    assert all(r.verified for r in tries)
    delivery = delivery_in_state(client, people["max"], hook["id"], "delivered")
    assert delivery["delivery_id"] == got.delivery_id
    assert [a["status"] for a in delivery["attempt_log"]] == [500, 500, 500, 200]
    assert delivery["attempt_log"][0]["response_head"] == "not now"
    assert delivery["attempt_log"][-1]["response_head"] == f"thanks {got.delivery_id}"
    assert all(a["duration_ms"] >= 0 for a in delivery["attempt_log"])


def test_a_receiver_that_is_down_gets_the_delivery_when_it_comes_back(client, people):
    receiver = Receiver(secret=SECRET).start()
    port = receiver.port
    hook = add_webhook(client, people["max"], receiver, ["registered_model.created"])
    receiver.stop()
    _model(client, people["rita"])
    delivery_where(client, people["max"], hook["id"], lambda d: len(d["attempt_log"]) >= 2)  # nobody, twice
    back = Receiver(secret=SECRET, port=port).start()
    try:
        (got,) = back.wait_for(1, timeout=10)
        assert got.verified
    finally:
        back.stop()
    attempts = delivery_in_state(client, people["max"], hook["id"], "delivered")["attempt_log"]
    assert len(attempts) >= 2 and attempts[0]["status"] is None
    assert "refused" in attempts[0]["error"]


def test_a_change_that_fails_sends_nothing(client, people, receiver, app):
    from flask_modelregistry.models import WebhookDelivery
    from example_app.models import db

    add_webhook(client, people["max"], receiver, ["registered_model.created"])
    _model(client, people["rita"], "taken")
    receiver.wait_for(1)
    again = client.post("/api/v1/projects/proj/models", json={"name": "taken"}, headers=people["rita"].headers)
    assert again.status_code == 409
    bad = client.post("/api/v1/projects/proj/models", json={"name": "ok-name", "tags": {"": "x"}},
                      headers=people["rita"].headers)
    assert bad.status_code == 422
    time.sleep(0.5)
    assert len(receiver.received) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 1


def test_a_disabled_webhook_waits_and_resumes(client, people, receiver):
    hook = add_webhook(client, people["max"], receiver, ["registered_model.created"])
    url = f"/api/v1/projects/proj/webhooks/{hook['id']}"
    _model(client, people["rita"], "one")
    receiver.wait_for(1)
    assert client.patch(url, json={"status": "DISABLED"}, headers=people["max"].headers).status_code == 200
    _model(client, people["rita"], "two")  # no delivery for a disabled webhook
    time.sleep(0.5)
    assert len(receiver.received) == 1
    assert client.patch(url, json={"status": "ACTIVE"}, headers=people["max"].headers).status_code == 200
    _model(client, people["rita"], "three")
    got = receiver.wait_for(2)
    assert got[-1].payload["data"]["name"] == "three"


def test_pending_deliveries_survive_a_restart(database_url, storage_uri, tmp_path, people, app, client):
    """The app stops with deliveries pending (receiver down); a new app on the same database sends
    them after its first request, with the same delivery ids."""
    from example_app import create_app
    from flask_modelregistry.webhooks.deliverer import stop_thread

    receiver = Receiver(secret=SECRET).start()
    port = receiver.port
    add_webhook(client, people["max"], receiver, ["registered_model.created"])
    receiver.stop()
    for name in ("a", "b", "c"):
        _model(client, people["rita"], name)
    time.sleep(0.3)
    stop_thread(app)  # the process stops

    back = Receiver(secret=SECRET, port=port).start()
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": database_url,
              "MODEL_REGISTRY_STORAGE_URI": storage_uri, **FAST}
    restarted = create_app(config)
    try:
        restarted.test_client().get("/login")
        got = back.wait_for(3, timeout=10)
        assert sorted(g.payload["data"]["name"] for g in got) == ["a", "b", "c"]
        assert all(g.verified for g in got)
    finally:
        stop_thread(restarted)
        back.stop()


def test_redeliver_sends_the_same_delivery_again(client, people, receiver):
    hook = add_webhook(client, people["max"], receiver, ["registered_model.created"])
    _model(client, people["rita"])
    (first,) = receiver.wait_for(1)
    base = f"/api/v1/projects/proj/webhooks/{hook['id']}"
    delivery = delivery_in_state(client, people["max"], hook["id"], "delivered")
    answer = client.post(f"{base}/deliveries/{delivery['id']}/redeliver", headers=people["max"].headers)
    assert answer.status_code == 202
    second = receiver.wait_for(2)[-1]
    assert second.delivery_id == first.delivery_id and second.body == first.body


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_send_test_posts_an_example_and_logs_it(client, people, receiver):
    hook = add_webhook(client, people["max"], receiver, ["model_version_alias.created"])
    answer = client.post(f"/api/v1/projects/proj/webhooks/{hook['id']}/test", json={}, headers=people["max"].headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["success"] is True and body["response_status"] == 200
    assert receiver.accepted[0].payload["data"] == {"name": "example_model", "alias": "example_alias", "version": "1"}
    assert body["delivery"]["is_test"] is True and body["delivery"]["state"] == "delivered"
    receiver.fail_next = 1
    failed = client.post(f"/api/v1/projects/proj/webhooks/{hook['id']}/test", json={"event": "model_version_alias.created"},
                         headers=people["max"].headers).get_json()
    assert failed["success"] is False and failed["response_status"] == 500
    time.sleep(0.4)
    assert len(receiver.received) == 2  # a test is not retried


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("app_config", [{**FAST, "MODEL_REGISTRY_WEBHOOK_MAX_ATTEMPTS": 2}])
def test_a_delivery_gives_up_after_the_configured_attempts(client, people, receiver):
    hook = add_webhook(client, people["max"], receiver, ["registered_model.created"])
    receiver.fail_next = 100
    _model(client, people["rita"])
    d = delivery_in_state(client, people["max"], hook["id"], "failed")
    assert d["attempts"] == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_redirects_are_not_followed(client, people, app):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    hits: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args):
            """Quiet: the test counts the hits instead."""

        def do_POST(self):
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = client.post("/api/v1/projects/proj/webhooks", json={
            "name": "redir", "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
            "events": ["registered_model.created"]}, headers=people["max"].headers)
        result = client.post(f"/api/v1/projects/proj/webhooks/{answer.get_json()['id']}/test", json={},
                             headers=people["max"].headers).get_json()
        assert result["response_status"] == 302 and result["success"] is False
        assert hits == ["/hook"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("app_config", [{**FAST, "MODEL_REGISTRY_WEBHOOK_DELIVERER": "none"}])
def test_a_host_queue_gets_the_deliveries_through_the_dispatcher_hook(app, client, people, receiver):
    """What a Celery or RQ host does: the dispatcher is handed the new deliveries after the commit,
    and its task sends each with ``deliver``; nothing else sends them (the deliverer is off)."""
    from example_app import registry
    from flask_modelregistry.webhooks.deliverer import deliver

    handed: list[int] = []
    registry.webhook_dispatcher(handed.extend)
    try:
        add_webhook(client, people["max"], receiver, ["registered_model.created"])
        _model(client, people["rita"], "queued")
        assert len(handed) == 1
        time.sleep(0.3)
        assert receiver.received == []  # only the host's task sends
        with app.app_context():
            outcome = deliver(handed[0])
            assert outcome is not None and outcome.status == 200
            assert deliver(handed[0]) is None  # delivered: not sent twice
        (got,) = receiver.accepted
        assert got.verified and got.payload["data"]["name"] == "queued"
    finally:
        registry.webhook_dispatcher(None)  # type: ignore[arg-type]
