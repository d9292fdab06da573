"""The MLflow API's search pages cost the same number of queries for 10 items as for 100: the
services build MLflow's read models a page at a time, and the door runs no query of its own."""
from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa

ML = "/api/v1/projects/proj/ml/mlflow/api/2.0/mlflow"


@pytest.fixture
def statements(app) -> t.Iterator[list[str]]:
    from example_app.models import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def _call(client, method: str, path: str, headers: dict, **kwargs: t.Any) -> dict:
    response = client.open(ML + path, method=method, headers=headers, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _fill(client, headers: dict, count: int) -> None:
    """``count`` models, each with a tag, a version (with a tag and a parent), an alias, and a logged model."""
    for i in range(count):
        name = f"m{i:03d}"
        _call(client, "POST", "/registered-models/create", headers,
              json={"name": name, "tags": [{"key": "team", "value": str(i % 3)}]})
        logged = _call(client, "POST", "/logged-models", headers,
                       json={"experiment_id": "0", "name": f"lm{i}", "tags": [{"key": "k", "value": "v"}],
                             "params": [{"key": "p", "value": "1"}]})["model"]["info"]
        for n in (1, 2):
            tags = [{"key": "step", "value": str(n)}]
            if n == 2:
                tags.append({"key": "model_registry.parent", "value": f"{name}/1"})
            _call(client, "POST", "/model-versions/create", headers,
                  json={"name": name, "source": f"models:/{logged['model_id']}", "model_id": logged["model_id"],
                        "tags": tags})
        _call(client, "POST", "/registered-models/alias", headers,
              json={"name": name, "alias": "champion", "version": "1"})
        _call(client, "POST", "/model-versions/transition-stage", headers,
              json={"name": name, "version": "2", "stage": "Production"})


def _queries(client, statements: list[str], method: str, path: str, headers: dict, **kwargs: t.Any):
    statements.clear()
    body = _call(client, method, path, headers, **kwargs)
    return len(statements), body


def test_search_pages_take_the_same_queries_for_10_and_100_items(client, rita, statements):
    _fill(client, rita.headers, 100)
    counts: dict[str, list[int]] = {}
    for size in (10, 100):
        n, body = _queries(client, statements, "GET", f"/registered-models/search?max_results={size}", rita.headers)
        models = body["registered_models"]
        assert len(models) == size
        assert {len(m["latest_versions"]) for m in models} == {2}
        assert all(m["aliases"] == [{"alias": "champion", "version": "1"}] for m in models)
        counts.setdefault("registered models", []).append(n)

        n, body = _queries(client, statements, "GET", f"/model-versions/search?max_results={size * 2}", rita.headers)
        found = body["model_versions"]
        assert len(found) == size * 2
        assert all(v.get("model_id") for v in found)
        assert sum(1 for v in found if v.get("aliases") == ["champion"]) == size
        counts.setdefault("model versions", []).append(n)

        n, body = _queries(client, statements, "POST", "/logged-models/search", rita.headers,
                           json={"experiment_ids": ["0"], "max_results": size})
        logged = body["models"]
        assert len(logged) == size
        assert {len(m["info"]["registrations"]) for m in logged} == {2}
        counts.setdefault("logged models", []).append(n)
    for what, (small, large) in counts.items():
        assert small == large, (what, counts)


def test_a_version_as_mlflow_sees_it_is_read_in_a_few_queries(client, rita, statements):
    _fill(client, rita.headers, 1)
    n, body = _queries(client, statements, "GET", "/model-versions/get?name=m000&version=2", rita.headers)
    version = body["model_version"]
    assert version["current_stage"] == "Production"
    assert {"key": "model_registry.parent", "value": "m000/1"} in version["tags"]
    assert n <= 10, statements
