"""The per-metric aggregates kept on write (``mr_run_metric_aggregates``, the run's distinct steps
and their count) always equal an aggregate computed afresh from the values: after writes through
every door (the new-version page, the JSON API, the real MLflow client's log-metric and log-batch),
with NaN and infinities, ties at one step and timestamp, steps out of order; under concurrent
writers on real threads; after the migration that backfills them; and they go with the run. The
version page reads a bounded number of rows: the same for 20,000 values as for 100,000, whether
the values are at distinct steps or piled up at a few."""
from __future__ import annotations

import concurrent.futures
import math
import threading
import typing as t
import uuid

import pytest
import requests
import sqlalchemy as sa

from ..metric_history import bulk_history
from ..rows_read import RowsRead
from ..support import login

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"


# -- the oracle: aggregates computed afresh from the values ----------------------------------

def fresh(conn: sa.Connection, run_id: str) -> dict[str, tuple]:
    """Per key, from the values: (count, NaNs, min, max of the non-NaN values, first step, last
    step, and the latest row by MLflow's rule: highest step, then timestamp, then id)."""
    rows = conn.execute(sa.text("SELECT id, key, value, is_nan, step, timestamp FROM mr_run_metrics "
                                "WHERE run_id = :r"), {"r": run_id}).all()
    by_key: dict[str, list] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    out = {}
    for key, values in by_key.items():
        numbers = [v.value for v in values if not v.is_nan]
        latest = max(values, key=lambda v: (v.step, v.timestamp, v.id))
        out[key] = (len(values), len(values) - len(numbers), min(numbers, default=None), max(numbers, default=None),
                    min(v.step for v in values), max(v.step for v in values),
                    latest.id, latest.value, bool(latest.is_nan), latest.step, latest.timestamp)
    return out


def stored(conn: sa.Connection, run_id: str) -> dict[str, tuple]:
    rows = conn.execute(sa.text(
        "SELECT key, value_count, nan_count, min_value, max_value, first_step, last_step, latest_id, latest_value, "
        "latest_is_nan, latest_step, latest_timestamp FROM mr_run_metric_aggregates WHERE run_id = :r"),
        {"r": run_id}).all()
    return {r.key: (r.value_count, r.nan_count, r.min_value, r.max_value, r.first_step, r.last_step, r.latest_id,
                    r.latest_value, bool(r.latest_is_nan), r.latest_step, r.latest_timestamp) for r in rows}


def steps(conn: sa.Connection, run_id: str) -> tuple[set[int], set[int], int]:
    """(the distinct steps of the values, the steps table's rows, the run's step count)."""
    distinct = set(conn.scalars(sa.text("SELECT DISTINCT step FROM mr_run_metrics WHERE run_id = :r"), {"r": run_id}))
    kept = set(conn.scalars(sa.text("SELECT step FROM mr_run_metric_steps WHERE run_id = :r"), {"r": run_id}))
    count = conn.scalar(sa.text("SELECT metric_step_count FROM mr_runs WHERE id = :r"), {"r": run_id})
    return distinct, kept, count


def assert_exact(engine: sa.Engine, run_id: str) -> dict[str, tuple]:
    with engine.connect() as conn:
        expected, got = fresh(conn, run_id), stored(conn, run_id)
        distinct, kept, count = steps(conn, run_id)
    assert got == expected
    assert kept == distinct and count == len(distinct)
    return expected


def engine_of(app) -> sa.Engine:
    from example_app.models import db

    with app.app_context():
        return db.engine


# -- every door --------------------------------------------------------------------------------

