"""What the registry, logged-model and run-logging tests of MLflow's
``tests/tracking/test_rest_tracking.py`` check of a tracking server, checked here against a
project's registry with the real client and raw requests: MLflow's refusals (400
``INVALID_PARAMETER_VALUE`` with its messages), its run and dataset answers, its MLflow 3 logged
models. Written from what those tests check, not from their code."""
from __future__ import annotations

import json
import math

import pytest
from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelInput, LoggedModelOutput, Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from .conftest import error_code

API = "/api/2.0/mlflow"


def refused(tracking, path: str, body: dict, message: str, method: str = "POST", **kwargs) -> None:
    """A 400 INVALID_PARAMETER_VALUE whose answer contains ``message`` (as MLflow's tests look in the text)."""
    answer = tracking.http(method, path, json=body if method != "GET" else None, **kwargs)
    assert answer.status_code == 400, (path, body, answer.text)
    assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert message in answer.text, (message, answer.text)


def test_runs_log_values_as_mlflow_and_name_their_user(tracking, mlflow_client):
    c = mlflow_client
    exp = c.create_experiment("Oh My")
    run = c.create_run(exp, start_time=456, run_name="my name", tags={"my": "tag"})
    assert run.info.user_id == "rita"  # the user's name, as MLflow shows it (not a user number)
    assert run.info.start_time == 456 and run.info.run_name == "my name" and run.data.tags["my"] == "tag"
    run_id = run.info.run_id
    c.log_metric(run_id, "metric", 123.456, timestamp=789, step=2)
    c.log_metric(run_id, "nan_metric", float("nan"))
    c.log_metric(run_id, "inf_metric", float("inf"))
    c.log_metric(run_id, "-inf_metric", -float("inf"))
    c.log_metric(run_id, "stepless-metric", 987.654, timestamp=321)
    c.log_param(run_id, "param", "value")
    c.log_param(run_id, "param_key", "")
    c.set_tag(run_id, "taggity", "do-dah")
    c.set_tag(run_id, "tag_key", "")
    c.log_batch(run_id, metrics=[Metric("batch", 1.5, 789, 3)], params=[Param("empty", "")], tags=[RunTag("e", "")])
    data = c.get_run(run_id).data
    assert data.metrics["metric"] == 123.456 and math.isnan(data.metrics["nan_metric"])
    assert data.metrics["inf_metric"] >= 1.7976931348623157e308 and data.metrics["-inf_metric"] <= -1.7976931348623157e308
    assert {"param": "value", "param_key": "", "empty": ""}.items() <= data.params.items()
    assert {"taggity": "do-dah", "tag_key": "", "e": ""}.items() <= data.tags.items()
    [m] = c.get_metric_history(run_id, "stepless-metric")
    assert (m.value, m.timestamp, m.step) == (987.654, 321, 0)
    [b] = c.get_metric_history(run_id, "batch")
    assert (b.value, b.timestamp, b.step) == (1.5, 789, 3)
    assert c.get_metric_history(run_id, "a_test_accuracy") == []

    c.delete_tag(run_id, "taggity")
    assert "taggity" not in c.get_run(run_id).data.tags
    with pytest.raises(MlflowException, match=r"Run .+ not found"):
        c.delete_tag("fake_run_id", "taggity")
    with pytest.raises(MlflowException, match="No tag with name: fakeTag"):
        c.delete_tag(run_id, "fakeTag")
    c.set_terminated(run_id, "FAILED")
    c.update_run(run_id, name="name_abc")
    info = c.get_run(run_id).info
    assert (info.status, info.run_name) == ("FAILED", "name_abc") and info.end_time is not None


