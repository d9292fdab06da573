"""What one operation costs the database, in-process through the app's doors (Flask's test client):
the commits and queries of creating a model, of creating a version through the JSON API and through
MLflow's REST API, and of each list page (first and last, per_page 20 and 100), on SQLite and, when
a PostgreSQL server is reachable, on PostgreSQL. Then, on PostgreSQL with 10,000 models of the
project (among 10,000 of others) and one model of 10,000 versions, ANALYZE'd: the time of the
model list's and the version list's last page as JSON and as a page.

PostgreSQL: ``BENCH_POSTGRES_URL`` (default ``MODEL_REGISTRY_TEST_POSTGRES_URL``, else
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); the workload creates and drops a database
of its own there."""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import statistics
import tempfile
import time
import typing as t
import uuid
from pathlib import Path

import sqlalchemy as sa

P = "/api/v1/projects/bench"
MLFLOW = P + "/ml/mlflow/api/2.0/mlflow"


class Counter:
    """Commits (of transactions that wrote) and statements sent on the app's engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.queries = self.commits = 0
        self._wrote: set[int] = set()

    def _statement(self, conn, _cursor, sql: str, *_a) -> None:
        self.queries += 1
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self._wrote.add(id(conn))

    def _commit(self, conn) -> None:
        if id(conn) in self._wrote:
            self.commits += 1
            self._wrote.discard(id(conn))

    @contextlib.contextmanager
    def measure(self) -> t.Iterator[Counter]:
        self.queries = self.commits = 0
        self._wrote.clear()
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)
        sa.event.listen(self.engine, "commit", self._commit)
        try:
            yield self
        finally:
            sa.event.remove(self.engine, "commit", self._commit)
            sa.event.remove(self.engine, "before_cursor_execute", self._statement)


def _app(url: str, workdir: Path):
    from example_app import create_app
    from example_app.database import upgrade_all
    from example_app.models import Membership, Project, User, db
    from flask_modelregistry.services.tokens import create_token
    from werkzeug.security import generate_password_hash

    engine = sa.create_engine(url)
    upgrade_all(engine)
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "MODEL_REGISTRY_STORAGE_URI": str(workdir / "artifacts")})
    with app.app_context():
        user = User(username="bench", password_hash=generate_password_hash("bench", method="pbkdf2:sha256:1000"))
        project = Project(slug="bench", name="bench")
        db.session.add_all([user, project])
        db.session.flush()
        db.session.add(Membership(user_id=user.id, project_id=project.id, role="owner"))
        db.session.commit()
        _token, secret = create_token(str(user.id), name="bench", scope="api")
    return app, {"Authorization": f"Bearer {secret}"}


def costs(app, headers: dict) -> list[tuple[str, int, int]]:
    """(operation, commits, queries) of each operation, after one warm-up call of each."""
    from example_app.models import db

    client = app.test_client()
    with app.app_context():
        counter = Counter(db.engine)
    rows = []

    def one(label: str, call: t.Callable[[], t.Any]) -> t.Any:
        with counter.measure():
            response = call()
        assert response.status_code < 300, (label, response.status_code, response.get_data(as_text=True)[:300])
        rows.append((label, counter.commits, counter.queries))
        return response

    client.get(f"{P}/models", headers=headers)  # the token's first use is written once
    model = client.post(f"{P}/models", json={"name": "warm-up"}, headers=headers).get_json()
    one("create a model (JSON API)", lambda: client.post(f"{P}/models", json={"name": "m"}, headers=headers))
    one("create a version (JSON API)", lambda: client.post(
        f"{P}/models/{model['id']}/versions", json={"metrics": [{"key": "acc", "value": 0.5}],
                                                     "params": {"lr": "0.1"}, "metadata": {"k": "v"}},
        headers=headers))
    client.post(f"{MLFLOW}/registered-models/create", json={"name": "mlflow-model"}, headers=headers)
    client.post(f"{MLFLOW}/model-versions/create", json={"name": "mlflow-model", "source": "s3://b/m"}, headers=headers)
    one("create a version (MLflow create_model_version)", lambda: client.post(
        f"{MLFLOW}/model-versions/create", json={"name": "mlflow-model", "source": "s3://b/m",
                                                 "tags": [{"key": "note", "value": "x"}]}, headers=headers))
    for i in range(40):
        client.post(f"{P}/models", json={"name": f"model-{i:03d}"}, headers=headers)
        client.post(f"{P}/models/{model['id']}/versions", json={}, headers=headers)
    for per_page in (20, 100):
        for label, page in (("first", 1), ("last", 3 if per_page == 20 else 1)):
            one(f"model list, {label} page, per_page={per_page}",
                lambda: client.get(f"{P}/models?page={page}&per_page={per_page}", headers=headers))
            one(f"version list, {label} page, per_page={per_page}",
                lambda: client.get(f"{P}/models/{model['id']}/versions?page={page}&per_page={per_page}",
                                   headers=headers))
    return rows


def _seed_large(app, n_models: int, n_versions: int) -> int:
    """``n_models`` models in the project, as many in other projects, one model of ``n_versions``
    versions (each with its run and a metric), then VACUUM ANALYZE. Returns the big model's id."""
    from example_app.models import db
    from flask_modelregistry.services import metric_aggregates

    with app.app_context():
        client = app.test_client()
        with db.engine.begin() as conn:
            experiment = conn.execute(sa.text("SELECT id FROM mr_experiments LIMIT 1")).scalar()
            conn.execute(sa.text("""
                INSERT INTO mr_models (project, name, description, metric_goals, created_at, updated_at,
                                       last_version_number, version_count)
                SELECT CASE WHEN g % 2 = 0 THEN 'bench' ELSE 'other' || (g % 9) END, 'bulk-' || g, '', '{}',
                       now() - g * interval '1 second', now() - g * interval '1 second', 0, 0
                FROM generate_series(1, :n) AS g"""), {"n": 2 * n_models})
            big = conn.execute(sa.text("""
                INSERT INTO mr_models (project, name, description, metric_goals, created_at, updated_at,
                                       last_version_number, version_count, latest_version)
                VALUES ('bench', 'big', '', '{}', now(), now(), :n, :n, :n || '.0.0') RETURNING id"""),
                {"n": n_versions}).scalar()
            conn.execute(sa.text("""
                INSERT INTO mr_runs (id, project, experiment_id, name, status, start_time, lifecycle_stage, created_at)
                SELECT md5('big' || g), 'bench', :e, 'r' || g, 'FINISHED', 0, 'active', now()
                FROM generate_series(1, :n) AS g"""), {"e": experiment, "n": n_versions})
            conn.execute(sa.text("""
                INSERT INTO mr_model_versions (model_id, number, version, semver_major, semver_minor, semver_patch,
                                               semver_key, description, run_id, source, stage, created_at, updated_at)
                SELECT :m, g, g || '.0.0', g, 0, 0, '~', '', md5('big' || g), '', 'None', now(), now()
                FROM generate_series(1, :n) AS g"""), {"m": big, "n": n_versions})
            conn.execute(sa.text("""
                UPDATE mr_models SET latest_version_id = (SELECT id FROM mr_model_versions
                                                          WHERE model_id = :m AND number = :n)
                WHERE id = :m"""), {"m": big, "n": n_versions})
            conn.execute(sa.text("""
                INSERT INTO mr_run_metrics (run_id, key, value, is_nan, step, timestamp)
                SELECT md5('big' || g), 'acc', 0.5, false, 0, 0 FROM generate_series(1, :n) AS g"""),
                {"n": n_versions})
        # the values went in around the service: their aggregates (what the pages read) as logging makes them
        metric_aggregates.recompute([hashlib.md5(f"big{g}".encode()).hexdigest() for g in range(1, n_versions + 1)])
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        del client
    return big


