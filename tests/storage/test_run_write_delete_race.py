"""Every write to a run marks the versions made from it changed, and a delete of a version (or of its
model) locks those versions and then their runs: each run-level write must take the locks in the
same order, or the two wait for each other on PostgreSQL until it kills one (a deadlock: a stall,
the operation run again, and a 503 once the attempts are spent under load)."""
from __future__ import annotations

import threading
import typing as t

import pytest

P = "/api/v1/projects/proj"


def _writes() -> dict[str, t.Callable[..., t.Any]]:
    """Each run-level write path, as its door (MLflow's API, the JSON API) calls the services."""
    from flask_modelregistry.services import runs, tracking

    metric = [{"key": "a", "value": 1.0, "step": 1, "timestamp": 1}]
    dataset = {"name": "d", "digest": "x", "source": "{\"uri\": \"s3://b/d\"}", "source_type": "s3",
               "context": "training", "tags": []}
    return {
        "mlflow log-metric": lambda p, a, r: tracking.log_metrics(p, a, r, metric),
        "mlflow log-parameter": lambda p, a, r: tracking.log_params(p, a, r, {"p": "1"}),
        "mlflow log-batch": lambda p, a, r: runs.log_batch(p, a, r, metrics=metric, params={"p": "1"},
                                                           tags={"t": "1"}),
        "mlflow log-inputs": lambda p, a, r: runs.log_inputs(p, a, r, [dataset]),
        "mlflow set-tag": lambda p, a, r: runs.set_tags(p, a, r, {"t": "2"}),
        "mlflow delete-tag": lambda p, a, r: runs.delete_tag(p, a, r, "old"),
        "mlflow runs/update": lambda p, a, r: runs.update_run(p, a, r, status="FINISHED", end_time=5, name="n"),
        "json metrics": lambda p, a, r: tracking.log_metrics(p, a, r, metric),
        "json params": lambda p, a, r: tracking.log_params(p, a, r, {"p": "1"}, replace=True),
        "json datasets": lambda p, a, r: tracking.replace_datasets(
            p, a, r, [{"name": "d", "uri": "s3://b/d", "digest": "x", "role": "training"}]),
    }


@pytest.mark.parametrize("delete", ["model", "version"])
@pytest.mark.parametrize("write", list(_writes()))
def test_a_run_write_while_its_version_is_deleted_takes_the_locks_in_the_deletes_order(app, backend, rita,
                                                                                      monkeypatch, write, delete):
    """The write is stopped right where it marks its version changed, the delete started then (it
    locks the version, then waits for the run); the write then goes on. The delete must succeed,
    the write either commit first or find its run gone, and the database break no deadlock."""
    from example_app.models import db
    from flask_modelregistry.errors import NotFound
    from flask_modelregistry.models import Run
    from flask_modelregistry.services import tracking

    from .conftest import actor_of, pause_at_touch, wait_for_lock_waiter

    if backend != "postgresql":
        pytest.skip("SQLite takes one write lock per transaction: no deadlock")
    client = app.test_client()
    model = client.post(f"{P}/models", json={"name": "locks"}, headers=rita.headers).json
    v = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    with app.app_context():
        tracking.set_run_tags(v["run_id"], {"old": "1"})
        db.session.commit()
    writing, go_on, sqlstates = pause_at_touch(monkeypatch)
    results: dict[str, object] = {}
    do = _writes()[write]

    def run_write() -> None:
        with app.app_context():
            try:
                do("proj", actor_of(rita), db.session.get(Run, v["run_id"]))
                results["write"] = "committed"
            except NotFound as exc:  # the delete went first
                results["write"] = exc
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                results["write"] = repr(exc)

    def run_delete() -> None:
        url = f"{P}/models/{model['id']}" + (f"/versions/{v['id']}" if delete == "version" else "")
        results["delete"] = app.test_client().delete(url, headers=rita.headers).status_code

    writer = threading.Thread(target=run_write)
    writer.start()
    assert writing.wait(30), results
    deleter = threading.Thread(target=run_delete)
    deleter.start()
    try:
        wait_for_lock_waiter(app)  # the delete now waits for what the paused write holds
    finally:
        go_on.set()
    writer.join(60)
    deleter.join(60)
    assert results.get("delete") == 204, results
    assert results.get("write") == "committed" or isinstance(results.get("write"), NotFound), results
    assert "40P01" not in sqlstates, sqlstates  # no deadlock was broken by the database


def test_a_run_write_leaves_alone_a_version_made_from_the_run_after_its_locks(app, backend, rita, monkeypatch):
    """A write to a run locks the versions made from it, then the run (shared: a new version may
    still be made from the run meanwhile). A version made then and deleted at once by another
    request: its delete locks it, then waits for the run. If the write then marked that version
    changed too, it would wait for the delete: a deadlock that PostgreSQL breaks by killing one."""
    from example_app.models import db
    from flask_modelregistry.models import Run
    from flask_modelregistry.services import tracking

    from .conftest import actor_of, pause_at_touch, wait_for_lock_waiter

    if backend != "postgresql":
        pytest.skip("SQLite takes one write lock per transaction: no deadlock")
    client = app.test_client()
    api = f"{P}/ml/mlflow/api/2.0/mlflow"
    run = client.post(f"{api}/runs/create", json={"experiment_id": "0"}, headers=rita.headers).json["run"]["info"]
    assert client.post(f"{api}/registered-models/create", json={"name": "shared-run"},
                       headers=rita.headers).status_code == 200

    def new_version() -> str:
        answer = client.post(f"{api}/model-versions/create", headers=rita.headers,
                             json={"name": "shared-run", "source": run["artifact_uri"], "run_id": run["run_id"]})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.json["model_version"]["version"]

    new_version()  # the run has a version before the write starts
    writing, go_on, sqlstates = pause_at_touch(monkeypatch)
    results: dict[str, object] = {}

    def run_write() -> None:
        with app.app_context():
            try:
                tracking.log_metrics("proj", actor_of(rita), db.session.get(Run, run["run_id"]),
                                     [{"key": "a", "value": 1.0, "step": 1, "timestamp": 1}])
                results["write"] = "committed"
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                results["write"] = repr(exc)

    def run_delete(version: str) -> None:
        results["delete"] = app.test_client().delete(
            f"{api}/model-versions/delete", json={"name": "shared-run", "version": version},
            headers=rita.headers).status_code

    writer = threading.Thread(target=run_write)
    writer.start()
    assert writing.wait(30), results
    second = new_version()  # made from the run while the write holds it shared
    deleter = threading.Thread(target=run_delete, args=(second,))
    deleter.start()
    try:
        wait_for_lock_waiter(app)  # the delete now holds the new version and waits for the run
    finally:
        go_on.set()
    writer.join(60)
    deleter.join(60)
    assert results == {"write": "committed", "delete": 200}, results
    assert "40P01" not in sqlstates, sqlstates  # no deadlock was broken by the database
