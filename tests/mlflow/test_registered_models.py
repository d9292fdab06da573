"""Registered models through the real MLflow client: create, get, search, update, rename, tags,
aliases, delete; and the same models seen through the JSON API."""
from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from .conftest import error_code


def test_create_get_update_rename_delete(tracking, mlflow_client):
    c = mlflow_client
    created = c.create_registered_model("churn", tags={"team": "growth"}, description="Predicts churn.")
    assert created.name == "churn" and created.description == "Predicts churn."
    assert created.tags == {"team": "growth"}

    got = c.get_registered_model("churn")
    assert got.description == "Predicts churn." and got.tags == {"team": "growth"}
    assert got.creation_timestamp > 1_600_000_000_000  # milliseconds

    c.update_registered_model("churn", description="Predicts churn, weekly.")
    assert c.get_registered_model("churn").description == "Predicts churn, weekly."

    c.rename_registered_model("churn", "churn-weekly")
    assert c.get_registered_model("churn-weekly").tags == {"team": "growth"}
    api_model = tracking.api_model("churn-weekly")
    assert api_model["description"] == "Predicts churn, weekly." and api_model["tags"] == {"team": "growth"}
    with pytest.raises(MlflowException) as excinfo:
        c.get_registered_model("churn")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"

    c.delete_registered_model("churn-weekly")
    assert tracking.api("/models")["total"] == 0


def test_tags_set_and_delete(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.set_registered_model_tag("fraud", "owner", "payments")
    c.set_registered_model_tag("fraud", "owner", "risk")
    c.set_registered_model_tag("fraud", "tier", "1")
    assert c.get_registered_model("fraud").tags == {"owner": "risk", "tier": "1"}
    c.delete_registered_model_tag("fraud", "tier")
    c.delete_registered_model_tag("fraud", "never-set")  # as on MLflow's server: nothing to delete is fine
    assert c.get_registered_model("fraud").tags == {"owner": "risk"}
    assert tracking.api_model("fraud")["tags"] == {"owner": "risk"}


def test_aliases_set_get_move_delete(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://bucket/v1", tags={"model_registry.version": "1.0.0"})
    c.create_model_version("fraud", "s3://bucket/v2", tags={"model_registry.version": "1.1.0"})

    c.set_registered_model_alias("fraud", "champion", "1")
    champion = c.get_model_version_by_alias("fraud", "champion")
    assert champion.version == "1" and champion.aliases == ["champion"]

    c.set_registered_model_alias("fraud", "champion", "2")  # the alias moves
    assert c.get_model_version_by_alias("fraud", "champion").version == "2"
    assert c.get_registered_model("fraud").aliases == {"champion": "2"}
    assert tracking.api_version("fraud", 2)["aliases"] == ["champion"]
    assert tracking.api_version("fraud", 1)["aliases"] == []

    # GitLab's way: a version's semantic version works as an alias
    assert c.get_model_version_by_alias("fraud", "1.0.0").version == "1"

    c.delete_registered_model_alias("fraud", "champion")
    with pytest.raises(MlflowException) as excinfo:
        c.get_model_version_by_alias("fraud", "champion")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"  # MLflow's server answers 400 here, not 404
    assert "alias champion not found" in str(excinfo.value)


@pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "bad alias", "a/b"])
def test_reserved_or_malformed_aliases_are_refused(mlflow_client, alias):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://bucket/v1")
    with pytest.raises(MlflowException) as excinfo:
        c.set_registered_model_alias("fraud", alias, "1")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


