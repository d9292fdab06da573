"""The version page's Performance tab and the JSON metric history, for versions with 10 to 1,000,000
logged values (inserted in bulk by the database itself), on SQLite in this process: the median
time of the page, and of one page of the history through the JSON API."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

P = "/api/v1/projects/proj"


def _median_ms(call, times: int = 5) -> float:
    values = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        values.append(time.perf_counter() - start)
    return statistics.median(values) * 1000


def run(*, quick: bool = False) -> None:
    from example_app import create_app
    from example_app.database import upgrade_all
    from example_app.models import db
    from tests.support import add_people, login

    sizes = [10, 100_000] if quick else [10, 100_000, 1_000_000]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = sa.create_engine(url)
        upgrade_all(engine)
        engine.dispose()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "MODEL_REGISTRY_STORAGE_URI": str(Path(folder) / "artifacts")})
        rita = add_people(app)["rita"]
        client = app.test_client()
        model = client.post(f"{P}/models", json={"name": "bench-metrics"}, headers=rita.headers).json
        login(client, "rita")
        print("metrics: values logged | version page (Performance tab) | JSON history page of 100")
        for number, size in enumerate(sizes, start=1):
            mv = client.post(f"{P}/models/{model['id']}/versions", json={"version": f"{number}.0.0"},
                             headers=rita.headers).json
            with app.app_context():
                db.session.execute(sa.text(
                    "INSERT INTO mr_run_metrics (run_id, key, value, is_nan, step, timestamp) "
                    "SELECT :run, 'loss', 1.0 / (n + 1), 0, n, 1700000000000 + n FROM "
                    "(WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :last) "
                    "SELECT n FROM seq)"), {"run": mv["run_id"], "last": size - 1})
                db.session.commit()
            page_url = f"/projects/proj/models/{model['id']}/versions/{mv['id']}?tab=performance"
            api_url = f"{P}/models/{model['id']}/versions/{mv['id']}/metrics?per_page=100&page=2"
            page_ms = _median_ms(lambda: client.get(page_url))
            api_ms = _median_ms(lambda: client.get(api_url, headers=rita.headers))
            print(f"metrics: {size:>9,} | {page_ms:8.1f} ms | {api_ms:8.1f} ms")
