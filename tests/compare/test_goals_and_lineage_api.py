"""Setting a metric's goal, and recording a version's datasets and parent through the JSON API."""
from __future__ import annotations

from .conftest import P, create_version


def test_metric_goal_decides_which_value_is_best(client, people, three_versions):
    t = three_versions
    rita = people["rita"]
    compare = f"{t.base}/compare?versions={t.v1},{t.v2},{t.v3}"

    def best(key: str) -> list[int]:
        return next(r for r in client.get(compare, headers=rita.headers).json["metrics"] if r["key"] == key)["best_version_ids"]

    assert best("f1") == []
    r = client.put(f"{t.base}/metric-goals/f1", json={"goal": "max"}, headers=rita.headers)
    assert r.status_code == 200, r.json
    assert r.json["metric_goals"] == {"accuracy": "max", "loss": "min", "f1": "max"}
    assert best("f1") == [t.v2]  # 2.0.0's NaN never wins
    client.put(f"{t.base}/metric-goals/accuracy", json={"goal": "min"}, headers=rita.headers)
    assert best("accuracy") == [t.v1]
    assert client.delete(f"{t.base}/metric-goals/accuracy", headers=rita.headers).status_code == 204
    assert best("accuracy") == []
    assert client.get(t.base, headers=rita.headers).json["metric_goals"] == {"loss": "min", "f1": "max"}

    # metric keys with slashes, as MLflow users write them
    r = client.put(f"{t.base}/metric-goals/val/loss", json={"goal": "min"}, headers=rita.headers)
    assert r.status_code == 200 and r.json["metric_goals"]["val/loss"] == "min"

    r = client.put(f"{t.base}/metric-goals/f1", json={"goal": "higher"}, headers=rita.headers)
    assert r.status_code == 422 and "goal" in r.json["error"]["fields"]
    r = client.put(f"{t.base}/metric-goals/f1", data="max", headers=rita.headers)
    assert r.status_code == 400
    assert client.put(f"{t.base}/metric-goals/f1", json={"goal": "min"}, headers=people["gus"].headers).status_code == 403
    assert client.put(f"{t.base}/metric-goals/f1", json={"goal": "min"}, headers=rita.read_headers).status_code == 403
    assert client.put(f"{t.base}/metric-goals/f1", json={"goal": "min"}).status_code == 401
    assert client.get(t.base, headers=rita.headers).json["metric_goals"]["f1"] == "max"


def test_datasets_and_parent_set_through_the_api_show_in_the_comparison(client, people):
    rita = people["rita"]
    model = client.post(f"{P}/models", json={"name": "scorer"}, headers=rita.headers).json
    base = f"{P}/models/{model['id']}"
    v1 = create_version(client, rita.headers, model["id"], "1.0.0")
    v2 = create_version(client, rita.headers, model["id"], "1.0.1")
    datasets = [{"name": "clicks", "role": "training", "uri": "gs://d/clicks-2026-01", "digest": "sha256:aa"},
                {"name": "clicks-holdout", "role": "test", "uri": "gs://d/holdout", "digest": "sha256:bb"}]
    r = client.put(f"{base}/versions/{v1['id']}/datasets", json=datasets, headers=rita.headers)
    assert r.status_code == 200, r.json
    assert r.json["total"] == 2 and {d["name"] for d in r.json["items"]} == {"clicks", "clicks-holdout"}
    datasets[0] = {**datasets[0], "uri": "gs://d/clicks-2026-02", "digest": "sha256:cc"}
    client.put(f"{base}/versions/{v2['id']}/datasets", json=datasets, headers=rita.headers)
    r = client.patch(f"{base}/versions/{v2['id']}", json={"parent_version_id": v1["id"]}, headers=rita.headers)
    assert r.status_code == 200 and r.json["parent_version_id"] == v1["id"]

    listed = client.get(f"{base}/versions/{v2['id']}/datasets", headers=people["gus"].headers).json
    assert [(d["role"], d["digest"]) for d in listed["items"]] == [("test", "sha256:bb"), ("training", "sha256:cc")]

    c = client.get(f"{base}/compare?versions={v1['id']},{v2['id']}", headers=rita.headers).json
    assert c["versions"][1]["parent"]["version"] == "1.0.0"
    change = c["lineage_changes"][0]["changes"]
    assert [(ch["name"], ch["kind"], ch["before"][0]["digest"], ch["after"][0]["digest"]) for ch in change] == [
        ("clicks", "changed", "sha256:aa", "sha256:cc")]

    # replacing with an empty list clears them
    r = client.put(f"{base}/versions/{v1['id']}/datasets", json=[], headers=rita.headers)
    assert r.status_code == 200 and r.json["items"] == []


def test_dataset_input_is_checked(client, people):
    rita = people["rita"]
    model = client.post(f"{P}/models", json={"name": "scorer"}, headers=rita.headers).json
    v = create_version(client, rita.headers, model["id"], "1.0.0")
    url = f"{P}/models/{model['id']}/versions/{v['id']}/datasets"
    r = client.put(url, json=[{"name": "x", "role": "training-ish"}], headers=rita.headers)
    assert r.status_code == 422 and "datasets[0].role" in r.json["error"]["fields"]
    r = client.put(url, json=[{"role": "test"}], headers=rita.headers)
    assert r.status_code == 422 and "datasets[0].name" in r.json["error"]["fields"]
    r = client.put(url, json=[{"name": "x", "digest": 5}], headers=rita.headers)
    assert r.status_code == 422
    assert client.put(url, json={"name": "x"}, headers=rita.headers).status_code == 400
    assert client.put(url, data=b"\xff\xfe", headers=rita.headers).status_code == 400
    assert client.put(url, json=[{"name": "x"}], headers=people["gus"].headers).status_code == 403
    assert client.put(url, json=[{"name": "x"}], headers=rita.read_headers).status_code == 403
    assert client.get(url, headers=people["otto"].headers).status_code == 404
    assert client.get(url, headers=rita.headers).json["items"] == []


def test_openapi_documents_the_comparison_routes(client):
    spec = client.get("/api/v1/openapi.json").json
    m = "/projects/{project}/models/{model_id}"
    assert "get" in spec["paths"][m + "/compare"]
    assert {p["name"] for p in spec["paths"][m + "/compare"]["get"]["parameters"]} >= {"versions"}
    assert "get" in spec["paths"][m + "/evolution"]
    assert {"put", "delete"} <= set(spec["paths"][m + "/metric-goals/{metric}"])
    assert {"get", "put"} <= set(spec["paths"][m + "/versions/{version_id}/datasets"])
    assert {"metrics", "params", "datasets", "lineage_changes"} <= set(spec["components"]["schemas"]["Comparison"]["properties"])
    from openapi_spec_validator import validate
    validate(spec)
