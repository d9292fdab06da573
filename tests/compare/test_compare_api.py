"""Comparing versions through the JSON API: metrics side by side with the best marked, parameters
and metadata with their differences flagged, and where the versions' data differ."""
from __future__ import annotations

import pytest

from .conftest import P, create_version


def _row(rows: list[dict], key: str) -> dict:
    return next(r for r in rows if r["key"] == key)


def test_three_versions_side_by_side(client, rita, three_versions):
    t = three_versions
    r = client.get(f"{t.base}/compare?versions={t.v3},{t.v1},{t.v2}", headers=rita.headers)
    assert r.status_code == 200, r.json
    c = r.json
    # columns in semantic version order, whatever order they were asked in
    assert [v["version"] for v in c["versions"]] == ["1.0.0", "1.1.0", "2.0.0"]
    assert [v["id"] for v in c["versions"]] == [t.v1, t.v2, t.v3]
    assert c["versions"][0]["package_name"] == "churn/1.0.0"

    accuracy = _row(c["metrics"], "accuracy")
    assert [cell["value"] for cell in accuracy["cells"]] == [0.85, 0.91, 0.91]  # last value, not the first
    assert accuracy["goal"] == "max" and accuracy["differs"] is True
    assert accuracy["best_version_ids"] == [t.v2, t.v3]  # a tie marks both
    assert [cell["is_best"] for cell in accuracy["cells"]] == [False, True, True]
    assert accuracy["cells"][0]["delta"] == 0 and accuracy["cells"][1]["delta"] == pytest.approx(0.06)

    loss = _row(c["metrics"], "loss")
    assert loss["cells"][1] is None  # 1.1.0 logged no loss: explicit
    assert [cell and cell["value"] for cell in loss["cells"]] == [0.40, None, 0.30]
    assert loss["goal"] == "min" and loss["best_version_ids"] == [t.v3]

    f1 = _row(c["metrics"], "f1")
    assert f1["cells"][0] is None and f1["cells"][1]["value"] == 0.70
    assert f1["cells"][2]["value"] is None and f1["cells"][2]["is_nan"] is True
    assert f1["goal"] is None and f1["best_version_ids"] == []  # no goal: nobody is "best"

    params = {row["key"]: row for row in c["params"]}
    assert params["max_depth"]["values"] == ["6", "6", "8"] and params["max_depth"]["differs"] is True
    assert params["epochs"]["values"] == [None, None, "3"] and params["epochs"]["differs"] is True
    assert params["seed"]["values"] == ["42", "42", "42"] and params["seed"]["differs"] is False
    metadata = {row["key"]: row for row in c["metadata"]}
    assert metadata["framework"]["differs"] is False and metadata["gpu"]["values"] == [None, None, "a100"]


def test_lineage_shows_where_the_data_differ(client, rita, three_versions):
    t = three_versions
    c = client.get(f"{t.base}/compare?versions={t.v1},{t.v2},{t.v3}", headers=rita.headers).json
    assert c["versions"][2]["parent"] == {"id": t.v2, "version": "1.1.0", "model_id": t.model_id, "model_name": "churn"}
    assert c["versions"][0]["parent"] is None
    assert {(d["role"], d["name"], d["digest"]) for d in c["versions"][0]["datasets"]} == {
        ("training", "tx-train", "sha256:d1"), ("test", "tx-test", "sha256:t1")}

    rows = {(row["role"], row["name"]): row for row in c["datasets"]}
    assert list(rows) == [("training", "tx-train"), ("validation", "tx-val"), ("test", "tx-test")]
    assert rows[("training", "tx-train")]["status"] == "changed"
    assert [[d["digest"] for d in cell] for cell in rows[("training", "tx-train")]["cells"]] == [
        ["sha256:d1"], ["sha256:d2"], ["sha256:d2"]]
    assert rows[("validation", "tx-val")]["status"] == "missing"
    assert rows[("validation", "tx-val")]["cells"][:2] == [[], []]
    assert rows[("test", "tx-test")]["status"] == "same" and rows[("test", "tx-test")]["differs"] is False

    first, second = c["lineage_changes"]
    assert (first["from_version_id"], first["to_version_id"]) == (t.v1, t.v2)
    assert [(ch["name"], ch["kind"]) for ch in first["changes"]] == [("tx-train", "changed")]
    assert first["changes"][0]["before"][0]["uri"] == "gs://data/train-q1.parquet"
    assert first["changes"][0]["after"][0]["uri"] == "gs://data/train-q2.parquet"
    assert [(ch["name"], ch["kind"]) for ch in second["changes"]] == [("tx-val", "added")]


def test_versions_may_be_named_by_semantic_version(client, rita, three_versions):
    t = three_versions
    r = client.get(f"{t.base}/compare?versions=2.0.0,1.0.0", headers=rita.headers)
    assert r.status_code == 200, r.json
    assert [v["id"] for v in r.json["versions"]] == [t.v1, t.v3]


BAD_LISTS = [
    ("", "parameters are invalid"),
    ("versions=", "at least two"),
    ("versions={v1}", "at least two"),
    ("versions={v1},{v1}", "at least two"),
    ("versions={v1},abc", "not a version id"),
    ("versions={v1},999999", "no version 999999"),
    ("versions={v1},99999999999999999999", "not a version id"),
    ("versions=" + ",".join(str(n) for n in range(1, 12)), "at most 10"),
]


def test_bad_version_lists_get_422(client, rita, three_versions):
    t = three_versions
    for query, message in BAD_LISTS:
        r = client.get(f"{t.base}/compare?{query.format(v1=t.v1)}", headers=rita.headers)
        assert r.status_code == 422, (query, r.json)
        assert r.json["error"]["code"] == "invalid" and "versions" in r.json["error"]["fields"], query
        assert message in r.json["error"]["message"], (query, r.json)


def test_a_version_of_another_model_is_refused(client, rita, three_versions):
    t = three_versions
    other = client.post(f"{P}/models", json={"name": "other"}, headers=rita.headers).json
    stranger = create_version(client, rita.headers, other["id"], "1.0.0")
    r = client.get(f"{t.base}/compare?versions={t.v1},{stranger['id']}", headers=rita.headers)
    assert r.status_code == 422 and f"no version {stranger['id']}" in r.json["error"]["message"]


def test_compare_follows_read_access(client, people, three_versions):
    t = three_versions
    url = f"{t.base}/compare?versions={t.v1},{t.v2}"
    assert client.get(url, headers=people["gus"].headers).status_code == 200
    assert client.get(url, headers=people["rita"].read_headers).status_code == 200
    assert client.get(url, headers=people["otto"].headers).status_code == 404
    r = client.get(url)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthenticated"


def test_a_comparison_costs_the_same_queries_for_two_or_ten_versions(app, client, rita, three_versions):
    import sqlalchemy as sa

    from example_app.models import db

    t = three_versions
    more = [create_version(client, rita.headers, t.model_id, f"3.{n}.0",
                           metrics=[{"key": "accuracy", "value": 0.5 + n / 100}, {"key": f"m{n}", "value": n}],
                           params={"p": str(n)}, datasets=[{"name": f"d{n}", "role": "test"}])["id"]
            for n in range(7)]
    counts = []
    for ids in ([t.v2, t.v3], [t.v1, t.v2, t.v3, *more]):
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            r = client.get(f"{t.base}/compare?versions={','.join(map(str, ids))}", headers=rita.headers)
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        assert r.status_code == 200 and len(r.json["versions"]) == len(ids)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
