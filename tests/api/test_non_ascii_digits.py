"""Digits that Python's ``str.isdigit`` accepts but ``int`` refuses ("²", "①") name no id, no
version number and no experiment: every front door answers them as a client error, never a 500."""
from __future__ import annotations

import pytest

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"
ODD_DIGITS = ["\u00b2", "\u2460", "1\u00b2"]


@pytest.fixture
def version(client, rita) -> dict:
    model = client.post(f"{P}/models", json={"name": "digits"}, headers=rita.headers).json
    first = client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json
    client.post(f"{P}/models/{model['id']}/versions", json={"version": "2.0.0"}, headers=rita.headers)
    return first


@pytest.mark.parametrize("digit", ODD_DIGITS)
def test_json_api_and_packages(client, rita, version, digit):
    h = rita.headers
    r = client.get(f"{P}/models/{version['model_id']}/compare", query_string={"versions": f"{version['id']},{digit}"},
                   headers=h)
    assert r.status_code == 422 and "versions" in r.json["error"]["fields"]
    r = client.get(f"{P}/packages/ml_models/digits/{digit}/files", headers=h)
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("digit", ODD_DIGITS)
def test_mlflow_api(client, rita, version, digit):
    h = rita.headers
    r = client.get(f"{T}/model-versions/get", query_string={"name": "digits", "version": digit}, headers=h)
    assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"
    r = client.get(f"{T}/experiments/get", query_string={"experiment_id": digit}, headers=h)
    assert r.status_code == 404 and r.json["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = client.post(f"{T}/runs/create", json={"experiment_id": digit}, headers=h)
    assert r.status_code == 404
    r = client.post(f"{T}/logged-models/search", json={"experiment_ids": [digit]}, headers=h)
    assert r.status_code == 404
    r = client.post(f"{T}/model-versions/create", json={"name": "digits", "source": f"models:/digits/{digit}"},
                    headers=h)
    assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"
    for field in ("timestamp", "step"):
        metric = {"key": "loss", "value": 0.5, "timestamp": 1, "step": 0, field: digit}
        r = client.post(f"{T}/runs/log-batch", json={"run_id": version["run_id"], "metrics": [metric]}, headers=h)
        assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE", r.json


def test_ascii_numbers_still_name_things(client, rita, version):
    """The same calls with plain digits find what they name."""
    h = rita.headers
    r = client.get(f"{T}/model-versions/get", query_string={"name": "digits", "version": "1"}, headers=h)
    assert r.status_code == 200 and r.json["model_version"]["run_id"] == version["run_id"]
    r = client.post(f"{T}/runs/log-batch", json={"run_id": version["run_id"], "metrics": [
        {"key": "loss", "value": 0.5, "timestamp": "1700000000000", "step": "-3"}]}, headers=h)
    assert r.status_code == 200
    metrics = client.get(f"{P}/models/{version['model_id']}/versions/{version['id']}", headers=h).json["metrics"]
    assert [(m["key"], m["step"], m["timestamp"]) for m in metrics] == [("loss", -3, 1700000000000)]
    r = client.get(f"{P}/models/{version['model_id']}/compare", query_string={"versions": "1.0.0,2.0.0"}, headers=h)
    assert r.status_code == 200 and [v["version"] for v in r.json["versions"]] == ["1.0.0", "2.0.0"]