def test_refusals_have_mlflows_codes_and_messages(tracking, mlflow_client):
    run_id = mlflow_client.create_run("0").info.run_id
    log_metric, log_param, set_tag = f"{API}/runs/log-metric", f"{API}/runs/log-parameter", f"{API}/runs/set-tag"
    refused(tracking, log_metric, {"run_id": 31, "key": "metric", "value": 41, "timestamp": 59, "step": 26},
            "Invalid value 31 for parameter 'run_id' supplied")
    refused(tracking, log_metric, {"run_id": run_id, "key": 31, "value": 41, "timestamp": 59, "step": 26},
            "Invalid value 31 for parameter 'key' supplied")
    refused(tracking, log_metric, {"run_id": run_id, "key": "foo", "value": 31, "timestamp": 59, "step": "foo"},
            'Invalid value \\"foo\\" for parameter \'step\' supplied')
    refused(tracking, log_metric, {"run_id": run_id, "key": "foo", "value": 31, "timestamp": "foo", "step": 41},
            'Invalid value \\"foo\\" for parameter \'timestamp\' supplied')
    refused(tracking, log_metric, {"run_id": None, "key": "foo", "value": 31, "timestamp": 59, "step": 41},
            "Missing value for required parameter 'run_id'")
    refused(tracking, log_metric, {"run_id": run_id, "value": 31, "timestamp": 59, "step": 41},
            "Missing value for required parameter 'key'")
    refused(tracking, log_param, {"run_id": run_id, "key": 31, "value": 41}, "Invalid value 31 for parameter 'key' supplied")
    refused(tracking, set_tag, {"run_id": run_id, "key": "param", "value": 41},
            "Invalid value 41 for parameter 'value' supplied")
    refused(tracking, set_tag, {"run_id": run_id, "value": "value"}, "Missing value for required parameter 'key'")
    assert tracking.http("POST", set_tag, json={"run_uuid": run_id, "key": "key", "value": "value"}).status_code == 200
    for field in ("metrics", "params", "tags"):
        refused(tracking, f"{API}/runs/log-batch", {"run_id": run_id, field: "foo"},
                f'Invalid value \\"foo\\" for parameter \'{field}\' supplied')
    refused(tracking, f"{API}/runs/log-batch", {"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5}]},
            'Invalid value [{\\"key\\":\\"mae\\",\\"value\\":2.5}] for parameter \'metrics\' supplied')
    ok = tracking.http("POST", f"{API}/runs/log-batch",
                       json={"run_id": run_id, "metrics": [{"key": "mae", "value": 2.5, "timestamp": 123456789}]})
    assert ok.status_code == 200
    refused(tracking, f"{API}/runs/log-inputs", {"datasets": []}, "Missing value for required parameter 'run_id'")
    refused(tracking, f"{API}/runs/log-inputs", {"run_id": run_id}, "Missing value for required parameter 'datasets'")
    # "Invalid path", exactly, wherever a path climbs out
    for path, params in ((f"{API}/artifacts/list", {"run_id": run_id, "path": "../path"}),
                         ("/get-artifact", {"run_id": run_id, "path": "../path"}),
                         ("/model-versions/get-artifact", {"name": "model", "version": 1, "path": "../path"})):
        answer = tracking.http("GET", path, params=params)
        assert answer.status_code == 400 and answer.json() == {"error_code": "INVALID_PARAMETER_VALUE",
                                                               "message": "Invalid path"}, path


def test_model_version_sources_as_mlflow_accepts_and_refuses(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("model")
    run = c.create_run("0")
    create = f"{API}/model-versions/create"
    for source in (run.info.artifact_uri, "mlflow-artifacts:/models", "mlflow-artifacts:/models/",
                   "mlflow-artifacts:/models///", "mlflow-artifacts:/models/foo///bar",
                   "mlflow-artifacts://host:9000/models", "mlflow-artifacts://host:9000/models/artifact/..../"):
        answer = tracking.http("POST", create, json={"name": "model", "source": source, "run_id": run.info.run_id})
        assert answer.status_code == 200, (source, answer.text)
        assert answer.json()["model_version"]["source"] == source  # kept as given
    for source in ("/tmp", "file:///tmp", "relative/path", "file://123.456.789.123/path/to/source"):
        refused(tracking, create, {"name": "model", "source": source}, "To use a local path as a model version")
        refused(tracking, create, {"name": "model", "source": source, "run_id": run.info.run_id},
                "To use a local path as a model version")
    for source in ("mlflow-artifacts://host:9000/models/../../../", "http://host:9000/models/../../../",
                   "https://host/api/2.0/mlflow-artifacts/artifacts/../../../",
                   "s3a://my_bucket/api/2.0/mlflow-artifacts/artifacts/../../../",
                   "ftp://host:8888/api/2.0/mlflow-artifacts/artifacts/../../../",
                   "mlflow-artifacts://host:9000/models/..%2f..%2fartifacts",
                   "mlflow-artifacts://host:9000/models/artifact%00"):
        refused(tracking, create, {"name": "model", "source": source, "run_id": run.info.run_id},
                "If supplying a source as an http, https,")
    assert len(c.search_model_versions("name = 'model'")) == 7


def test_datasets_come_back_exactly_as_logged(tracking, mlflow_client):
    c = mlflow_client
    run_id = c.create_run("0").info.run_id
    plain = Dataset(name="name1", digest="digest1", source_type="source_type1", source="source1")
    c.log_inputs(run_id, [DatasetInput(dataset=plain, tags=[InputTag(key="tag1", value="value1")])])
    [logged] = c.get_run(run_id).inputs.dataset_inputs
    assert (logged.dataset.name, logged.dataset.digest, logged.dataset.source_type, logged.dataset.source) == (
        "name1", "digest1", "source_type1", "source1")
    assert [(t.key, t.value) for t in logged.tags] == [("tag1", "value1")]

    schema = json.dumps({"mlflow_colspec": [{"name": "a", "type": "long", "required": True}]})
    local = Dataset(name="dataset", digest="f0f3e026", source_type="local", source=json.dumps({"uri": "/data/t.csv"}),
                    schema=schema, profile=json.dumps({"num_rows": 2, "num_elements": 6}))
    c.log_inputs(run_id, [DatasetInput(dataset=local, tags=[InputTag("foo", "baz"), InputTag("mlflow.data.context",
                                                                                             "train")])])
    got = next(i for i in c.get_run(run_id).inputs.dataset_inputs if i.dataset.name == "dataset")
    assert json.loads(got.dataset.source) == {"uri": "/data/t.csv"}  # the source as logged, JSON and all
    assert json.loads(got.dataset.schema) == json.loads(schema) and json.loads(got.dataset.profile)["num_rows"] == 2
    assert [(t.key, t.value) for t in got.tags] == [("foo", "baz"), ("mlflow.data.context", "train")]

    # the lineage of a version from that run reads the same datasets: their roles and addresses
    c.create_registered_model("fraud")
    c.create_model_version("fraud", f"runs:/{run_id}/model")
    lineage = {d["name"]: d for d in tracking.api_version("fraud", 1)["datasets"]}
    assert lineage["dataset"]["role"] == "training" and lineage["dataset"]["uri"] == "/data/t.csv"
    assert lineage["name1"]["uri"] == "source1"


def test_logged_models_metrics_datasets_inputs_outputs_and_versions(tracking, mlflow_client):
    c = mlflow_client
    run_id = c.create_run("0").info.run_id
    model = c.create_logged_model("0", name="clf", source_run_id=run_id)
    other = c.create_logged_model("0", name="other", source_run_id=run_id)
    c.log_metric(run_id, "auc", 0.91, step=1, dataset_name="holdout", dataset_digest="d1", model_id=model.model_id)
    c.log_batch(run_id, metrics=[Metric("loss", 0.2, 5, 0, model_id=other.model_id, dataset_name="train",
                                        dataset_digest="d2")])
    [auc] = c.get_logged_model(model.model_id).metrics
    assert (auc.key, auc.value, auc.step, auc.dataset_name, auc.dataset_digest, auc.model_id, auc.run_id) == (
        "auc", 0.91, 1, "holdout", "d1", model.model_id, run_id)
    assert c.get_run(run_id).data.metrics["auc"] == 0.91  # a run's metric too

    def found(**kwargs):
        return [m.name for m in c.search_logged_models(["0"], **kwargs)]

    assert found(datasets=[{"dataset_name": "holdout"}]) == ["clf"]
    assert found(datasets=[{"dataset_name": "holdout", "dataset_digest": "other"}]) == []
    assert sorted(found(datasets=[{"dataset_name": "holdout"}, {"dataset_name": "train"}])) == ["clf", "other"]

    consumer = c.create_run("0").info.run_id
    c.log_inputs(consumer, models=[LoggedModelInput(model.model_id)])
    c.log_outputs(consumer, [LoggedModelOutput(other.model_id, step=3)])
    got = c.get_run(consumer)
    assert [m.model_id for m in got.inputs.model_inputs] == [model.model_id]
    assert [(m.model_id, m.step) for m in got.outputs.model_outputs] == [(other.model_id, 3)]

    c.create_registered_model("clf")
    mv = c.create_model_version("clf", f"models:/{model.model_id}", model_id=model.model_id)
    assert mv.run_id == run_id  # the logged model's run
    tags = c.get_logged_model(model.model_id).tags
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": "clf", "version": "1"}]

    elsewhere = c.create_logged_model("0", name="from-elsewhere", source_run_id="run-not-here")  # kept as given
    assert c.get_logged_model(elsewhere.model_id).source_run_id == "run-not-here"
