"""The unit of work: one commit per operation, everything rolled back on an error, database
errors mapped to domain errors, and an operation the database could not finish run again.

The faults are real: a PostgreSQL deadlock between two threads, SQLite's write lock held by
another connection, rows deleted by another connection in the middle of an operation."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from flask_modelregistry.errors import Invalid, NotFound, Unavailable
from flask_modelregistry.models import ModelTag, RegisteredModel
from flask_modelregistry.services import registered_models, versions
from flask_modelregistry.services.common import after_commit, lock_row, session, unit_of_work
from flask_modelregistry.services.identity import Actor
from flask_modelregistry.services.unit_of_work import SessionNotClean

P = "/api/v1/projects/proj"
SYSTEM = Actor.system()


@pytest.fixture
def commits(app_ctx):
    """The COMMITs of transactions that wrote registry rows (the storage ledger's reservations,
    committed on a connection of their own before any byte is stored, aside)."""
    from example_app.models import db

    seen: list[int] = []
    wrote: set[int] = set()

    def statement(conn, _cursor, sql: str, *_args) -> None:
        head = sql.lstrip().split(None, 3)
        if head and head[0].upper() in ("INSERT", "UPDATE", "DELETE") and "mr_pending_objects" not in sql[:200]:
            wrote.add(id(conn))

    def commit(conn) -> None:
        if id(conn) in wrote:
            seen.append(1)
            wrote.discard(id(conn))

    sa.event.listen(db.engine, "before_cursor_execute", statement)
    sa.event.listen(db.engine, "commit", commit)
    yield seen
    sa.event.remove(db.engine, "commit", commit)
    sa.event.remove(db.engine, "before_cursor_execute", statement)


def test_an_operation_commits_once(app_ctx, commits):
    model = registered_models.create_model("proj", SYSTEM, name="m", tags={"a": "1", "b": "2"})
    assert len(commits) == 1
    commits.clear()
    versions.create_version("proj", SYSTEM, model, metadata={"k": "v"}, params={"p": "1"},
                            metrics=[{"key": "acc", "value": 0.5}])
    assert len(commits) == 1


def test_an_error_rolls_everything_back(app_ctx):
    model = registered_models.create_model("proj", SYSTEM, name="m")

    @unit_of_work
    def half_done():
        registered_models.set_model_tag("proj", SYSTEM, model, "kept", "no")
        raise Invalid("stop here")

    with pytest.raises(Invalid):
        half_done()
    assert session().scalars(sa.select(ModelTag.key)).all() == []


def test_a_session_holding_changes_is_refused(app_ctx):
    session().add(RegisteredModel(project="proj", name="stray", created_by_name="x", metric_goals={}))
    with pytest.raises(SessionNotClean):
        registered_models.create_model("proj", SYSTEM, name="m")
    session().rollback()


def test_after_commit_runs_once_the_operation_committed(app_ctx):
    ran = []

    @unit_of_work
    def op(fail: bool):
        after_commit(lambda: ran.append(fail))
        if fail:
            raise Invalid("no")

    with pytest.raises(Invalid):
        op(True)
    op(False)
    assert ran == [False]


def test_a_row_deleted_by_another_connection_is_not_found(app, app_ctx):
    """The model is read, another connection deletes it, then the operation locks it."""
    from example_app.models import db

    model = registered_models.create_model("proj", SYSTEM, name="m")
    session().commit()
    other = sa.create_engine(db.engine.url)
    with other.begin() as conn:
        conn.execute(sa.delete(RegisteredModel.__table__).where(RegisteredModel.__table__.c.id == model.id))
    other.dispose()
    with pytest.raises(NotFound):
        registered_models.set_model_tag("proj", SYSTEM, model, "k", "v")
    with pytest.raises(NotFound):
        versions.create_version("proj", SYSTEM, model)


def test_a_deadlock_is_run_again(app, app_ctx, backend):
    """Two operations lock two models in opposite orders: PostgreSQL kills one with a deadlock
    error (40P01); it runs again and both succeed."""
    if backend != "postgresql":
        pytest.skip("SQLite takes one write lock per transaction: no deadlock")
    a = registered_models.create_model("proj", SYSTEM, name="a").id
    b = registered_models.create_model("proj", SYSTEM, name="b").id
    barrier = threading.Barrier(2, timeout=30)
    runs: list[str] = []
    results: dict[str, object] = {}

    @unit_of_work
    def lock_both(first: int, second: int, label: str) -> str:
        runs.append(label)
        lock_row(RegisteredModel, first)
        if runs.count(label) == 1:
            barrier.wait()  # the first run of each holds its first lock while the other takes its own
        lock_row(RegisteredModel, second)
        return label

    def worker(first: int, second: int, label: str) -> None:
        with app.app_context():
            try:
                results[label] = lock_both(first, second, label)
            except Exception as exc:  # noqa: BLE001  (the assertion shows it)
                results[label] = exc

    threads = [threading.Thread(target=worker, args=(a, b, "ab")), threading.Thread(target=worker, args=(b, a, "ba"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert results == {"ab": "ab", "ba": "ba"}
    assert len(runs) == 3  # one of them ran twice


@pytest.fixture
def short_busy_timeout(app, backend):
    """SQLite waits 0.2 s for a lock instead of the example app's 30 s."""
    if backend != "sqlite":
        pytest.skip("SQLite's write lock")
    from example_app.models import db

    with app.app_context():
        engine = db.engine
        sa.event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute("PRAGMA busy_timeout=200"))
        engine.dispose()
        yield engine.url.database


