"""Model versions through the real MLflow client: created from every kind of source, found by
number and by semantic version, searched, changed, staged and deleted; each one the same version
the JSON API (and so the pages) shows."""
from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from .conftest import error_code, write_file


def test_semantic_version_from_tag_or_next_major(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    v1 = c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.2.0", "data": "q1"},
                                description="First release.")
    v2 = c.create_model_version("fraud", "s3://b/2")  # no tag: the next major
    v3 = c.create_model_version("fraud", "s3://b/3", tags={"gitlab.version": "2.0.1-rc2"})  # GitLab's tag
    assert (v1.version, v2.version, v3.version) == ("1", "2", "3")  # MLflow's version is the number
    assert v1.tags == {"model_registry.version": "1.2.0", "data": "q1"}
    assert v2.tags == {}  # as in MLflow, a version shows the tags it was given: its 2.0.0 was chosen
    assert c.get_model_version("fraud", "2.0.0").version == "2"
    assert v3.tags == {"gitlab.version": "2.0.1-rc2"}
    assert v1.status == "READY" and v1.description == "First release."

    # B4: a version looked up by its semantic version
    assert c.get_model_version("fraud", "1.2.0").version == "1"
    assert c.get_model_version("fraud", "2.0.1-rc2").run_id == v3.run_id

    api = tracking.api_version("fraud", 1)
    assert api["version"] == "1.2.0" and api["description"] == "First release."
    assert api["metadata"] == {"data": "q1"} and api["run_id"] == v1.run_id
    listed = tracking.api(f"/models/{api['model_id']}/versions")["items"]
    assert [v["version"] for v in listed] == ["2.0.1-rc2", "2.0.0", "1.2.0"]  # semver order, newest first


@pytest.mark.parametrize("bad", ["1.2", "v1.0.0", "01.0.0", "latest"])
def test_invalid_semantic_version_tag_is_refused(tracking, mlflow_client, bad):
    c = mlflow_client
    c.create_registered_model("fraud")
    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": bad})
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    assert tracking.api_model("fraud")["version_count"] == 0


