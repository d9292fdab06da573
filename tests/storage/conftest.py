"""Helpers for the storage ledger and sweeper tests: a version to upload to, what the database
and the store hold, a scratch PostgreSQL database for servers in other processes, and a wait for
a PostgreSQL session blocked on a lock."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

P = "/api/v1/projects/proj"


@pytest.fixture
def database(postgres_server_url):
    """A fresh, migrated PostgreSQL database of the test's own (for servers in other processes)."""
    from tests.conftest import create_scratch_postgres

    url, drop = create_scratch_postgres(postgres_server_url)
    yield url
    drop()


@pytest.fixture
def version(client, rita):
    model = client.post(f"{P}/models", json={"name": "ledger"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    return f"{P}/models/{model['id']}/versions/{v['id']}", model, v


def artifact_keys(app) -> set[str]:
    from example_app.models import db
    from flask_modelregistry.models import Artifact

    with app.app_context():
        return set(db.session.scalars(sa.select(Artifact.storage_key)))


def pending_rows(app) -> list:
    from example_app.models import db
    from flask_modelregistry.models import PendingObject

    with app.app_context():
        return list(db.session.execute(sa.select(PendingObject.storage_key, PendingObject.purpose,
                                                 PendingObject.project, PendingObject.created_by_id)))


def stored_keys(app) -> set[str]:
    with app.app_context():
        return {o.key for o in app.extensions["model_registry"].store.list_objects()}


def actor_of(person):
    """The service layer's actor for a portal user (call inside an app context)."""
    from example_app.models import User, db
    from flask_modelregistry.services.identity import actor_for_user

    return actor_for_user(db.session.get(User, person.user_id), via="token", scope="api")


def pause_at_touch(monkeypatch) -> tuple:
    """Stop the first run write that marks its versions changed (``LockedRun.touch``, after its
    locks) until the test sets ``go_on``; and record the SQLSTATE of every database error the unit
    of work sees (``40P01``: a deadlock the database broke). Returns (touching, go_on, sqlstates)."""
    import threading

    from flask_modelregistry.services import unit_of_work
    from flask_modelregistry.services.common import LockedRun

    touching, go_on = threading.Event(), threading.Event()
    touch, kind = LockedRun.touch, unit_of_work._kind
    sqlstates: list[str | None] = []

    def paused_touch(locked: LockedRun) -> None:
        if not touching.is_set():
            touching.set()
            go_on.wait(30)
        touch(locked)

    def seen(exc: BaseException) -> str | None:
        sqlstates.append(unit_of_work._sqlstate(exc) if isinstance(exc, sa.exc.DBAPIError) else None)
        return kind(exc)

    monkeypatch.setattr(LockedRun, "touch", paused_touch)
    monkeypatch.setattr(unit_of_work, "_kind", seen)
    return touching, go_on, sqlstates


def wait_for_lock_waiter(app, timeout: float = 10) -> None:
    """Wait until a session on the app's PostgreSQL database waits for a lock (the delete a
    deadlock test started, blocked by what the paused write holds); fail the test on timeout.
    Polls on a connection of its own, not from the app's pool."""
    from example_app.models import db

    with app.app_context():
        url = db.engine.url
    assert url.get_backend_name() == "postgresql", url
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + timeout
    try:
        with engine.connect() as conn:
            while True:
                waiting = conn.scalar(sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"))
                conn.rollback()  # pg_stat_activity is a snapshot per transaction: take a fresh one
                if waiting:
                    return
                if time.monotonic() >= deadline:
                    pytest.fail(f"no session waited for a lock within {timeout} s")
                time.sleep(0.02)
    finally:
        engine.dispose()
