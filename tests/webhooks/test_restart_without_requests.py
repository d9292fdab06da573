"""The example portal restarted with deliveries pending sends them by itself, before any request
arrives: `flask run` (what `make demo` serves) starts the deliverer when webhooks exist."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import migrate
from tests.support import free_port

from .conftest import SECRET
from .receiver import Receiver


def test_a_restarted_portal_sends_what_was_pending_without_a_request(tmp_path):
    from example_app import create_app
    from flask_modelregistry.services import registered_models, webhooks
    from flask_modelregistry.services.identity import Actor

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    migrate(url)
    receiver = Receiver(secret=SECRET).start()
    server = None
    try:
        # the process that made the changes stopped before delivering them (no deliverer at all)
        app = create_app({"TESTING": True, "SECRET_KEY": "restart-secret", "SQLALCHEMY_DATABASE_URI": url,
                          "MODEL_REGISTRY_STORAGE_URI": str(tmp_path / "art"),
                          "MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
                          "MODEL_REGISTRY_WEBHOOK_DELIVERER": "none"})
        with app.app_context():
            system = Actor.system("test")
            webhooks.create_webhook("proj", system, name="hook", url=receiver.url,
                                    events=["registered_model.created"], secret=SECRET)
            for name in ("a", "b", "c"):
                registered_models.create_model("proj", system, name=name)
        time.sleep(0.5)
        assert receiver.received == []

        env = {**os.environ, "EXAMPLE_DATABASE_URL": url, "SECRET_KEY": "restart-secret",
               "MODEL_REGISTRY_STORAGE_URI": str(tmp_path / "art"),
               "MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
               "MODEL_REGISTRY_WEBHOOK_POLL_INTERVAL": "0.2"}
        server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "example_app", "run",
                                   "--host", "127.0.0.1", "--port", str(free_port())],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        got = receiver.wait_for(3, timeout=60)  # nobody sends the portal a request (60 s: a loaded machine)
        assert sorted(g.payload["data"]["name"] for g in got) == ["a", "b", "c"]
        assert all(g.verified for g in got)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        receiver.stop()