def test_taken_semantic_version_is_resource_already_exists(mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("fraud", "s3://b/2", tags={"model_registry.version": "1.0.0"})
    assert error_code(excinfo) == "RESOURCE_ALREADY_EXISTS"


def test_version_from_a_run_takes_the_run(tracking, mlflow_client, tmp_path):
    """``source=runs:/R/model`` with ``run_id=R``: R becomes the version's run, so what was logged
    to it (files, metrics, parameters) is the version's."""
    c = mlflow_client
    run = c.create_run("0")
    c.log_param(run.info.run_id, "max_depth", "6")
    c.log_metric(run.info.run_id, "auc", 0.91)
    c.log_artifact(run.info.run_id, write_file(tmp_path, "model/weights.bin", b"w" * 64), artifact_path="model")
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    assert mv.run_id == run.info.run_id and mv.source == f"runs:/{run.info.run_id}/model"
    api = tracking.api_version("fraud", 1)
    assert api["params"] == {"max_depth": "6"} and api["metrics"][0]["value"] == 0.91
    assert tracking.api_files("fraud", 1)["model/weights.bin"]["size"] == 64
    assert c.get_model_version_download_uri("fraud", "1") == f"runs:/{run.info.run_id}/model"  # the source

    # more versions from the same run, in this model and another, share it: nothing is copied
    mv2 = c.create_model_version("fraud", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    c.create_registered_model("fraud-eu")
    mv3 = c.create_model_version("fraud-eu", f"runs:/{run.info.run_id}/model")  # the run named by the source
    assert mv2.run_id == mv3.run_id == run.info.run_id
    found = c.search_model_versions(f"run_id = '{run.info.run_id}'")
    assert sorted((v.name, v.version) for v in found) == [("fraud", "1"), ("fraud", "2"), ("fraud-eu", "1")]
    c.log_metric(run.info.run_id, "auc", 0.95)  # what is logged to the run shows on every version from it
    for name, number in (("fraud", 1), ("fraud", 2), ("fraud-eu", 1)):
        assert tracking.api_version(name, number)["metrics"][0]["value"] == 0.95
        assert tracking.api_files(name, number)["model/weights.bin"]["size"] == 64
    with tracking.app.app_context():
        from flask_modelregistry.models import Artifact
        from example_app.models import db
        assert db.session.scalar(db.select(db.func.count()).select_from(Artifact)) == 1  # one stored file

    # deleting the versions leaves the client's run and its files, as in MLflow
    for name, number in (("fraud", "1"), ("fraud", "2"), ("fraud-eu", "1")):
        c.delete_model_version(name, number)
    assert [f.path for f in c.list_artifacts(run.info.run_id, "model")] == ["model/weights.bin"]
    assert c.get_run(run.info.run_id).data.metrics == {"auc": 0.95}


def test_version_from_mlflow_artifacts_and_models_sources(tracking, mlflow_client, tmp_path):
    c = mlflow_client
    exp = c.create_experiment("training")
    run = c.create_run(exp)
    c.log_artifact(run.info.run_id, write_file(tmp_path, "MLmodel", "flavors: {}\n"), artifact_path="clf")
    c.create_registered_model("fraud")
    source = f"mlflow-artifacts:/{exp}/{run.info.run_id}/artifacts/clf"
    v1 = c.create_model_version("fraud", source, run_id=run.info.run_id)
    assert v1.run_id == run.info.run_id and c.get_model_version_download_uri("fraud", 1).endswith("/artifacts/clf")

    # models:/NAME/VERSION: another model's version, whose run the new version shares
    c.create_registered_model("fraud-copy")
    copy = c.create_model_version("fraud-copy", "models:/fraud/1")
    assert copy.source == "models:/fraud/1" and copy.run_id == v1.run_id
    assert set(tracking.api_files("fraud-copy", 1)) == {"clf/MLmodel"}
    assert c.get_model_version_download_uri("fraud-copy", 1) == source  # resolved to what it names


def test_runs_this_server_does_not_know_are_kept_as_given(tracking, mlflow_client):
    """As MLflow stores them: the version's run_id is the one given (or the source's), and the
    version's own files go to a run made for it, which no client can reach by that id."""
    c = mlflow_client
    c.create_registered_model("fraud")
    unknown = "0123456789abcdef0123456789abcdef"
    v1 = c.create_model_version("fraud", f"runs:/{unknown}/model")
    v2 = c.create_model_version("fraud", "runs:/run_id/model", run_id="run_id_1")  # the run_id given wins
    v3 = c.create_model_version("fraud", "s3://b/x", run_id="run_id_1")
    assert (v1.run_id, v2.run_id, v3.run_id) == (unknown, "run_id_1", "run_id_1")
    assert [v.version for v in c.search_model_versions("run_id = 'run_id_1'")] == ["3", "2"]
    assert c.get_model_version_download_uri("fraud", "2") == "runs:/run_id/model"
    assert tracking.api_version("fraud", 2)["run_id"] == "run_id_1"
    with pytest.raises(MlflowException) as excinfo:  # there is no such run here, as on MLflow's server
        c.get_run("run_id_1")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("fraud", "models:/no-such-model/1")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("fraud", "runs:/abc/../../etc/passwd")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


def test_get_errors(mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://b/1")
    with pytest.raises(MlflowException) as excinfo:
        c.get_model_version("fraud", "7")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as excinfo:
        c.get_model_version("fraud", "abc")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("no-such-model", "s3://b/1")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"


def test_search_versions_filters_order_and_pages(mlflow_client):
    c = mlflow_client
    for name in ("fraud", "churn"):
        c.create_registered_model(name)
        for i in range(3):
            c.create_model_version(name, f"s3://b/{name}/{i}", tags={"fold": str(i % 2)})

    def found(*args, **kwargs):
        return [(v.name, v.version) for v in c.search_model_versions(*args, **kwargs)]

    assert found("name = 'fraud'", order_by=["version_number DESC"]) == [("fraud", "3"), ("fraud", "2"), ("fraud", "1")]
    assert found("name LIKE 'fr%' AND tags.fold = '0'", order_by=["version_number ASC"]) == [("fraud", "1"), ("fraud", "3")]
    assert found("tags.model_registry.version = '2.0.0'", order_by=["name ASC"]) == [("churn", "2"), ("fraud", "2")]
    assert found("version_number >= 3", order_by=["name DESC"]) == [("fraud", "3"), ("churn", "3")]
    run_id = c.get_model_version("churn", "1").run_id
    assert found(f"run_id = '{run_id}'") == [("churn", "1")]
    assert found("source_path = 's3://b/churn/2'") == [("churn", "3")]

    page1 = c.search_model_versions("name = 'fraud'", max_results=2, order_by=["version_number DESC"])
    page2 = c.search_model_versions("name = 'fraud'", max_results=2, order_by=["version_number DESC"],
                                    page_token=page1.token)
    assert [v.version for v in page1] == ["3", "2"] and [v.version for v in page2] == ["1"]
    assert page1.token and not page2.token

    with pytest.raises(MlflowException) as excinfo:
        c.search_model_versions("name = 'fraud' OR name = 'churn'")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


@pytest.mark.filterwarnings("ignore::FutureWarning")  # stages are deprecated in MLflow, and still work
def test_update_tags_stage_latest_and_delete(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    c.create_model_version("fraud", "s3://b/2", tags={"model_registry.version": "1.1.0"})

    c.update_model_version("fraud", "1", description="Retired.")
    assert c.get_model_version("fraud", "1").description == "Retired."

    c.set_model_version_tag("fraud", "2", "validated", "yes")
    c.set_model_version_tag("fraud", "2", "reviewer", "olga")
    c.delete_model_version_tag("fraud", "2", "reviewer")
    assert c.get_model_version("fraud", "2").tags == {"validated": "yes", "model_registry.version": "1.1.0"}
    assert tracking.api_version("fraud", 2)["metadata"] == {"validated": "yes"}
    with pytest.raises(MlflowException) as excinfo:  # the semantic version is fixed at creation
        c.set_model_version_tag("fraud", "2", "model_registry.version", "9.9.9")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"

    c.transition_model_version_stage("fraud", "1", "Production")
    moved = c.transition_model_version_stage("fraud", "2", "production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert c.get_model_version("fraud", "1").current_stage == "Archived"
    assert tracking.api_version("fraud", 2)["stage"] == "Production"
    with pytest.raises(MlflowException) as excinfo:
        c.transition_model_version_stage("fraud", "2", "Bogus")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"

    assert [v.version for v in c.get_latest_versions("fraud", stages=["Production"])] == ["2"]
    assert {v.version for v in c.get_latest_versions("fraud")} == {"1", "2"}  # one per stage

    c.delete_model_version("fraud", "1")
    with pytest.raises(MlflowException) as excinfo:
        c.get_model_version("fraud", "1")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as excinfo:
        c.delete_model_version("fraud", "1")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    assert tracking.api_model("fraud")["version_count"] == 1
    # numbers are not reused after a deletion
    assert c.create_model_version("fraud", "s3://b/3").version == "3"


def test_parent_version_tag_sets_lineage(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    c.create_model_version("fraud", "s3://b/2", tags={"model_registry.version": "1.1.0",
                                                      "model_registry.parent_version": "1.0.0"})
    parent_id = tracking.api_version("fraud", 1)["id"]
    assert tracking.api_version("fraud", 2)["parent_version_id"] == parent_id
    assert c.get_model_version("fraud", "2").tags["model_registry.parent_version"] == "1.0.0"

    c.create_model_version("fraud", "s3://b/3", tags={"model_registry.version": "2.0.0"})
    c.set_model_version_tag("fraud", "3", "model_registry.parent_version", "2")  # by number too
    assert tracking.api_version("fraud", 3)["parent_version_id"] == tracking.api_version("fraud", 2)["id"]
    c.delete_model_version_tag("fraud", "3", "model_registry.parent_version")
    assert tracking.api_version("fraud", 3)["parent_version_id"] is None

    with pytest.raises(MlflowException) as excinfo:
        c.create_model_version("fraud", "s3://b/4", tags={"model_registry.parent_version": "7.7.7"})
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
