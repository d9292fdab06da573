"""Experiments and runs through the real MLflow client, and what is logged to a version's run
showing on that version: metrics, parameters, tags, datasets (lineage) and the CI job."""
from __future__ import annotations

import json

import mlflow
import pytest
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from .conftest import error_code


def test_experiments_create_get_and_by_name(mlflow_client):
    c = mlflow_client
    exp_id = c.create_experiment("fraud-training", tags={"team": "payments"})
    exp = c.get_experiment(exp_id)
    assert exp.name == "fraud-training" and exp.tags == {"team": "payments"}
    assert exp.artifact_location == f"mlflow-artifacts:/{exp_id}"
    assert c.get_experiment_by_name("fraud-training").experiment_id == exp_id
    assert c.get_experiment("0").name == "Default"  # every project has one, where versions' runs live
    assert c.get_experiment_by_name("nothing-here") is None  # the client turns our 404 into None
    with pytest.raises(MlflowException) as excinfo:
        c.create_experiment("fraud-training")
    assert error_code(excinfo) == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as excinfo:
        c.get_experiment("999999")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"


def test_fluent_run_lifecycle(mlflow_client):
    mlflow.set_experiment("tuning")
    with mlflow.start_run(run_name="lr-sweep") as active:
        mlflow.log_param("lr", "0.01")
        mlflow.log_metric("loss", 0.5, step=0)
        mlflow.log_metric("loss", 0.3, step=1)
        mlflow.set_tag("stage", "dev")
    run = mlflow_client.get_run(active.info.run_id)
    assert run.info.status == "FINISHED" and run.info.end_time and run.info.run_name == "lr-sweep"
    assert run.data.params == {"lr": "0.01"} and run.data.metrics == {"loss": 0.3}
    assert run.data.tags["stage"] == "dev"
    assert [m.value for m in mlflow_client.get_metric_history(run.info.run_id, "loss")] == [0.5, 0.3]
    assert run.info.experiment_id == mlflow_client.get_experiment_by_name("tuning").experiment_id