def _median_ms(call: t.Callable[[], t.Any], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return statistics.median(times) * 1000


def large_pages(app, headers: dict, n_models: int, n_versions: int) -> list[tuple[str, float]]:
    big = _seed_large(app, n_models, n_versions)
    client = app.test_client()
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data)
    client.post("/login", data={"username": "bench", "password": "bench",
                                "csrf_token": token.group(1).decode() if token else ""})
    total = client.get(f"{P}/models?per_page=1", headers=headers).get_json()["total"]
    rows = []
    for per_page in (20, 100):
        last = -(-total // per_page)
        for sort in ("name", "created_at", "updated_at"):
            rows.append((f"model list, last page ({last}), per_page={per_page}, sort={sort}, JSON",
                         _median_ms(lambda: client.get(f"{P}/models?page={last}&per_page={per_page}&sort={sort}",
                                                       headers=headers))))
        last_v = -(-n_versions // per_page)
        rows.append((f"version list, last page ({last_v}) of {n_versions}, per_page={per_page}, JSON",
                     _median_ms(lambda: client.get(f"{P}/models/{big}/versions?page={last_v}&per_page={per_page}",
                                                   headers=headers))))
    last = -(-total // 20)
    rows.append((f"model list page, last page ({last}), HTML",
                 _median_ms(lambda: client.get(f"/projects/bench/models?page={last}"))))
    rows.append(("model list page, first page, HTML", _median_ms(lambda: client.get("/projects/bench/models"))))
    return rows


def _postgres_url() -> str | None:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("MODEL_REGISTRY_TEST_POSTGRES_URL") \
        or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # noqa: BLE001  (no server: the PostgreSQL part is skipped, and says so)
        return None
    return url


@contextlib.contextmanager
def scratch_postgres(server_url: str) -> t.Iterator[str]:
    parsed = sa.engine.make_url(server_url)
    name = f"mr_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _dispose(app) -> None:
    from example_app.models import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def run(quick: bool = False) -> None:
    n_models = 2_000 if quick else 10_000
    n_versions = 2_000 if quick else 10_000
    results: dict[str, list[tuple[str, int, int]]] = {}
    large: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mr-bench-ops-") as tmp:
        workdir = Path(tmp)
        app, headers = _app(f"sqlite:///{workdir / 'ops.db'}", workdir)
        results["SQLite"] = costs(app, headers)
        _dispose(app)
        pg = _postgres_url()
        if pg:
            with scratch_postgres(pg) as url:
                app, headers = _app(url, workdir)
                results["PostgreSQL"] = costs(app, headers)
                large = large_pages(app, headers, n_models, n_versions)
                _dispose(app)
    print()
    print("Database cost of one operation, through the doors in-process (commits that wrote / statements)")
    print("-" * 96)
    labels = [label for label, _c, _q in next(iter(results.values()))]
    print(f"{'operation':58}" + "".join(f"{db:>19}" for db in results))
    for i, label in enumerate(labels):
        print(f"{label:58}" + "".join(f"{rows[i][1]:>9} / {rows[i][2]:<8}" for rows in results.values()))
    print("(statements include the request's own: token and role look-ups, the audit row)")
    if large:
        print()
        print(f"PostgreSQL, {n_models} models of the project among {2 * n_models} others' and one model of "
              f"{n_versions} versions, ANALYZE'd (in-process, median of 7)")
        print("-" * 96)
        for label, ms in large:
            print(f"{label:80} {ms:8.1f} ms")
    else:
        print("PostgreSQL unreachable: the 10,000-model pages were not measured")
