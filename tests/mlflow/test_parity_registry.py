"""What MLflow's own registry tests (``tests/tracking/test_model_registry.py``) check of a tracking
server, checked here against a project's registry with the real client: the same answers, the same
timestamps moving, the same messages. Written from what those tests check, not from their code."""
from __future__ import annotations

import time

import pytest
from mlflow.exceptions import MlflowException

from .conftest import error_code


def now_ms() -> int:
    return int(time.time() * 1000)


def test_registered_model_lifecycle_messages_and_timestamps(mlflow_client):
    c = mlflow_client
    start = now_ms()
    created = c.create_registered_model("CreateRM", tags={"key": "value", "numeric value": 12345})
    end = now_ms()
    assert created.tags == {"key": "value", "numeric value": "12345"}
    got = c.get_registered_model("CreateRM")
    assert got.description == "" and got.latest_versions == [] and got.tags == created.tags
    assert start <= got.creation_timestamp <= end and start <= got.last_updated_timestamp <= end
    for flt in (None, "", "name = 'CreateRM'"):
        assert [m.name for m in c.search_registered_models(filter_string=flt)] == ["CreateRM"]

    with pytest.raises(MlflowException, match=r"^RESOURCE_ALREADY_EXISTS: Registered Model \(name=CreateRM\) "
                                              r"already exists\.$"):
        c.create_registered_model("CreateRM")

    before = now_ms()
    c.rename_registered_model("CreateRM", "CreateRM 2")
    renamed = c.get_registered_model("CreateRM 2")
    assert renamed.creation_timestamp == got.creation_timestamp and renamed.last_updated_timestamp >= before
    with pytest.raises(MlflowException, match="Registered Model with name=CreateRM not found"):
        c.get_registered_model("CreateRM")
    c.create_registered_model("Other")
    with pytest.raises(MlflowException, match=r"Registered Model \(name=Other\) already exists\."):
        c.rename_registered_model("CreateRM 2", "Other")

    before = now_ms()
    c.update_registered_model("CreateRM 2", "4th update")
    updated = c.get_registered_model("CreateRM 2")
    assert updated.description == "4th update" and updated.last_updated_timestamp >= before

    c.set_registered_model_tag("CreateRM 2", "empty", "")
    c.set_registered_model_tag("CreateRM 2", "n", 7)
    c.delete_registered_model_tag("CreateRM 2", "key")
    assert c.get_registered_model("CreateRM 2").tags == {"numeric value": "12345", "empty": "", "n": "7"}

    c.delete_registered_model("CreateRM 2")
    with pytest.raises(MlflowException, match=r"Registered Model .+ not found"):
        c.get_registered_model("CreateRM 2")
    with pytest.raises(MlflowException, match=r"Registered Model .+ not found"):
        c.rename_registered_model("CreateRM 2", "something else")
    start = now_ms()
    again = c.create_registered_model("CreateRM 2")  # the name is free again
    assert again.creation_timestamp >= start


def test_search_pages_filters_and_orders_as_mlflow(mlflow_client):
    c = mlflow_client
    names = [f"RMsearch{i:03}" for i in range(11)]
    for name in names:
        c.create_registered_model(name)

    def all_pages(search, **kwargs):
        found, token = [], None
        while True:
            page = search(page_token=token, **kwargs)
            found.extend(page)
            token = page.token
            if not token:
                return found

    for max_results in (1, 5, 100):
        got = all_pages(c.search_registered_models, max_results=max_results)
        assert [m.name for m in got] == names, max_results
    for flt, expected in (("", names), ("name LIKE '%7'", ["RMsearch007"]), ("name ILIKE '%rm%00%'", names[:10]),
                          ("name LIKE '%rm%00%'", []), ("name = 'badname'", [])):
        got = all_pages(c.search_registered_models, filter_string=flt, max_results=4)
        assert [m.name for m in got] == expected, flt

    versions = []
    for name in names + names[:3]:  # unknown runs, as MLflow's tests register them
        time.sleep(0.002)
        versions.append(c.create_model_version(name, "runs:/run_id/model", "run_id"))
    newest_first = versions[::-1]
    by_default = all_pages(c.search_model_versions, max_results=3)
    assert [(v.name, v.version) for v in by_default] == [(v.name, v.version) for v in newest_first]
    by_name = all_pages(c.search_model_versions, order_by=["name DESC"])
    assert [(v.name, v.version) for v in by_name] == sorted(((v.name, v.version) for v in versions), reverse=True)
    by_number = all_pages(c.search_model_versions, order_by=["version_number DESC"])
    assert [(v.name, v.version) for v in by_number] == sorted(
        ((v.name, v.version) for v in versions), key=lambda nv: (-int(nv[1]), nv[0]))
    assert {v.name for v in c.search_model_versions("name ILIKE '%search00_'")} == set(names[:10])
    assert len(c.search_model_versions("run_id = 'run_id'")) == len(versions)


