"""Versions through the JSON API: semantic versions, metrics, parameters, metadata."""
from __future__ import annotations

import pytest

P = "/api/v1/projects/proj"


@pytest.fixture
def model(client, rita):
    return client.post(f"{P}/models", json={"name": "clf"}, headers=rita.headers).json


def _version(client, rita, model, **body):
    return client.post(f"{P}/models/{model['id']}/versions", json=body, headers=rita.headers)


def test_create_version_with_everything_at_once(client, rita, model):
    r = _version(client, rita, model, version="2.0.1-rc2", description="RC",
                 metadata={"framework": "torch"}, params={"lr": 0.01, "layers": "4"},
                 metrics=[{"key": "acc", "value": 0.8, "step": 0}, {"key": "acc", "value": 0.9, "step": 1},
                          {"key": "loss", "value": "0.3"}],
                 datasets=[{"name": "train", "uri": "gs://d/train", "digest": "abc", "role": "training"}])
    assert r.status_code == 201, r.json
    v = r.json
    assert v["version"] == "2.0.1-rc2" and v["number"] == 1 and v["model_id"] == model["id"]
    assert v["metadata"] == {"framework": "torch"} and v["params"] == {"layers": "4", "lr": "0.01"}
    assert {m["key"]: m["value"] for m in v["metrics"]} == {"acc": 0.9, "loss": 0.3}
    assert v["artifact_count"] == 0 and v["package_name"] == "clf/2.0.1-rc2"
    assert v["datasets"][0]["name"] == "train" and v["datasets"][0]["role"] == "training"
    assert v["created_by"] == "rita" and v["ci_job"] is None
    m = client.get(f"{P}/models/{model['id']}", headers=rita.headers).json
    assert m["latest_version"] == "2.0.1-rc2" and m["version_count"] == 1


def test_version_validation_and_duplicates(client, rita, model):
    for bad in ["1.0", "v1.0.0", "1.0.0-", "01.0.0", "latest", "1.0.0 "]:
        r = _version(client, rita, model, version=bad)
        assert r.status_code == 422, bad
        assert "version" in r.json["error"]["fields"]
    assert _version(client, rita, model, version="1.0.0").status_code == 201
    r = _version(client, rita, model, version="1.0.0")
    assert r.status_code == 409 and r.json["error"]["code"] == "already_exists"
    r = _version(client, rita, model, version="1.0.0", metrics=[{"key": "", "value": 1}])
    assert r.status_code == 422
    for metrics in [[{"key": "a", "value": "high"}], [{"key": "a", "value": 1, "step": "x"}], ["acc"], {"a": 1}]:
        r = _version(client, rita, model, version="9.9.9", metrics=metrics)
        assert r.status_code == 422, metrics
    assert client.get(f"{P}/models/{model['id']}", headers=rita.headers).json["version_count"] == 1


def test_without_a_version_the_next_major_is_taken(client, rita, model):
    assert _version(client, rita, model).json["version"] == "1.0.0"
    assert _version(client, rita, model, version="1.4.2").status_code == 201
    assert _version(client, rita, model).json["version"] == "2.0.0"
    numbers = [v["number"] for v in client.get(f"{P}/models/{model['id']}/versions?sort=number&order=asc",
                                              headers=rita.headers).json["items"]]
    assert numbers == [1, 2, 3]


def test_list_is_semver_ordered_and_searchable(client, rita, model):
    for text in ["1.9.0", "1.10.0", "1.10.0-rc.1", "0.1.0", "2.0.0-alpha"]:
        assert _version(client, rita, model, version=text).status_code == 201
    items = client.get(f"{P}/models/{model['id']}/versions", headers=rita.headers).json["items"]
    assert [v["version"] for v in items] == ["2.0.0-alpha", "1.10.0", "1.10.0-rc.1", "1.9.0", "0.1.0"]
    found = client.get(f"{P}/models/{model['id']}/versions?search=1.10", headers=rita.headers).json
    assert found["total"] == 2
    by_date = client.get(f"{P}/models/{model['id']}/versions?sort=created_at&order=asc&per_page=2",
                         headers=rita.headers).json
    assert [v["version"] for v in by_date["items"]] == ["1.9.0", "1.10.0"] and by_date["total"] == 5
    assert client.get(f"{P}/models/{model['id']}", headers=rita.headers).json["latest_version"] == "1.10.0"


