"""Pages of models and versions cost the same at any size: a constant number of queries for
any page and per_page, and on PostgreSQL with real statistics every query of the last page goes
along an index (no sequential scan of the models or versions, no subquery per model)."""
from __future__ import annotations

import json
import typing as t

import pytest
import sqlalchemy as sa

P = "/api/v1/projects/proj"


class Statements:
    def __init__(self) -> None:
        self.seen: list[tuple[str, t.Any]] = []

    def __call__(self, _conn, _cursor, statement: str, parameters: t.Any, _context, _many) -> None:
        self.seen.append((statement, parameters))

    def registry(self) -> list[tuple[str, t.Any]]:
        return [(s, p) for s, p in self.seen if "mr_models" in s or "mr_model_versions" in s]


@pytest.fixture
def statements(app):
    from example_app.models import db

    with app.app_context():
        engine = db.engine
    recorder = Statements()
    sa.event.listen(engine, "before_cursor_execute", recorder)
    yield recorder
    sa.event.remove(engine, "before_cursor_execute", recorder)


def _count(client, statements: Statements, url: str, headers: dict) -> int:
    statements.seen.clear()
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements.seen)


def test_queries_per_page_are_constant(client, rita, statements):
    model_ids = []
    for i in range(7):
        model = client.post(f"{P}/models", json={"name": f"m{i}"}, headers=rita.headers).get_json()
        model_ids.append(model["id"])
    for i in range(7):
        client.post(f"{P}/models/{model_ids[0]}/versions", json={"metrics": [{"key": "acc", "value": i}]},
                    headers=rita.headers)
    client.get(f"{P}/models", headers=rita.headers)  # the token's first use is written once
    model_pages = {_count(client, statements, f"{P}/models?page={page}&per_page={per_page}&sort={sort}", rita.headers)
                   for page, per_page in ((1, 1), (1, 100), (3, 2), (7, 1), (4, 2))
                   for sort in ("name", "created_at", "updated_at")}
    assert len(model_pages) == 1, model_pages
    version_pages = {_count(client, statements, f"{P}/models/{model_ids[0]}/versions?page={page}&per_page={per_page}"
                            f"&sort={sort}", rita.headers)
                     for page, per_page in ((1, 1), (1, 100), (3, 2), (7, 1))
                     for sort in ("version", "number", "created_at")}
    assert len(version_pages) == 1, version_pages
    # the page of models lists what the versions made of it
    first = client.get(f"{P}/models?sort=name&order=asc&per_page=1", headers=rita.headers).get_json()["items"][0]
    assert (first["version_count"], first["latest_version"]) == (7, "7.0.0")


def _plans(app, statements: list[tuple[str, t.Any]]) -> list[dict]:
    from example_app.models import db

    plans = []
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                if not statement.lstrip().upper().startswith("SELECT") or "FOR UPDATE" in statement:
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plans.append({"sql": statement, "plan": cursor.fetchone()[0][0]["Plan"]})
        finally:
            raw.close()
    return plans


def _nodes(plan: dict) -> t.Iterator[dict]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_last_pages_use_indexes_on_postgresql(app, client, rita, statements, backend):
    """3,000 models (one of them with 3,000 versions) among 9,000 of other projects and 12,000
    versions of other models, ANALYZE'd."""
    if backend != "postgresql":
        pytest.skip("PostgreSQL's planner with real statistics")
    from example_app.models import db

    model = client.post(f"{P}/models", json={"name": "big"}, headers=rita.headers).get_json()
    client.post(f"{P}/models/{model['id']}/versions", json={}, headers=rita.headers)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("""
                INSERT INTO mr_models (project, name, description, metric_goals, created_at, updated_at,
                                       last_version_number, version_count)
                SELECT CASE WHEN g % 4 = 0 THEN 'proj' ELSE 'other' || (g % 7) END, 'model-' || g, '', '{}',
                       now() - g * interval '1 minute', now() - g * interval '1 minute', 0, 0
                FROM generate_series(1, 12000) AS g"""))
            run_id = conn.execute(sa.text("SELECT run_id FROM mr_model_versions LIMIT 1")).scalar()
            experiment = conn.execute(sa.text("SELECT experiment_id FROM mr_runs WHERE id = :r"), {"r": run_id}).scalar()
            conn.execute(sa.text("""
                INSERT INTO mr_runs (id, project, experiment_id, name, status, start_time, lifecycle_stage, created_at)
                SELECT md5(g::text), 'proj', :e, 'r' || g, 'FINISHED', 0, 'active', now() FROM generate_series(2, 3000) AS g"""),
                {"e": experiment})
            conn.execute(sa.text("""
                INSERT INTO mr_model_versions (model_id, number, version, semver_major, semver_minor, semver_patch,
                                               semver_key, description, run_id, source, stage, created_at, updated_at)
                SELECT :m, g, g || '.0.0', g, 0, 0, '~', '', md5(g::text), '', 'None', now(), now()
                FROM generate_series(2, 3000) AS g"""), {"m": model["id"]})
            # and 12,000 versions of 3,000 other models, so the big model is a quarter of the table
            conn.execute(sa.text("""
                INSERT INTO mr_runs (id, project, experiment_id, name, status, start_time, lifecycle_stage, created_at)
                SELECT md5('o' || g), 'proj', :e, 'o' || g, 'FINISHED', 0, 'active', now()
                FROM generate_series(1, 12000) AS g"""), {"e": experiment})
            conn.execute(sa.text("""
                INSERT INTO mr_model_versions (model_id, number, version, semver_major, semver_minor, semver_patch,
                                               semver_key, description, run_id, source, stage, created_at, updated_at)
                SELECT m.id, g, g || '.0.0', g, 0, 0, '~', '', md5('o' || ((g - 1) * 3000 + m.n + 1)), '', 'None', now(), now()
                FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM mr_models WHERE id <> :m
                      ORDER BY id LIMIT 3000) AS m, generate_series(1, 4) AS g"""), {"m": model["id"]})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    total = client.get(f"{P}/models?per_page=100", headers=rita.headers).get_json()["total"]
    assert total == 3001
    urls = [f"{P}/models?page={-(-total // 100)}&per_page=100&sort={sort}" for sort in ("name", "created_at", "updated_at")]
    urls += [f"{P}/models/{model['id']}/versions?page=30&per_page=100&sort={sort}"
             for sort in ("version", "number", "created_at")]
    for url in urls:
        statements.seen.clear()
        assert client.get(url, headers=rita.headers).status_code == 200
        plans = _plans(app, statements.registry())
        assert plans, url
        for entry in plans:
            scans = [(n["Node Type"], n.get("Relation Name")) for n in _nodes(entry["plan"])]
            assert not [s for s in scans if s[0] == "Seq Scan" and s[1] in ("mr_models", "mr_model_versions")], (
                url, entry["sql"], json.dumps(entry["plan"])[:3000])
            assert not any(n.get("Subplan Name") for n in _nodes(entry["plan"])), (url, entry["sql"])
