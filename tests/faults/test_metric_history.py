"""Metric history in bounded pieces: the JSON API pages it (``key``, ``page``, ``per_page``), and the
version page draws a summary whose queries and rows do not grow with the number of values logged
(a version with 50,000 values inserted in bulk runs the same queries as one with 10, and they
return a bounded number of rows)."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from ..metric_history import bulk_history
from ..support import login

P = "/api/v1/projects/proj"
BULK = 50_000


@pytest.fixture
def two_versions(client, rita):
    model = client.post(f"{P}/models", json={"name": "long-run"}, headers=rita.headers).json
    small = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    large = client.post(f"{P}/models/{model['id']}/versions", json={"version": "2.0.0"}, headers=rita.headers).json
    return model["id"], small, large


class QueryLog:
    """The SELECTs an engine runs, replayed afterwards to count the rows each one returned."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.selects: list[tuple[str, object]] = []

    def __enter__(self) -> QueryLog:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.selects.append((statement, parameters))

    def rows(self) -> int:
        total = 0
        with self.engine.connect() as conn:
            for statement, parameters in self.selects:
                total += len(conn.exec_driver_sql(statement, parameters).fetchall())
        return total


def test_the_json_api_pages_the_history(client, rita, two_versions):
    m, small, _large = two_versions
    url = f"{P}/models/{m}/versions/{small['id']}/metrics"
    values = [{"key": "loss", "value": step / 10, "step": step} for step in range(250)]
    values += [{"key": "acc", "value": 0.5, "step": step} for step in range(10)]
    assert client.post(url, json=values, headers=rita.headers).status_code == 201
    page = client.get(url, query_string={"key": "loss", "page": 3, "per_page": 100}, headers=rita.headers).json
    assert (page["page"], page["per_page"], page["total"]) == (3, 100, 250)
    assert [v["step"] for v in page["items"]] == list(range(200, 250))
    everything = client.get(url, query_string={"per_page": 5000}, headers=rita.headers).json
    assert everything["per_page"] == 1000 and everything["total"] == 260 and len(everything["items"]) == 260
    assert [v["key"] for v in everything["items"][:10]] == ["acc"] * 10
    first = client.get(url, headers=rita.headers).json
    assert first["per_page"] == 100 and len(first["items"]) == 100
    for bad in ({"page": 0}, {"per_page": 0}, {"page": "x"}, {"key": ""}):
        r = client.get(url, query_string=bad, headers=rita.headers)
        assert r.status_code == 422 and r.json["error"]["code"] == "invalid", bad
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/projects/{project}/models/{model_id}/versions/{version_id}/metrics"]["get"]
    assert {"key", "page", "per_page"} <= {p["name"] for p in op["parameters"]}


def test_the_version_page_reads_a_bounded_summary(app, client, rita, two_versions):
    from example_app.models import db

    m, small, large = two_versions
    client.post(f"{P}/models/{m}/versions/{small['id']}/metrics",
                json=[{"key": "loss", "value": 1 / (s + 1), "step": s} for s in range(10)], headers=rita.headers)
    bulk_history(app, large["run_id"], BULK, key="loss")
    login(client, "rita")

    def render(version_id: int) -> tuple[str, int, int]:
        url = f"/projects/proj/models/{m}/versions/{version_id}?tab=performance"
        with app.app_context():
            engine = db.engine
        with QueryLog(engine) as log:
            page = client.get(url)
        assert page.status_code == 200
        return page.data.decode(), len(log.selects), log.rows()

    small_page, small_queries, small_rows = render(small["id"])
    large_page, large_queries, large_rows = render(large["id"])
    assert large_queries == small_queries, (small_queries, large_queries)
    # the table's 100 steps, 2 points per chart bucket (at most 400), one row per statistic...
    assert large_rows < 1000, large_rows
    assert f"{BULK:,}".replace(",", "") in large_page.replace(",", "")  # the count of values is shown
    assert f"Showing the last 100 of {BULK} steps" in large_page
    points = large_page.count('<g class="mr-chart-point">')
    assert 0 < points <= 400
    assert "loss at step 0: 1" in large_page and f"loss at step {BULK - 1}:" in large_page
    assert re.search(r"min [0-9.e-]+, max 1\b", large_page)
    # and the JSON API answers the large history a page at a time
    api = client.get(f"{P}/models/{m}/versions/{large['id']}/metrics", query_string={"page": BULK // 100, "per_page": 100},
                     headers=rita.headers).json
    assert api["total"] == BULK and [v["step"] for v in api["items"]] == list(range(BULK - 100, BULK))


def test_the_version_page_summarises_the_first_fifty_metrics(client, rita, two_versions):
    m, small, _large = two_versions
    values = [{"key": f"metric-{i:02d}", "value": i, "step": step} for i in range(55) for step in range(2)]
    assert client.post(f"{P}/models/{m}/versions/{small['id']}/metrics", json=values,
                       headers=rita.headers).status_code == 201
    login(client, "rita")
    page = client.get(f"/projects/proj/models/{m}/versions/{small['id']}?tab=performance").data.decode()
    assert "Showing 50 of 55 metrics" in page
    assert "metric-49" in page and "metric-50" not in page