def test_metrics_params_metadata_and_update(client, rita, model):
    v = _version(client, rita, model, version="1.0.0", params={"lr": "0.1"}).json
    base = f"{P}/models/{model['id']}/versions/{v['id']}"
    r = client.post(f"{base}/metrics", json=[{"key": "acc", "value": 0.5, "step": 3, "timestamp": 1700000000000},
                                              {"key": "acc", "value": 0.7, "step": 4}], headers=rita.headers)
    assert r.status_code == 201 and r.json["metrics"][0]["value"] == 0.7
    history = client.get(f"{base}/metrics", headers=rita.headers).json["items"]
    assert [(m["step"], m["value"]) for m in history] == [(3, 0.5), (4, 0.7)]
    r = client.put(f"{base}/params", json={"epochs": "3"}, headers=rita.headers)
    assert r.json["params"] == {"epochs": "3"}
    r = client.put(f"{base}/metadata", json={"owner": "team-a", "n": 5}, headers=rita.headers)
    assert r.json["metadata"] == {"n": "5", "owner": "team-a"}
    for bad in [["x"], {"k": {"nested": 1}}, {"": "v"}, {"k": None}]:
        assert client.put(f"{base}/metadata", json=bad, headers=rita.headers).status_code in (400, 422)
    r = client.patch(base, json={"description": "**bold**", "stage": "Production"}, headers=rita.headers)
    assert r.status_code == 200 and r.json["description"] == "**bold**" and r.json["stage"] == "Production"
    assert client.patch(base, json={"stage": "Shipped"}, headers=rita.headers).status_code == 422
    assert client.patch(base, json={"parent_version_id": v["id"]}, headers=rita.headers).status_code == 422


def test_parent_version_and_delete(client, rita, model):
    a = _version(client, rita, model, version="1.0.0").json
    b = _version(client, rita, model, version="1.1.0", parent_version_id=a["id"]).json
    assert b["parent_version_id"] == a["id"]
    assert _version(client, rita, model, version="1.2.0", parent_version_id=999999).status_code == 422
    assert client.delete(f"{P}/models/{model['id']}/versions/{a['id']}", headers=rita.headers).status_code == 204
    b = client.get(f"{P}/models/{model['id']}/versions/{b['id']}", headers=rita.headers).json
    assert b["parent_version_id"] is None
    assert client.get(f"{P}/models/{model['id']}/versions/{a['id']}", headers=rita.headers).status_code == 404
    other = client.post(f"{P}/models", json={"name": "other"}, headers=rita.headers).json
    # a version is only reachable under its own model
    assert client.get(f"{P}/models/{other['id']}/versions/{b['id']}", headers=rita.headers).status_code == 404


def test_nan_metrics_are_valid_json(client, rita, model):
    import json

    v = _version(client, rita, model, version="1.0.0", metrics=[{"key": "loss", "value": "NaN"},
                                                               {"key": "acc", "value": 0.5}]).json
    base = f"{P}/models/{model['id']}/versions/{v['id']}"
    for url in (base, f"{base}/metrics"):
        raw = client.get(url, headers=rita.headers).data.decode()
        assert "NaN" not in raw
        data = json.loads(raw)
    metrics = {m["key"]: m for m in json.loads(client.get(base, headers=rita.headers).data)["metrics"]}
    assert metrics["loss"]["value"] is None and metrics["loss"]["is_nan"] is True
    assert metrics["acc"] == {**metrics["acc"], "value": 0.5, "is_nan": False}
    assert data["items"]


def test_a_bad_dataset_creates_nothing(client, rita, model):
    r = _version(client, rita, model, version="1.0.0", datasets=[{"name": "ok", "role": "training"},
                                                                 {"name": "bad", "role": "guesswork"}])
    assert r.status_code == 422 and "datasets[1].role" in r.json["error"]["fields"]
    assert client.get(f"{P}/models/{model['id']}", headers=rita.headers).json["version_count"] == 0
    r = _version(client, rita, model, version="1.0.0", datasets=[{"name": "ok", "role": "validation"}])
    assert r.status_code == 201 and r.json["datasets"][0]["role"] == "validation"
