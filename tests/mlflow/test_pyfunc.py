"""MLflow 3 models end to end (GitLab's weak spot): ``mlflow.pyfunc.log_model(...,
registered_model_name=...)`` registers a version whose files show on the version, and
``load_model("models:/NAME/1")``, ``@champion``, ``/latest`` and ``download_artifacts`` load it back."""
from __future__ import annotations

import os

import mlflow
import mlflow.pyfunc
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


class AddOne(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [x + 1 for x in model_input]


class TimesTen(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [x * 10 for x in model_input]


def test_log_register_and_load_models(tracking, mlflow_client, tmp_path):
    c = mlflow_client
    with mlflow.start_run() as run:
        mlflow.log_param("kind", "add-one")
        mlflow.log_metric("accuracy", 0.97)
        info = mlflow.pyfunc.log_model(name="model", python_model=AddOne(), registered_model_name="adder",
                                       pip_requirements=["cloudpickle"])
    assert str(info.registered_model_version) == "1"

    # the version is the run: its files, metrics and parameters show on it
    files = tracking.api_files("adder", 1)
    assert {"model/MLmodel", "model/python_model.pkl", "model/requirements.txt"} <= set(files)
    api = tracking.api_version("adder", 1)
    assert api["run_id"] == run.info.run_id and api["version"] == "1.0.0"
    assert api["params"]["kind"] == "add-one" and api["metrics"][0]["key"] == "accuracy"
    mv = c.get_model_version("adder", "1")
    assert mv.source == info.model_uri and mv.run_id == run.info.run_id

    assert mlflow.pyfunc.load_model("models:/adder/1").predict([1, 2]) == [2, 3]
    assert mlflow.pyfunc.load_model(info.model_uri).predict([5]) == [6]  # models:/m-<id>, the logged model
    c.set_registered_model_alias("adder", "champion", "1")
    assert mlflow.pyfunc.load_model("models:/adder@champion").predict([41]) == [42]

    # a second model, logged outside any run, registered with its semantic version as a tag
    second = mlflow.pyfunc.log_model(name="model", python_model=TimesTen(), registered_model_name="adder",
                                     pip_requirements=["cloudpickle"])
    assert str(second.registered_model_version) == "2"
    c.set_model_version_tag("adder", "2", "note", "times ten")
    assert mlflow.pyfunc.load_model("models:/adder/latest").predict([3]) == [30]
    assert mlflow.pyfunc.load_model("models:/adder/2.0.0").predict([4]) == [40]  # by semantic version
    assert mlflow.pyfunc.load_model("models:/adder@champion").predict([3]) == [4]

    local = mlflow.artifacts.download_artifacts("models:/adder/1", dst_path=str(tmp_path / "dl"))
    assert {"MLmodel", "python_model.pkl"} <= set(os.listdir(local))
    logged = c.get_logged_model(info.model_id)
    assert logged.status == "READY" and logged.source_run_id == run.info.run_id


def test_register_model_from_a_run_uri(tracking, mlflow_client):
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="clf", python_model=AddOne(), pip_requirements=["cloudpickle"])
    first = mlflow.register_model(f"runs:/{run.info.run_id}/clf", "adder")
    second = mlflow.register_model(f"runs:/{run.info.run_id}/clf", "adder-copy",
                                   tags={"model_registry.version": "0.1.0"})
    assert first.run_id == second.run_id == run.info.run_id  # both came from the run, and share it
    assert mlflow_client.get_model_version("adder-copy", "0.1.0").version == "1"
    assert "clf/MLmodel" in tracking.api_files("adder-copy", 1)
    assert mlflow.pyfunc.load_model("models:/adder-copy/1").predict([9]) == [10]
