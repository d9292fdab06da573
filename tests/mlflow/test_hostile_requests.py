"""Requests the real client never sends, sent raw to the MLflow API: each gets MLflow's
``INVALID_PARAMETER_VALUE`` or ``RESOURCE_DOES_NOT_EXIST``, never a 500 (which the client would
retry for minutes), and nothing is stored."""
from __future__ import annotations

import pytest

from ..support import add_people

P = "/api/v1/projects/proj"
T = P + "/ml/mlflow/api/2.0/mlflow"


@pytest.fixture
def version(client, rita) -> dict:
    model = client.post(f"{P}/models", json={"name": "hostile"}, headers=rita.headers).json
    return client.post(f"{P}/models/{model['id']}/versions", json={"version": "1.0.0"}, headers=rita.headers).json


@pytest.mark.parametrize("key", [["x"], {"k": 1}, None, 5])
def test_log_batch_param_keys_must_be_strings(client, rita, version, key):
    r = client.post(f"{T}/runs/log-batch", json={"run_id": version["run_id"], "params": [{"key": key, "value": "1"}],
                                                 "metrics": [{"key": "loss", "value": 1, "timestamp": 1}]},
                    headers=rita.headers)
    assert r.status_code == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE"
    stored = client.get(f"{P}/models/{version['model_id']}/versions/{version['id']}", headers=rita.headers).json
    assert stored["params"] == {} and stored["metrics"] == []


def test_version_from_a_run_names_only_this_projects_logged_models(app, client, rita, version):
    from flask_modelregistry.services import experiments, logged_models
    from flask_modelregistry.services.identity import Actor

    add_people(app, project="other")
    with app.app_context():
        other_exp = experiments.default_experiment("other")
        foreign = logged_models.create_logged_model("other", Actor.system(), other_exp, name="secret").id
    source = f"runs:/{version['run_id']}/model"
    for model_id in (foreign, "m-" + "0" * 32, "x" * 6000):
        r = client.post(f"{T}/model-versions/create", json={"name": "hostile", "source": source, "model_id": model_id},
                        headers=rita.headers)
        assert r.status_code == 404 and r.json["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.json
    listed = client.get(f"{P}/models/{version['model_id']}/versions", headers=rita.headers).json
    assert [v["version"] for v in listed["items"]] == ["1.0.0"]

    own = client.post(f"{T}/logged-models", json={"experiment_id": "0", "name": "mine"},
                      headers=rita.headers).json["model"]["info"]["model_id"]
    r = client.post(f"{T}/model-versions/create", json={"name": "hostile", "source": source, "model_id": own},
                    headers=rita.headers)
    assert r.status_code == 200 and r.json["model_version"]["model_id"] == own
