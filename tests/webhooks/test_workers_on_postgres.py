"""Two ``flask model-registry webhooks worker`` processes on one PostgreSQL database: every
delivery is sent, and none is ever sent by both at the same time (nor twice at all here, since
the receiver accepts each at once)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.conftest import create_scratch_postgres

from .conftest import SECRET
from .receiver import Receiver

COUNT = 40


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_workers_never_send_one_delivery_twice_at_once(postgres_server_url, tmp_path, backend):
    from example_app import create_app
    from flask_modelregistry.services import events, registered_models, webhooks
    from flask_modelregistry.services.identity import Actor
    from flask_modelregistry.webhooks.deliverer import stop_thread

    url, drop = create_scratch_postgres(postgres_server_url)
    receiver = Receiver(secret=SECRET).start()
    receiver.delay = 0.05  # a slow receiver: overlapping sends would be seen
    workers: list[subprocess.Popen] = []
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": "shared-secret", "SQLALCHEMY_DATABASE_URI": url,
                          "MODEL_REGISTRY_STORAGE_URI": str(tmp_path / "art"),
                          "MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
                          "MODEL_REGISTRY_WEBHOOK_DELIVERER": "none"})
        with app.app_context():
            system = Actor.system("test")
            webhooks.create_webhook("proj", system, name="hook", url=receiver.url,
                                    events=["registered_model.created"], secret=SECRET)
            for i in range(COUNT):
                registered_models.create_model("proj", system, name=f"m{i}")
        env = {**os.environ, "EXAMPLE_DATABASE_URL": url, "SECRET_KEY": "shared-secret",
               "MODEL_REGISTRY_STORAGE_URI": str(tmp_path / "art"),
               "MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "MODEL_REGISTRY_WEBHOOK_POLL_INTERVAL": "0.1",
               "MODEL_REGISTRY_WEBHOOK_DELIVERER": "none"}
        command = [sys.executable, "-m", "flask", "--app", "example_app", "model-registry", "webhooks", "worker",
                   "--threads", "3", "--max-seconds", "30"]
        started = time.time()
        workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                   for _ in range(2)]
        got = receiver.wait_for(COUNT, timeout=30)
        elapsed = time.time() - started
        assert len({g.delivery_id for g in got}) == COUNT
        assert receiver.overlaps == 0
        time.sleep(0.5)
        assert len(receiver.received) == COUNT, "a delivery was sent twice"
        assert all(g.verified for g in got)
        print(f"{COUNT} deliveries by 2 workers x 3 threads in {elapsed:.2f} s")
        stop_thread(app)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()
        receiver.stop()
        drop()