def test_logging_to_a_version_run_shows_on_the_version(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    c.log_metric(mv.run_id, "accuracy", 0.81, step=0)
    c.log_metric(mv.run_id, "accuracy", 0.88, step=1)
    c.log_param(mv.run_id, "epochs", "3")
    c.log_batch(mv.run_id, metrics=[Metric("loss", 0.41, 1_700_000_000_000, 1), Metric("loss", float("nan"), 1_700_000_000_001, 2)],
                params=[Param("max_depth", "6")], tags=[RunTag("framework", "xgboost")])
    c.set_tag(mv.run_id, "owner", "rita")

    api = tracking.api_version("fraud", 1)
    metrics = {m["key"]: m for m in api["metrics"]}
    assert metrics["accuracy"]["value"] == 0.88 and metrics["accuracy"]["step"] == 1
    assert metrics["loss"]["step"] == 2  # NaN is kept, as MLflow keeps it
    assert api["params"] == {"epochs": "3", "max_depth": "6"}
    run = c.get_run(mv.run_id)
    assert run.data.tags["framework"] == "xgboost" and run.data.tags["owner"] == "rita"
    assert run.info.artifact_uri == f"mlflow-artifacts:/0/{mv.run_id}/artifacts"

    with pytest.raises(MlflowException) as excinfo:  # a logged parameter keeps its value, as in MLflow
        c.log_param(mv.run_id, "epochs", "4")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    c.delete_tag(mv.run_id, "owner")
    assert "owner" not in c.get_run(mv.run_id).data.tags
    c.set_terminated(mv.run_id, "FAILED")
    assert c.get_run(mv.run_id).info.status == "FAILED"


def test_log_inputs_records_datasets_with_their_roles(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "s3://b/1")

    def dataset_input(name: str, context: str) -> DatasetInput:
        dataset = Dataset(name=name, digest=f"d-{name}", source_type="gcs",
                          source=f'{{"uri": "gs://data/{name}.parquet"}}', schema='{"mlflow_colspec": []}')
        return DatasetInput(dataset, tags=[InputTag("mlflow.data.context", context)])

    c.log_inputs(mv.run_id, datasets=[dataset_input("tx-2026q1", "training"), dataset_input("tx-holdout", "eval"),
                                      dataset_input("tx-val", "validation")])
    datasets = {d["name"]: d for d in tracking.api_version("fraud", 1)["datasets"]}
    assert {n: d["role"] for n, d in datasets.items()} == {
        "tx-2026q1": "training", "tx-holdout": "evaluation", "tx-val": "validation"}
    assert datasets["tx-2026q1"]["uri"] == "gs://data/tx-2026q1.parquet"
    assert datasets["tx-2026q1"]["digest"] == "d-tx-2026q1"
    inputs = c.get_run(mv.run_id).inputs.dataset_inputs
    assert sorted(i.dataset.name for i in inputs) == ["tx-2026q1", "tx-holdout", "tx-val"]

    # a context of MLflow's that names none of the roles is kept as the role, and as logged
    c.log_inputs(mv.run_id, datasets=[dataset_input("odd", "scoring")])
    assert {d["name"]: d["role"] for d in tracking.api_version("fraud", 1)["datasets"]}["odd"] == "scoring"
    odd = next(i for i in c.get_run(mv.run_id).inputs.dataset_inputs if i.dataset.name == "odd")
    assert [(t.key, t.value) for t in odd.tags] == [("mlflow.data.context", "scoring")]
    assert json.loads(odd.dataset.source) == {"uri": "gs://data/odd.parquet"}


def test_ci_tags_link_the_version_to_its_job(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "s3://b/1")
    c.set_tag(mv.run_id, "gitlab.CI_JOB_ID", "4711")
    c.log_batch(mv.run_id, tags=[RunTag("model_registry.ci_job_url", "https://ci.example.com/p/-/jobs/4711"),
                                 RunTag("model_registry.ci_pipeline_url", "https://ci.example.com/p/-/pipelines/99"),
                                 RunTag("model_registry.ci_ref", "main"),
                                 RunTag("model_registry.ci_merge_request_url", "https://ci.example.com/p/-/merge_requests/5")])
    job = tracking.api_version("fraud", 1)["ci_job"]
    assert job["id"] == "4711" and job["ref"] == "main"
    assert job["url"] == "https://ci.example.com/p/-/jobs/4711"
    assert job["pipeline_url"].endswith("/pipelines/99") and job["merge_request_url"].endswith("/merge_requests/5")


def test_ci_job_resolver_checks_ids_and_fills_links(tracking, mlflow_client, monkeypatch):
    registry = tracking.app.extensions["model_registry"].registry
    seen = []

    def resolve(project, job_id, tags):
        seen.append((project, job_id))
        if job_id != "4711":
            return None
        return {"job_url": f"https://ci.example.com/{project}/-/jobs/{job_id}", "ref": "release/1.2",
                "pipeline_url": f"https://ci.example.com/{project}/-/pipelines/12"}

    monkeypatch.setattr(registry.callbacks, "ci_job_resolver", resolve)
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "s3://b/1")
    with pytest.raises(MlflowException) as excinfo:
        c.set_tag(mv.run_id, "model_registry.ci_job_id", "666")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    assert tracking.api_version("fraud", 1)["ci_job"] is None

    c.set_tag(mv.run_id, "model_registry.ci_job_id", "4711")
    job = tracking.api_version("fraud", 1)["ci_job"]
    assert job["url"] == "https://ci.example.com/proj/-/jobs/4711" and job["ref"] == "release/1.2"
    assert ("proj", "666") in seen and ("proj", "4711") in seen

    # tags given at creation go to the version's run, through the same check
    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("fraud", "s3://b/2", tags={"gitlab.CI_JOB_ID": "1"})
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    c.create_model_version("fraud", "s3://b/2", tags={"gitlab.CI_JOB_ID": "4711"})
    assert tracking.api_version("fraud", 2)["ci_job"]["pipeline_url"] == "https://ci.example.com/proj/-/pipelines/12"
