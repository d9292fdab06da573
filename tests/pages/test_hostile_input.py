"""No input a client can send gives a 500: hostile paths and names in the forms, nonsense in the
query string, ids that do not exist or belong to another project."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from ..support import PROJECT, add_people
from .conftest import actor_of, csrf_from

P = f"/projects/{PROJECT}"
HOSTILE_NAMES = ["../../etc/passwd", "..", "nul\x00byte.bin", "/abs.bin", " spaced.bin",
                 "x" * 300, "tab\tname.bin", "new\nline.bin"]
HOSTILE_FOLDERS = ["../up", "a/../../b", "/../abs", "a//b", "c:\\windows", "dot/./x", "x" * 1100]


def artifact_paths(app) -> list[str]:
    from flask_modelregistry.extension import current_state
    from flask_modelregistry.models import Artifact

    with app.app_context():
        return sorted(current_state().db.session.scalars(sa.select(Artifact.path)))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_are_refused_on_upload(app, seeded, signed_in, name):
    rita = signed_in("rita")
    before = artifact_paths(app)
    page = rita.get(seeded.version_url(seeded.v2) + "?tab=artifacts")
    response = rita.post(seeded.version_url(seeded.v2) + "/artifacts/upload", data={
        "files": [(io.BytesIO(b"x"), name)], "csrf_token": csrf_from(page.data)}, content_type="multipart/form-data")
    assert response.status_code == 302
    after = rita.get(response.headers["Location"])
    assert after.status_code == 200
    assert b"was not uploaded" in after.data or b"Choose at least one file" in after.data
    assert artifact_paths(app) == before


def test_text_sent_in_place_of_files_is_no_file(app, seeded, signed_in):
    rita = signed_in("rita")
    token = csrf_from(rita.get(seeded.version_url(seeded.v2)).data)
    response = rita.post(seeded.version_url(seeded.v2) + "/artifacts/upload", data={"files": "not a file",
                                                                                    "csrf_token": token})
    assert response.status_code == 302
    assert b"Choose at least one file to upload." in rita.get(response.headers["Location"]).data
    created = rita.post(f"{seeded.model_url}/versions/new", data={"version": "4.0.0", "files": "text",
                                                                  "csrf_token": token})
    assert created.status_code == 302
    assert b"This version has no files yet." in rita.get(created.headers["Location"] + "?tab=artifacts").data


@pytest.mark.parametrize("folder", HOSTILE_FOLDERS)
def test_hostile_subfolders_are_refused_everywhere(app, seeded, signed_in, folder):
    rita = signed_in("rita")
    before = artifact_paths(app)
    page = rita.get(seeded.version_url(seeded.v2))
    upload = rita.post(seeded.version_url(seeded.v2) + "/artifacts/upload", data={
        "subfolder": folder, "files": [(io.BytesIO(b"x"), "ok.bin")], "csrf_token": csrf_from(page.data)},
        content_type="multipart/form-data")
    assert upload.status_code == 302
    assert b"Nothing was uploaded: Subfolder: " in rita.get(upload.headers["Location"]).data
    create = rita.post(f"{seeded.model_url}/versions/new", data={
        "version": "5.0.0", "subfolder": folder, "files": [(io.BytesIO(b"x"), "ok.bin")],
        "csrf_token": csrf_from(page.data)}, content_type="multipart/form-data")
    assert create.status_code == 422
    html = create.data.decode()
    assert "subfolder" in html[html.index('id="subfolder-error"'):][:400].lower()
    assert artifact_paths(app) == before
    assert b"5.0.0" not in rita.get(f"{seeded.model_url}?tab=versions").data


@pytest.mark.parametrize("path", ["../../etc/passwd", "/README.md", "README.md/..", "nope.bin", "a\\b", "%2e%2e/x"])
def test_deleting_hostile_or_unknown_paths_fails_cleanly(app, seeded, signed_in, path):
    rita = signed_in("rita")
    before = artifact_paths(app)
    confirm = rita.get(seeded.version_url(seeded.v1) + "/artifacts/delete", query_string={"paths": path})
    assert confirm.status_code == 302  # nothing to confirm: back to the list
    token = csrf_from(rita.get(seeded.version_url(seeded.v1)).data)
    response = rita.post(seeded.version_url(seeded.v1) + "/artifacts/delete",
                         data={"paths": [path, "README.md"], "csrf_token": token})
    assert response.status_code in (400, 404)
    assert artifact_paths(app) == before


def test_nonsense_in_the_query_string_is_ignored(seeded, signed_in):
    rita = signed_in("rita")
    for query in ("page=-3", "page=abc", "page=99999999999", "sort=drop%20table", "order=sideways",
                  "search=%25%25_%5C", "tab=<script>", "project=other", "_external=1", "page=2&page=3",
                  "endpoint=static", "tab=versions&endpoint=x&values=1"):
        for url in (f"{P}/models", seeded.model_url, seeded.version_url(seeded.v1)):
            response = rita.get(f"{url}?{query}")
            assert response.status_code == 200, f"{url}?{query}"
            assert b"<script>" not in response.data


def test_other_projects_models_and_mismatched_ids_are_not_found(app, seeded, signed_in):
    from flask_modelregistry.services import registered_models, versions

    add_people(app, "other")
    with app.app_context():
        olga = actor_of("olga")
        foreign = registered_models.create_model("other", olga, name="secret")
        foreign_version = versions.create_version("other", olga, foreign, version="1.0.0")
        foreign_id, foreign_version_id = foreign.id, foreign_version.id
    rita = signed_in("rita")
    for url in (f"{P}/models/{foreign_id}", f"{P}/models/{foreign_id}/versions/{foreign_version_id}",
                f"{seeded.model_url}/versions/{foreign_version_id}", f"{P}/models/{foreign_id}/delete",
                f"{P}/models/2147483648", f"{P}/models/{seeded.model_id}/versions/99999999999"):
        response = rita.get(url)
        assert response.status_code == 404, url
        assert b"secret" not in response.data
    token = csrf_from(rita.get(f"{P}/models").data)
    assert rita.post(f"{P}/models/{foreign_id}/delete", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert registered_models.get_model("other", actor_of("olga"), foreign_id).name == "secret"


def test_wrong_methods_and_overlong_values_get_pages_not_crashes(seeded, signed_in):
    rita = signed_in("rita")
    assert rita.put(f"{P}/models/new").status_code == 405
    token = csrf_from(rita.get(f"{P}/models/new").data)
    response = rita.post(f"{P}/models/new", data={"name": "n" * 5000, "csrf_token": token})
    assert response.status_code == 422 and b"Field cannot be longer than 255 characters." in response.data
    response = rita.post(f"{P}/models/new", data={"name": "ok", "description": "\x00", "csrf_token": token})
    assert response.status_code == 422 and b"Must not contain NUL characters." in response.data
    response = rita.post(f"{seeded.model_url}/versions/new", data={
        "version": "2.0.0", "metrics": "accuracy=high\nloss", "csrf_token": token})
    assert response.status_code == 422 and b"Line 2: write name=value." in response.data
    response = rita.post(f"{seeded.model_url}/versions/new", data={
        "version": "2.0.0", "metrics": "accuracy=0.9, x", "params": "a=1\na=2", "csrf_token": token})
    assert b"accuracy: x is not a number." in response.data and b"Line 2: a is given twice." in response.data