def test_create_and_query_model_version_flow(mlflow_client):
    c = mlflow_client
    c.create_registered_model("CreateMV")
    tags = {"key": "value", "another key": "some other value", "numeric value": 12345}
    mv1 = c.create_model_version("CreateMV", "runs:/run_id/model", "run_id_1", tags)
    assert (mv1.version, mv1.name) == ("1", "CreateMV")
    shown = {"key": "value", "another key": "some other value", "numeric value": "12345"}
    assert mv1.tags == shown  # exactly the tags given
    mvd1 = c.get_model_version("CreateMV", "1")
    assert mvd1.tags == shown
    assert [m.latest_versions for m in c.search_registered_models() if m.name == "CreateMV"] == [[mvd1]]
    mv2 = c.create_model_version("CreateMV", "runs:/run_id/another_model", "run_id_1")
    mvd2 = c.get_model_version("CreateMV", "2")
    assert mv2.version == "2"
    assert [m.latest_versions for m in c.search_registered_models() if m.name == "CreateMV"] == [[mvd2]]
    c.create_model_version("CreateMV", "runs:/run_id/another_model", "run_id_2")
    assert c.search_model_versions("source_path = 'runs:/run_id/model'") == [mvd1]
    assert c.search_model_versions("run_id = 'run_id_1'") == [mvd2, mvd1]
    assert c.get_model_version_download_uri("CreateMV", "1") == "runs:/run_id/model"

    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE: Parameter 'version' must be an integer, "
                                              "got 'something not correct'."):
        c.get_model_version("CreateMV", "something not correct")

    c.set_model_version_tag("CreateMV", "3", "tag_key", "")
    c.set_model_version_tag("CreateMV", "3", "n", 12345)
    c.delete_model_version_tag("CreateMV", "3", "n")
    assert c.get_model_version("CreateMV", "3").tags == {"tag_key": ""}


@pytest.mark.filterwarnings("ignore::FutureWarning")  # stages are deprecated in MLflow, and still work
def test_stage_transition_moves_the_model_and_a_description_does_not(mlflow_client):
    c = mlflow_client
    c.create_registered_model("UpdateMV")
    start = now_ms()
    c.create_model_version("UpdateMV", "runs:/run_id/model", "run_id_1")
    end = now_ms()
    created = c.get_model_version("UpdateMV", "1")
    assert start <= created.creation_timestamp <= end
    assert start <= c.get_registered_model("UpdateMV").last_updated_timestamp <= end  # creating moves the model
    time.sleep(0.01)

    start = now_ms()
    c.transition_model_version_stage("UpdateMV", 1, "Staging")
    end = now_ms()
    assert start <= c.get_model_version("UpdateMV", 1).last_updated_timestamp <= end
    assert start <= c.get_registered_model("UpdateMV").last_updated_timestamp <= end
    time.sleep(0.01)

    model_before = c.get_registered_model("UpdateMV").last_updated_timestamp
    start = now_ms()
    c.update_model_version("UpdateMV", 1, description="This is a test model")
    described = c.get_model_version("UpdateMV", "1")
    assert described.description == "This is a test model" and described.last_updated_timestamp >= start
    assert c.get_registered_model("UpdateMV").last_updated_timestamp == model_before


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_latest_versions_per_stage(mlflow_client):
    c = mlflow_client
    c.create_registered_model("Latest")
    stages = ("Archived", "Production", "Archived", "Production", "Staging", "Staging", "None")
    for number, stage in enumerate(stages, start=1):
        assert c.create_model_version("Latest", "runs:/run_id/model", "run_id").version == str(number)
        if stage != "None":
            c.transition_model_version_stage("Latest", str(number), stage)
        assert c.get_model_version("Latest", str(number)).current_stage == stage

    def latest(wanted):
        return {v.current_stage: v.version for v in c.get_latest_versions("Latest", wanted)}

    assert latest(["None"]) == {"None": "7"}
    assert latest(["None", "Staging"]) == {"None": "7", "Staging": "6"}
    everything = {"Production": "4", "Staging": "6", "Archived": "3", "None": "7"}
    assert latest(None) == everything and latest([]) == everything


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_deleted_versions_are_gone_with_mlflows_messages(mlflow_client):
    c = mlflow_client
    c.create_registered_model("DeleteMV")
    for source, run in (("runs:/run_id/model", "run_id_1"), ("runs:/run_id/another_model", "run_id_1"),
                        ("runs:/run_id_2/a/b/c", "run_id_2")):
        c.create_model_version("DeleteMV", source, run)
    assert [m.latest_versions[0].version for m in c.search_registered_models() if m.name == "DeleteMV"] == ["3"]
    start = now_ms()
    c.delete_model_version("DeleteMV", "1")
    assert {v.version for v in c.search_model_versions("name = 'DeleteMV'")} == {"2", "3"}
    assert c.get_registered_model("DeleteMV").last_updated_timestamp >= start  # deleting moves the model
    for attempt in (lambda: c.delete_model_version("DeleteMV", "1"),
                    lambda: c.update_model_version("DeleteMV", 1, description="Test model"),
                    lambda: c.transition_model_version_stage("DeleteMV", 1, "Staging")):
        with pytest.raises(MlflowException, match=r"Model Version \(name=DeleteMV, version=1\) not found"):
            attempt()
    c.delete_model_version("DeleteMV", 3)
    assert {v.version for v in c.search_model_versions("name = 'DeleteMV'")} == {"2"}
    assert c.create_model_version("DeleteMV", "runs:/run_id_2/a/b/c", "run_id_2").version == "4"  # never reused


