"""The version page's Performance tab and the JSON metric history, for versions with 10 to 1,000,000
logged values (inserted in bulk by the database itself, then aggregated from the rows as the
migration does), on SQLite and PostgreSQL in this process: the median time of the page, of one
page of the history through the JSON API, and of logging 1,000 more values through the JSON API
(which keeps the aggregates up to date in the same transaction).

PostgreSQL: ``BENCH_POSTGRES_URL`` (default ``MODEL_REGISTRY_TEST_POSTGRES_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a database of its own is made and dropped.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from .operations_workload import _postgres_url, scratch_postgres

P = "/api/v1/projects/proj"


def _median_ms(call, times: int = 5) -> float:
    values = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        values.append(time.perf_counter() - start)
    return statistics.median(values) * 1000


def _bulk(db, run_id: str, size: int) -> None:
    from flask_modelregistry.services import metric_aggregates

    metric_aggregates.bulk_load(run_id, size)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # what autovacuum does to a table loaded in bulk
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE mr_run_metrics")


def _measure(label: str, url: str, folder: Path, sizes: list[int]) -> None:
    from example_app import create_app
    from example_app.database import upgrade_all
    from example_app.models import db
    from tests.support import add_people, login

    engine = sa.create_engine(url)
    upgrade_all(engine)
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "MODEL_REGISTRY_STORAGE_URI": str(folder / "artifacts"),
                      "MODEL_REGISTRY_SWEEP_INTERVAL": 0})  # no sweep competing with the bulk load
    rita = add_people(app)["rita"]
    client = app.test_client()
    model = client.post(f"{P}/models", json={"name": "bench-metrics"}, headers=rita.headers).json
    login(client, "rita")
    print(f"metrics ({label}): values logged | version page (Performance tab) | JSON history page of 100 "
          f"| log 1,000 more (JSON API)")
    for number, size in enumerate(sizes, start=1):
        mv = client.post(f"{P}/models/{model['id']}/versions", json={"version": f"{number}.0.0"},
                         headers=rita.headers).json
        with app.app_context():
            _bulk(db, mv["run_id"], size)
        page_url = f"/projects/proj/models/{model['id']}/versions/{mv['id']}?tab=performance"
        api_url = f"{P}/models/{model['id']}/versions/{mv['id']}/metrics?per_page=100&page=2"
        page_ms = _median_ms(lambda: client.get(page_url))
        api_ms = _median_ms(lambda: client.get(api_url, headers=rita.headers))
        log_url = f"{P}/models/{model['id']}/versions/{mv['id']}/metrics"
        batches = iter(range(size, size + 10_000, 1000))  # each call logs 1,000 new steps after the others

        def log_more() -> None:
            first = next(batches)
            client.post(log_url, headers=rita.headers,
                        json=[{"key": "loss", "value": 0.5, "step": first + i} for i in range(1000)])

        log_ms = _median_ms(log_more)
        print(f"metrics ({label}): {size:>9,} | {page_ms:8.1f} ms | {api_ms:8.1f} ms | {log_ms:8.1f} ms")
    with app.app_context():
        for each in db.engines.values():
            each.dispose()


def run(*, quick: bool = False) -> None:
    sizes = [10, 100_000] if quick else [10, 100_000, 1_000_000]
    with tempfile.TemporaryDirectory() as folder:
        _measure("SQLite", f"sqlite:///{Path(folder) / 'bench.db'}", Path(folder), sizes)
        pg = _postgres_url()
        if pg is None:
            print("metrics (PostgreSQL): unreachable, not measured")
            return
        with scratch_postgres(pg) as url:
            _measure("PostgreSQL", url, Path(folder), sizes)
