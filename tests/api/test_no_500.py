"""No input a client can send gets a 500: random JSON bodies, query strings and paths."""
from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

P = "/api/v1/projects/proj"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["name", "description", "tags", "version", "metadata", "params", "metrics",
                               "parent_version_id", "datasets", "stage", "metric_goals", "paths", "key", "value",
                               "step", "timestamp", "visibility", "enabled"])
bodies = st.one_of(json_values, st.dictionaries(field_names, json_values, max_size=6))
queries = st.dictionaries(st.sampled_from(["search", "sort", "order", "page", "per_page", "versions"]),
                          st.text(max_size=12), max_size=4)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _ids(client, headers):
    model = client.post(f"{P}/models", json={"name": f"fz-{uuid.uuid4().hex[:8]}"}, headers=headers).json
    version = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=headers).json
    return model["id"], version["id"]


@SETTINGS
@given(body=bodies, target=st.sampled_from(["models", "versions", "model", "version", "metrics", "params",
                                            "metadata", "delete", "settings"]))
def test_random_json_bodies(client, people, body, target):
    headers = people["max"].headers
    m, v = _ids(client, headers)
    url, method = {
        "models": (f"{P}/models", "POST"), "versions": (f"{P}/models/{m}/versions", "POST"),
        "model": (f"{P}/models/{m}", "PATCH"), "version": (f"{P}/models/{m}/versions/{v}", "PATCH"),
        "metrics": (f"{P}/models/{m}/versions/{v}/metrics", "POST"),
        "params": (f"{P}/models/{m}/versions/{v}/params", "PUT"),
        "metadata": (f"{P}/models/{m}/versions/{v}/metadata", "PUT"),
        "delete": (f"{P}/models/{m}/versions/{v}/artifacts/delete", "POST"),
        "settings": (f"{P}/model-registry/settings", "PUT"),
    }[target]
    r = client.open(url, method=method, json=body, headers=headers)
    if target == "settings":  # a body that turned the registry off would turn it off for the next examples
        assert client.put(url, json={"enabled": True}, headers=headers).status_code == 200
    assert r.status_code < 500, (url, body, r.data[:300])
    assert r.is_json


@SETTINGS
@given(query=queries, path=st.text(min_size=1, max_size=40))
def test_random_queries_and_paths(client, people, query, path):
    headers = people["rita"].headers
    m, v = _ids(client, headers)
    for url in (f"{P}/models", f"{P}/models/{m}/versions"):
        r = client.get(url, query_string=query, headers=headers)
        assert r.status_code in (200, 422), (url, query, r.status_code)
    for method in ("GET", "PUT", "DELETE"):
        r = client.open(f"{P}/models/{m}/versions/{v}/artifacts/{path}", method=method, data=b"x", headers=headers)
        assert r.status_code < 500, (method, path, r.status_code)