def test_aliases_answer_the_same_version(mlflow_client):
    c = mlflow_client
    c.create_registered_model("Alias")
    c.create_model_version("Alias", "runs:/run_id/model", "run_id_1")
    assert c.get_registered_model("Alias").aliases == {} and c.get_model_version("Alias", "1").aliases == []
    c.set_registered_model_alias("Alias", "test_alias", "1")
    assert c.get_registered_model("Alias").aliases == {"test_alias": "1"}
    mv = c.get_model_version("Alias", "1")
    assert mv.aliases == ["test_alias"] and c.get_model_version_by_alias("Alias", "test_alias") == mv
    c.delete_registered_model_alias("Alias", "test_alias")
    assert c.get_registered_model("Alias").aliases == {} and c.get_model_version("Alias", "1").aliases == []


def test_copy_model_version_within_its_model_and_to_another(tracking, mlflow_client):
    c = mlflow_client
    c.create_registered_model("CopyMV")
    src = c.create_model_version("CopyMV", "runs:/run_id/model", "run_id_1", description="dummy",
                                 tags={"hello": "world"})
    c.set_registered_model_alias("CopyMV", "test_alias", "1")
    copy = c.copy_model_version("models:/CopyMV@test_alias", "CopyMV")
    assert (copy.name, copy.version) == ("CopyMV", "2")
    copy = c.get_model_version("CopyMV", 2)
    assert copy.source == "models:/CopyMV/1" and copy.description == "dummy"
    assert copy.run_id == "run_id_1" and copy.tags == {"hello": "world"}
    assert c.get_model_version_download_uri("CopyMV", 2) == src.source
    assert tracking.api_version("CopyMV", 2)["version"] == "2.0.0"  # the next major

    # a version with a semantic version, copied within its model, gets the next major ...
    c.create_model_version("CopyMV", "runs:/run_id/model", "run_id_1", tags={"model_registry.version": "3.1.0"})
    third = c.copy_model_version("models:/CopyMV/3", "CopyMV")
    assert third.version == "4" and tracking.api_version("CopyMV", 4)["version"] == "4.0.0"
    assert third.tags == {}
    # ... and keeps it when copied to another model (which copy_model_version creates)
    other = c.copy_model_version("models:/CopyMV/3", "CopyMV-prod")
    assert other.version == "1" and other.tags == {"model_registry.version": "3.1.0"}
    assert c.get_model_version("CopyMV-prod", "3.1.0").run_id == "run_id_1"