def test_alias_of_a_missing_version_is_not_found(mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    with pytest.raises(MlflowException) as excinfo:
        c.set_registered_model_alias("fraud", "champion", "7")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"


def test_search_filters_order_and_pages(mlflow_client):
    c = mlflow_client
    for name, team in (("fraud-card", "payments"), ("fraud-wire", "payments"), ("Fraud-ACH", "risk"),
                       ("churn", "growth"), ("churn_v2", "growth")):
        c.create_registered_model(name, tags={"team": team})

    def names(**kwargs):
        return [m.name for m in c.search_registered_models(**kwargs)]

    assert names(filter_string="name = 'churn'") == ["churn"]
    assert names(filter_string="name LIKE 'fraud%'") == ["fraud-card", "fraud-wire"]  # LIKE is case-sensitive
    assert names(filter_string="name ILIKE 'fraud%'") == ["Fraud-ACH", "fraud-card", "fraud-wire"]
    assert names(filter_string="name LIKE 'churn_v%'") == ["churn_v2"]
    assert names(filter_string="tags.team = 'payments'") == ["fraud-card", "fraud-wire"]
    assert names(filter_string="tag.`team` != 'payments' AND name LIKE 'churn%'") == ["churn", "churn_v2"]
    assert names(filter_string="name IN ('churn', 'fraud-wire')") == ["churn", "fraud-wire"]
    assert names(order_by=["name DESC"])[:2] == ["fraud-wire", "fraud-card"]
    assert names(order_by=["timestamp DESC"])[0] == "churn_v2"  # the last one changed

    first = c.search_registered_models(max_results=2, order_by=["name ASC"])
    assert [m.name for m in first] == ["Fraud-ACH", "churn"] and first.token
    second = c.search_registered_models(max_results=2, order_by=["name ASC"], page_token=first.token)
    third = c.search_registered_models(max_results=2, order_by=["name ASC"], page_token=second.token)
    assert [m.name for m in second] + [m.name for m in third] == ["churn_v2", "fraud-card", "fraud-wire"]
    assert not third.token


def test_search_hides_models_marked_as_prompts(tracking, mlflow_client):
    """The client adds ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every search: models without the
    tag must match it, models that are prompts must not."""
    c = mlflow_client
    c.create_registered_model("plain")
    c.create_registered_model("a-prompt")
    # the client refuses to mark a model as a prompt itself, so send what a prompt registration sends
    answer = tracking.http("POST", "/api/2.0/mlflow/registered-models/set-tag",
                           json={"name": "a-prompt", "key": "mlflow.prompt.is_prompt", "value": "true"})
    assert answer.status_code == 200 and answer.json() == {}
    assert [m.name for m in c.search_registered_models()] == ["plain"]


def test_search_answers_latest_versions_and_aliases(mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})
    c.create_model_version("fraud", "s3://b/2", tags={"model_registry.version": "2.0.0-rc1"})
    c.set_registered_model_alias("fraud", "canary", "2")
    (model,) = c.search_registered_models(filter_string="name = 'fraud'")
    assert model.aliases == {"canary": "2"}
    # the latest release, as the JSON API's latest_version: a prerelease does not replace it
    assert [v.version for v in model.latest_versions] == ["1"]


def test_duplicate_name_is_resource_already_exists(mlflow_client):
    c = mlflow_client
    c.create_registered_model("fraud")
    with pytest.raises(MlflowException) as excinfo:
        c.create_registered_model("fraud")
    assert error_code(excinfo) == "RESOURCE_ALREADY_EXISTS"
    c.create_registered_model("other")
    with pytest.raises(MlflowException) as excinfo:
        c.rename_registered_model("other", "fraud")
    assert error_code(excinfo) == "RESOURCE_ALREADY_EXISTS"


def test_delete_removes_versions_and_their_files(tracking, mlflow_client, tmp_path):
    c = mlflow_client
    c.create_registered_model("fraud")
    mv = c.create_model_version("fraud", "s3://b/1")
    (tmp_path / "weights.bin").write_bytes(b"\x00" * 100)
    c.log_artifact(mv.run_id, str(tmp_path / "weights.bin"))
    c.delete_registered_model("fraud")
    with pytest.raises(MlflowException) as excinfo:
        c.get_run(mv.run_id)
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    assert tracking.api("/models")["total"] == 0
