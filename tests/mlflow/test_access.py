"""Tokens and roles through the MLflow client, as for the JSON API: a ``read_api`` token and a guest
read but are refused writes (``PERMISSION_DENIED``); no token on a private project is
``UNAUTHENTICATED``; another project's runs, models and files do not exist from here."""
from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from ..support import add_people, set_registry
from .conftest import error_code, write_file

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def fraud_version(tracking):
    c = tracking.use("rita")
    c.create_registered_model("fraud")
    return c.create_model_version("fraud", "s3://b/1", tags={"model_registry.version": "1.0.0"})


@pytest.mark.parametrize("who, read_only", [("rita", True), ("gus", False), ("gus", True)])
def test_read_only_callers_read_and_are_refused_writes(tracking, fraud_version, tmp_path, who, read_only):
    c = tracking.use(who, read_only=read_only)
    assert c.get_registered_model("fraud").name == "fraud"
    assert c.get_model_version("fraud", "1.0.0").run_id == fraud_version.run_id
    assert [m.name for m in c.search_registered_models()] == ["fraud"]
    writes = [
        lambda: c.create_registered_model("other"),
        lambda: c.update_registered_model("fraud", description="x"),
        lambda: c.set_registered_model_alias("fraud", "champion", "1"),
        lambda: c.create_model_version("fraud", "s3://b/2"),
        lambda: c.delete_model_version("fraud", "1"),
        lambda: c.log_metric(fraud_version.run_id, "auc", 0.5),
        lambda: c.set_tag(fraud_version.run_id, "k", "v"),
    ]
    for write in writes:
        with pytest.raises(MlflowException) as excinfo:
            write()
        assert error_code(excinfo) == "PERMISSION_DENIED"
    with pytest.raises(Exception) as excinfo:
        c.log_artifact(fraud_version.run_id, write_file(tmp_path, "f.txt", "x"))
    assert "403" in str(excinfo.value)
    assert tracking.api_model("fraud")["version_count"] == 1
    assert tracking.api_files("fraud", 1) == {}


def test_no_or_bad_credentials_on_a_private_project(tracking, fraud_version):
    c = tracking.use(None)
    with pytest.raises(MlflowException) as excinfo:
        c.get_registered_model("fraud")
    assert error_code(excinfo) == "UNAUTHENTICATED"
    answer = tracking.http("GET", "/api/2.0/mlflow/registered-models/get", person=None, params={"name": "fraud"})
    assert answer.status_code == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
    assert "Bearer" in answer.headers["WWW-Authenticate"]
    answer = tracking.http("GET", "/api/2.0/mlflow/registered-models/get", person=None, params={"name": "fraud"},
                           headers={"Authorization": "Bearer mrt_not-a-token"})
    assert answer.status_code == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"


def test_basic_auth_with_the_token_as_password(tracking, fraud_version):
    c = tracking.use("rita", basic=True)
    assert c.get_model_version("fraud", "1").version == "1"
    c.set_model_version_tag("fraud", "1", "checked", "yes")
    assert tracking.api_version("fraud", 1)["metadata"] == {"checked": "yes"}


def test_public_project_reads_without_credentials(tracking, fraud_version):
    set_registry(tracking.app, visibility="public")
    c = tracking.use(None)
    assert c.get_model_version("fraud", "1").run_id == fraud_version.run_id
    with pytest.raises(MlflowException) as excinfo:
        c.create_registered_model("anonymous")
    assert error_code(excinfo) == "UNAUTHENTICATED"


def test_non_members_and_disabled_registries_see_nothing(tracking, fraud_version):
    c = tracking.use("otto")  # signed up, not a member of the private project: it does not exist for him
    with pytest.raises(MlflowException) as excinfo:
        c.get_registered_model("fraud")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    set_registry(tracking.app, enabled=False)
    c = tracking.use("rita")
    with pytest.raises(MlflowException) as excinfo:
        c.get_registered_model("fraud")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"


def test_another_projects_objects_do_not_exist_here(tracking, fraud_version, tmp_path):
    add_people(tracking.app, "other")
    theirs = tracking.use("olga", project="other")
    theirs.create_registered_model("secret")
    secret = theirs.create_model_version("secret", "s3://b/s")
    theirs.log_artifact(secret.run_id, write_file(tmp_path, "weights.bin", b"secret"))

    c = tracking.use("olga", project="proj")  # olga owns both projects; the URI says which one she means
    attempts = [
        lambda: c.get_registered_model("secret"),
        lambda: c.get_run(secret.run_id),
        lambda: c.log_metric(secret.run_id, "stolen", 1.0),
    ]
    for attempt in attempts:
        with pytest.raises(MlflowException) as excinfo:
            attempt()
        assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    theirs_path = f"{ARTIFACTS}/0/{secret.run_id}/artifacts/weights.bin"
    answer = tracking.http("GET", theirs_path, person="olga")
    assert answer.status_code == 404 and answer.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # in this project that path is a path of its own artifact root: a PUT and a DELETE stay there
    assert tracking.http("PUT", theirs_path, person="olga", data=b"overwritten").status_code == 200
    assert tracking.http("GET", theirs_path, person="olga").content == b"overwritten"
    assert tracking.http("DELETE", theirs_path, person="olga").status_code == 200
    assert theirs.download_artifacts(secret.run_id, "weights.bin", str(tmp_path / "theirs"))
    assert (tmp_path / "theirs" / "weights.bin").read_bytes() == b"secret"
    listing = tracking.http("GET", ARTIFACTS, person="olga", params={"path": f"0/{secret.run_id}/artifacts"})
    assert listing.status_code == 200 and listing.json() == {}  # nothing left at that path of this root
    # a version naming their run keeps the id as given, as for any run this server does not know here,
    # and reaches none of their run's files or values
    mine = c.create_model_version("fraud", f"runs:/{secret.run_id}/", run_id=secret.run_id)
    assert mine.run_id == secret.run_id and tracking.api_files("fraud", int(mine.version)) == {}
    with pytest.raises(MlflowException) as excinfo:
        c.log_metric(mine.run_id, "stolen", 1.0)
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    assert [f.path for f in theirs.list_artifacts(secret.run_id)] == ["weights.bin"]
    assert theirs.get_run(secret.run_id).data.metrics == {}
