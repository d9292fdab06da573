"""What MLflow's ``tests/tracking/test_mlflow_artifacts.py`` checks of the ``mlflow-artifacts``
proxy, checked here against a project's artifact root with the real client and raw requests: any
path under the root, MLflow's listing and content types, the runs' files, the tracking API's
``artifacts/list`` and ``get-artifact``, with the project's roles. Written from what those tests
check, not from their code."""
from __future__ import annotations

import cgi
import os

import mlflow
from mlflow.artifacts import download_artifacts

from ..support import add_people

ROOT = "/api/2.0/mlflow-artifacts/artifacts"


def put(tracking, path: str, data: bytes, person: str = "rita", **headers):
    return tracking.http("PUT", f"{ROOT}/{path}", person=person, data=data, headers=headers)


def test_any_path_under_the_root_up_down_and_listed(tracking, mlflow_client):
    assert put(tracking, "a.txt", b"0").status_code == 200
    assert put(tracking, "dir/b.txt", b"1").status_code == 200
    for path, content in (("a.txt", b"0"), ("dir/b.txt", b"1")):
        got = tracking.http("GET", f"{ROOT}/{path}")
        assert got.status_code == 200 and got.content == content
        assert got.headers["X-Content-Type-Options"] == "nosniff" and "Content-Disposition" in got.headers
    assert tracking.http("GET", ROOT).json() == {"files": [{"path": "a.txt", "is_dir": False, "file_size": 1},
                                                           {"path": "dir", "is_dir": True}]}
    assert tracking.http("GET", ROOT, params={"path": "dir"}).json() == {
        "files": [{"path": "b.txt", "is_dir": False, "file_size": 1}]}
    assert tracking.http("GET", ROOT, params={"path": "nowhere"}).json() == {}
    assert tracking.http("GET", f"{ROOT}/nowhere.txt").status_code == 404

    # a version whose source is the artifact root serves the root's files
    mlflow_client.create_registered_model("GetModelVersionTest")
    mlflow_client.create_model_version("GetModelVersionTest", "mlflow-artifacts:", "1")
    got = tracking.http("GET", "/model-versions/get-artifact",
                        params={"name": "GetModelVersionTest", "version": "1", "path": "a.txt"})
    assert got.status_code == 200 and got.text == "0"

    assert tracking.http("DELETE", f"{ROOT}/dir").status_code == 200
    assert tracking.http("GET", ROOT).json() == {"files": [{"path": "a.txt", "is_dir": False, "file_size": 1}]}


def test_the_root_has_the_projects_roles(tracking, people):
    assert put(tracking, "shared/model.bin", b"weights").status_code == 200
    guest = put(tracking, "shared/guest.bin", b"x", person="gus")
    assert guest.status_code == 403 and guest.json()["error_code"] == "PERMISSION_DENIED"
    read_only = tracking.http("PUT", f"{ROOT}/shared/ro.bin", person=None, data=b"x",
                              headers={"Authorization": f"Bearer {people['rita'].read_token}"})
    assert read_only.status_code == 403
    assert tracking.http("PUT", f"{ROOT}/shared/anon.bin", person=None, data=b"x").status_code == 401
    assert tracking.http("GET", f"{ROOT}/shared/model.bin", person="gus").content == b"weights"  # guests read
    assert tracking.http("GET", ROOT, person="otto").status_code in (403, 404)  # no member
    add_people(tracking.app, "other")
    elsewhere = tracking.http("GET", f"{ROOT}/shared/model.bin", person="olga", project="other")
    assert elsewhere.status_code == 404  # each project has a root of its own
    assert tracking.http("GET", ROOT, person="olga", project="other").json() == {}


def test_runs_files_through_the_fluent_api_and_the_tracking_listing(tracking, tmp_path):
    (tmp_path / "a.txt").write_text("0")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "b.txt").write_text("1")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "a.txt"))
        mlflow.log_artifact(str(tmp_path / "a.txt"), artifact_path="artifact_path")
        mlflow.log_artifacts(str(tmp_path / "dir"), artifact_path="dir")
    client = mlflow.MlflowClient()
    run_id = run.info.run_id
    assert sorted(a.path for a in client.list_artifacts(run_id)) == ["a.txt", "artifact_path", "dir"]
    assert [a.path for a in client.list_artifacts(run_id, "dir")] == ["dir/b.txt"]
    dest = download_artifacts(run_id=run_id, artifact_path="", dst_path=str(tmp_path / "all"))
    assert sorted(os.listdir(dest)) == ["a.txt", "artifact_path", "dir"]
    assert open(os.path.join(dest, "dir", "b.txt")).read() == "1"
    assert os.listdir(download_artifacts(run_id=run_id, artifact_path="dir", dst_path=str(tmp_path / "d"))) == ["b.txt"]

    listed = tracking.http("GET", "/api/2.0/mlflow/artifacts/list", params={"run_id": run_id}).json()
    assert listed["root_uri"] == run.info.artifact_uri
    assert listed["files"] == [{"path": "a.txt", "is_dir": False, "file_size": 1},
                               {"path": "artifact_path", "is_dir": True}, {"path": "dir", "is_dir": True}]
    nested = tracking.http("GET", "/api/2.0/mlflow/artifacts/list", params={"run_id": run_id, "path": "dir"}).json()
    assert nested["files"] == [{"path": "dir/b.txt", "is_dir": False, "file_size": 1}]
    got = tracking.http("GET", "/get-artifact", params={"run_id": run_id, "path": "a.txt"})
    assert got.status_code == 200 and got.text == "0"


def test_downloads_carry_mlflows_content_types(tracking):
    expected = {"a.txt": "text/plain", "b.pkl": "application/octet-stream", "c.png": "image/png",
                "d.pdf": "application/pdf", "MLmodel": "text/plain", "mlproject": "text/plain"}
    for name, mime in expected.items():
        # whatever the upload declared, and whatever the download asks for
        assert put(tracking, f"dir/{name}", b"", **{"Content-Type": "text/html"}).status_code == 200
        got = tracking.http("GET", f"{ROOT}/dir/{name}", headers={"Accept": "text/html"})
        _, params = cgi.parse_header(got.headers["Content-Disposition"])
        assert params["filename"] == name and got.headers["Content-Type"] == mime, name
        assert got.headers["X-Content-Type-Options"] == "nosniff"