def test_a_database_locked_too_long_answers_503_with_retry_after(app, client, rita, short_busy_timeout):
    model = client.post(f"{P}/models", json={"name": "m"}, headers=rita.headers).get_json()
    version = client.post(f"{P}/models/{model['id']}/versions", json={}, headers=rita.headers).get_json()
    holder = sqlite3.connect(short_busy_timeout, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    try:
        response = client.put(f"{P}/models/{model['id']}/versions/{version['id']}/metadata",
                              json={"a": "1"}, headers=rita.headers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "unavailable"
    assert time.monotonic() - started >= 0.2 * 3  # it waited for the lock more than once
    # nothing was kept, and once the lock is free the same request succeeds
    again = client.put(f"{P}/models/{model['id']}/versions/{version['id']}/metadata",
                       json={"a": "1"}, headers=rita.headers)
    assert again.status_code == 200


def test_a_lock_held_briefly_is_waited_for(app, client, rita, short_busy_timeout, monkeypatch):
    """Released before the attempts are spent (here, when the first attempt found it held): the
    client never notices."""
    from flask_modelregistry.services import unit_of_work

    model = client.post(f"{P}/models", json={"name": "m"}, headers=rita.headers).get_json()
    holder = sqlite3.connect(short_busy_timeout, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    kind, found_locked = unit_of_work._kind, []

    def release_when_found_locked(exc):
        answer = kind(exc)
        if answer == "retry" and not found_locked:
            found_locked.append(exc)
            holder.execute("ROLLBACK")
            holder.close()
        return answer

    monkeypatch.setattr(unit_of_work, "_kind", release_when_found_locked)
    response = client.post(f"{P}/models/{model['id']}/versions", json={}, headers=rita.headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert found_locked  # the first attempt did wait for the lock


def test_mlflow_door_answers_503_with_retry_after(live_server, rita, short_busy_timeout):
    base = live_server.url + P + "/ml/mlflow/api/2.0/mlflow"
    assert requests.post(f"{base}/registered-models/create", json={"name": "m"}, headers=rita.headers,
                         timeout=30).status_code == 200
    holder = sqlite3.connect(short_busy_timeout, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = requests.post(f"{base}/registered-models/set-tag", json={"name": "m", "key": "k", "value": "v"},
                                 headers=rita.headers, timeout=30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"


def test_unavailable_is_a_domain_error():
    exc = Unavailable("busy", retry_after=3)
    assert (exc.status, exc.code, exc.retry_after) == (503, "unavailable", 3)


def test_mlflow_create_model_version_commits_once(app, client, rita, commits):
    """The experiment, the version (from a run another version came from too) and the run's
    tags: one transaction."""
    base = P + "/ml/mlflow/api/2.0/mlflow"
    client.post(f"{base}/registered-models/create", json={"name": "m"}, headers=rita.headers)
    first = client.post(f"{base}/model-versions/create", json={"name": "m", "source": "s3://b/x"},
                        headers=rita.headers).get_json()["model_version"]
    run_id = first["run_id"]
    put = client.put(f"{P}/ml/mlflow/api/2.0/mlflow-artifacts/artifacts/0/{run_id}/artifacts/model/MLmodel",
                     data=b"flavors: {}\n", headers=rita.headers)
    assert put.status_code == 200, put.get_data(as_text=True)
    commits.clear()
    response = client.post(f"{base}/model-versions/create", json={
        "name": "m", "source": f"runs:/{run_id}/model", "tags": [{"key": "note", "value": "x"}]},
        headers=rita.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(commits) == 1
    number = response.get_json()["model_version"]["version"]
    model_id = client.get(f"{P}/models", headers=rita.headers).get_json()["items"][0]["id"]
    listed = client.get(f"{P}/models/{model_id}/versions?sort=number&order=desc", headers=rita.headers).get_json()
    copied = next(v for v in listed["items"] if str(v["number"]) == str(number))
    assert copied["artifact_count"] == 1 and copied["metadata"] == {"note": "x"}
