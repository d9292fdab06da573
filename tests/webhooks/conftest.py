"""Webhook tests: private targets allowed (the receiver is on 127.0.0.1), fast backoff, and the
app's deliverer thread stopped after each test."""
from __future__ import annotations

import typing as t

import pytest

from .receiver import Receiver

SECRET = "whsec-test-0123456789"
FAST = {
    "MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
    "MODEL_REGISTRY_WEBHOOK_RETRY_BASE": 0.1,
    "MODEL_REGISTRY_WEBHOOK_RETRY_MAX": 0.4,
    "MODEL_REGISTRY_WEBHOOK_POLL_INTERVAL": 0.1,
    "MODEL_REGISTRY_WEBHOOK_TIMEOUT": 10,  # longer than any wait here: a timed-out send is sent again
}


@pytest.fixture
def app_config() -> dict[str, t.Any]:
    return dict(FAST)


@pytest.fixture(autouse=True)
def _stop_deliverers() -> t.Iterator[None]:
    yield
    from flask_modelregistry.webhooks.deliverer import _THREADS

    for thread in list(_THREADS.values()):
        thread.stop()
    _THREADS.clear()


@pytest.fixture
def receiver() -> t.Iterator[Receiver]:
    r = Receiver(secret=SECRET).start()
    yield r
    r.stop()


def add_webhook(client, person, receiver: Receiver, events: list[str], project: str = "proj", **extra: t.Any) -> dict:
    body = {"name": "hook", "url": receiver.url, "events": events, "secret": SECRET, **extra}
    response = client.post(f"/api/v1/projects/{project}/webhooks", json=body, headers=person.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def delivery_in_state(client, person, hook_id: int, state: str, timeout: float = 10, project: str = "proj") -> dict:
    """The hook's one delivery once its log says `state`. The receiver sees a request before the deliverer
    commits what it answered, so a test that just saw the request polls the log rather than reading it once."""
    return delivery_where(client, person, hook_id, lambda d: d["state"] == state, timeout, project)


def delivery_where(client, person, hook_id: int, check: t.Callable[[dict], bool], timeout: float = 10,
                   project: str = "proj") -> dict:
    """The hook's one delivery once ``check`` holds for it (asserted after ``timeout`` seconds)."""
    import time

    url = f"/api/v1/projects/{project}/webhooks/{hook_id}/deliveries"
    deadline = time.time() + timeout
    while True:
        (delivery,) = client.get(url, headers=person.headers).get_json()["items"]
        if check(delivery) or time.time() > deadline:
            assert check(delivery), delivery
            return delivery
        time.sleep(0.05)