def test_aggregates_equal_the_values_after_writes_through_every_door(tracking, live_server, rita):
    from mlflow.entities import Metric

    app = live_server.app
    pages = app.test_client()
    login(pages, "rita")
    model = pages.post(f"{P}/models", json={"name": "doors"}, headers=rita.headers).json
    # the new-version page: loss at steps 0, 1, 2 and acc once
    form = pages.get(f"/projects/proj/models/{model['id']}/versions/new").data.decode()
    token = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = pages.post(f"/projects/proj/models/{model['id']}/versions/new", data={
        "version": "1.0.0", "metrics": "loss=0.9, 0.7, 0.5\nacc=0.5", "csrf_token": token})
    assert response.status_code == 302, response.data[:1000]
    version = tracking.api_version("doors", 1)
    run_id = version["run_id"]
    engine = engine_of(app)
    assert set(assert_exact(engine, run_id)) == {"loss", "acc"}

    # the JSON API: a later value at a step logged before, steps out of order, NaN and infinities
    url = f"{P}/models/{model['id']}/versions/{version['id']}/metrics"
    body = [{"key": "loss", "value": 0.6, "step": 1, "timestamp": 5_000_000_000_000},
            {"key": "loss", "value": "Infinity", "step": 7, "timestamp": 10},
            {"key": "loss", "value": "-Infinity", "step": -3, "timestamp": 10},
            {"key": "loss", "value": "NaN", "step": 8, "timestamp": 10},
            {"key": "only-nan", "value": "NaN", "step": 4, "timestamp": 20},
            {"key": "acc", "value": 0.25, "step": 0, "timestamp": 1}]
    assert pages.post(url, json=body, headers=rita.headers).status_code == 201
    after_api = assert_exact(engine, run_id)
    assert after_api["loss"][2] == -1.7976931348623157e308 and after_api["loss"][3] == 1.7976931348623157e308
    assert after_api["loss"][9] == 8 and after_api["loss"][8] is True  # the latest is the NaN at step 8
    assert after_api["only-nan"][1:4] == (1, None, None)

    # the real MLflow client: log-metric and log-batch, ties at one step and timestamp (the later
    # row wins), a value at a higher step and an earlier time, and an older value at the last step
    client = tracking.use("rita")
    client.log_metric(run_id, "loss", 0.4, timestamp=50, step=8)   # same step as the NaN, later
    client.log_metric(run_id, "loss", 0.3, timestamp=50, step=8)   # a tie: the later row is the latest
    client.log_metric(run_id, "loss", 0.2, timestamp=5, step=8)    # older at that step: not the latest
    client.log_batch(run_id, metrics=[Metric("acc", 0.75, 99, 3), Metric("acc", float("nan"), 1, 3),
                                      Metric("mlflow-only", float("inf"), 7, 0),
                                      Metric("mlflow-only", -2.5, 7, 0)])
    final = assert_exact(engine, run_id)
    assert final["loss"][7] == 0.3 and final["loss"][9:] == (8, 50)
    assert final["acc"][7] == 0.75 and final["acc"][9] == 3
    assert final["mlflow-only"][7] == -2.5 and final["mlflow-only"][:4] == (2, 0, -2.5, 1.7976931348623157e308)

    # the doors read the latest value from the aggregates: MLflow's run and the JSON version
    run = client.get_run(run_id)
    assert run.data.metrics["loss"] == 0.3 and run.data.metrics["acc"] == 0.75
    assert math.isnan(run.data.metrics["only-nan"])
    shown = {m["key"]: m for m in tracking.api(f"/models/{model['id']}/versions/{version['id']}")["metrics"]}
    assert shown["loss"]["value"] == 0.3 and shown["loss"]["step"] == 8
    # and the version page shows the counts the aggregates keep
    page = pages.get(f"/projects/proj/models/{model['id']}/versions/{version['id']}?tab=performance").data.decode()
    assert f"{final['loss'][0]} values" in page
    history = pages.get(url, query_string={"key": "loss", "per_page": 5}, headers=rita.headers).json
    assert history["total"] == final["loss"][0]

    # deleting the version deletes its run's aggregates and steps with the values
    assert pages.delete(f"{P}/models/{model['id']}/versions/{version['id']}",
                        headers=rita.headers).status_code == 204
    with engine.connect() as conn:
        assert stored(conn, run_id) == {} and steps(conn, run_id) == (set(), set(), None)


def test_a_version_created_with_metrics_through_the_json_api_has_its_aggregates(app, client, rita):
    model = client.post(f"{P}/models", json={"name": "created"}, headers=rita.headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", headers=rita.headers, json={
        "version": "1.0.0", "metrics": [{"key": "f1", "value": v, "step": s} for s, v in ((2, 0.5), (0, 0.9), (2, 0.7))]
    }).json
    got = assert_exact(engine_of(app), version["run_id"])
    assert got["f1"][:6] == (3, 0, 0.5, 0.9, 0, 2)


# -- concurrent writers --------------------------------------------------------------------------

WRITERS = 16


def test_concurrent_writers_leave_the_aggregates_exact(live_server, rita):
    """16 threads at once, each on its own connection, log batches to one run and the same keys
    (MLflow's log-batch and the JSON API), with overlapping steps and timestamps, so the rows each
    writer's aggregate update combines are being inserted by the others at that moment."""
    base = live_server.url
    model = requests.post(f"{base}{P}/models", json={"name": "racing"}, headers=rita.headers, timeout=30).json()
    version = requests.post(f"{base}{P}/models/{model['id']}/versions", json={"version": "1.0.0"},
                            headers=rita.headers, timeout=30).json()
    run_id = version["run_id"]
    barrier = threading.Barrier(WRITERS)

    def batch(writer: int, round_: int) -> list[dict[str, t.Any]]:
        return [{"key": key, "value": (writer * 31 + step * 7 + round_) % 97 / 7, "step": (writer + step) % 40,
                 "timestamp": 1000 + (writer * step) % 13} for key in ("loss", "acc", "f1") for step in range(25)]

    def write(writer: int) -> list[int]:
        session = requests.Session()
        barrier.wait(timeout=60)
        codes = []
        for round_ in range(4):
            if (writer + round_) % 2:
                r = session.post(f"{base}{T}/runs/log-batch", json={"run_id": run_id, "metrics": batch(writer, round_)},
                                 headers=rita.headers, timeout=120)
            else:
                r = session.post(f"{base}{P}/models/{model['id']}/versions/{version['id']}/metrics",
                                 json=batch(writer, round_), headers=rita.headers, timeout=120)
            codes.append(r.status_code)
        return codes

    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        answers = [c for codes in pool.map(write, range(WRITERS)) for c in codes]
    assert sorted(set(answers)) == [200, 201], answers
    got = assert_exact(engine_of(live_server.app), run_id)
    assert {key: row[0] for key, row in got.items()} == {key: WRITERS * 4 * 25 for key in ("loss", "acc", "f1")}


# -- the migration backfills -------------------------------------------------------------------

def test_the_migration_aggregates_the_values_logged_before_it(tmp_path, backend, request):
    from flask_modelregistry import migrate as registry_migrate

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.db'}"
    else:
        server = request.getfixturevalue("postgres_server_url")
        name = f"mr_backfill_{uuid.uuid4().hex}"  # unique also beside another run on the same server
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        request.addfinalizer(drop)
        url = server.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        registry_migrate.upgrade(engine, "mr_0008")  # the revision before the aggregates
        values = [("r1", "loss", 0.5, False, 0, 10), ("r1", "loss", 0.25, False, 3, 10), ("r1", "loss", 0.0, True, 3, 10),
                  ("r1", "loss", 1.7976931348623157e308, False, 1, 99), ("r1", "acc", 0.0, True, 2, 5),
                  ("r2", "loss", 0.1, False, 5, 1), ("r2", "loss", 0.2, False, 5, 1), ("r2", "f1", -1.0, False, -4, 7)]
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO mr_experiments (project, name, lifecycle_stage, tags, created_at, "
                                 "updated_at) VALUES ('proj', 'e', 'active', '{}', :t, :t)"), {"t": "2026-01-01"})
            experiment = conn.scalar(sa.text("SELECT id FROM mr_experiments"))
            for run_id in ("r1", "r2", "r3"):
                conn.execute(sa.text("INSERT INTO mr_runs (id, project, experiment_id, name, status, lifecycle_stage, "
                                     "created_at) VALUES (:id, 'proj', :e, :id, 'FINISHED', 'active', :t)"),
                             {"id": run_id, "e": experiment, "t": "2026-01-01"})
            for run_id, key, value, is_nan, step, ts in values:
                conn.execute(sa.text("INSERT INTO mr_run_metrics (run_id, key, value, is_nan, step, timestamp) "
                                     "VALUES (:r, :k, :v, :n, :s, :t)"),
                             {"r": run_id, "k": key, "v": value, "n": is_nan, "s": step, "t": ts})
        registry_migrate.upgrade(engine)
        got = {run_id: assert_exact(engine, run_id) for run_id in ("r1", "r2", "r3")}
        assert got["r1"]["loss"][:6] == (4, 1, 0.25, 1.7976931348623157e308, 0, 3)
        assert got["r1"]["loss"][8] is True and got["r1"]["acc"][1:4] == (1, None, None)
        assert got["r2"]["loss"][7] == 0.2  # a tie at step and timestamp: the later row
        assert got["r3"] == {}
        with engine.connect() as conn:
            assert steps(conn, "r1")[2] == 4 and steps(conn, "r3")[2] == 0
    finally:
        engine.dispose()


# -- the version page reads a bounded number of rows -----------------------------------------------

@pytest.mark.parametrize("per_step", [1, 1000], ids=["distinct-steps", "1000-values-a-step"])
def test_the_version_page_reads_as_many_rows_for_100000_values_as_for_20000(app, client, rita, per_step):
    model = client.post(f"{P}/models", json={"name": "bounded"}, headers=rita.headers).json
    sizes = (20_000, 100_000)
    versions = [client.post(f"{P}/models/{model['id']}/versions", json={"version": f"{i + 1}.0.0"},
                            headers=rita.headers).json for i in range(len(sizes))]
    per = {20_000: per_step if per_step == 1 else 200, 100_000: per_step}  # 20,000 steps or 100 steps in both
    for version, n in zip(versions, sizes):
        bulk_history(app, version["run_id"], n, per_step=per[n])
    login(client, "rita")
    engine = engine_of(app)
    reads = []
    for version, n in zip(versions, sizes):
        client.get(f"/projects/proj/models/{model['id']}/versions/{version['id']}?tab=performance")  # warm
        with RowsRead(engine) as log:
            page = client.get(f"/projects/proj/models/{model['id']}/versions/{version['id']}?tab=performance")
        assert page.status_code == 200 and f"{n} values" in page.data.decode().replace(",", "")
        reads.append(log.measure())
    small, large = reads
    # a scan of the values would read five times as much for five times the values
    assert large <= small * 1.25 + 1000, reads
    if engine.dialect.name == "postgresql":
        # 100 table cells and at most 400 chart points, a few index entries for each (a scan: 100,000)
        assert large < 4_000, reads
