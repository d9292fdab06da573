"""The pages work without JavaScript: each form posts to the server, which does the work through
the service layer, and each deletion goes through a confirmation page."""
from __future__ import annotations

import html
import io
import re

import pytest
import sqlalchemy as sa

from ..support import PROJECT
from .conftest import csrf_from

P = f"/projects/{PROJECT}"


def stored_objects(app) -> list[str]:
    from flask_modelregistry.extension import current_state
    from flask_modelregistry.models import Artifact

    with app.app_context():
        return list(current_state().db.session.scalars(sa.select(Artifact.path).order_by(Artifact.path)))


def version_count(app) -> int:
    from flask_modelregistry.extension import current_state
    from flask_modelregistry.models import ModelVersion

    with app.app_context():
        return current_state().db.session.scalar(sa.select(sa.func.count(ModelVersion.id)))


def files_in_store(app) -> int:
    """Objects actually in the artifact store (local folder), not counting unfinished uploads."""
    from pathlib import Path

    root = Path(app.config["MODEL_REGISTRY_STORAGE_URI"])
    return sum(1 for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts)


def test_create_a_model_with_the_form(signed_in):
    rita = signed_in("rita")
    form = rita.get(f"{P}/models/new")
    assert b'<label class="mr-label" for="name">Name</label>' in form.data
    assert b'<label class="mr-label" for="description">Description</label>' in form.data
    response = rita.post(f"{P}/models/new", data={"name": "churn", "description": "## Card\nSome *text*.",
                                                  "csrf_token": csrf_from(form.data)})
    assert response.status_code == 302
    page = rita.get(response.headers["Location"])
    assert b"<h1 class=\"mr-title\">churn</h1>" in page.data
    assert b"<h2>Card</h2>" in page.data and b"<em>text</em>" in page.data  # a card's highest heading sits right below the h1
    assert b"Model churn created." in page.data
    listing = rita.get(f"{P}/models").data
    assert b">churn</a>" in listing and b"No versions" in listing


def test_the_empty_registry_offers_the_form_and_the_mlflow_snippet(signed_in):
    rita = signed_in("rita")
    page = rita.get(f"{P}/models").data
    assert b"Start tracking your machine learning models" in page
    assert b'action="/projects/proj/models/new"' in page and b'id="name"' in page
    assert 'export MLFLOW_TRACKING_URI="http://localhost/api/v1/projects/proj/ml/mlflow"' in html.unescape(page.decode())
    token = csrf_from(page)
    assert rita.post(f"{P}/models/new", data={"name": "first", "csrf_token": token}).status_code == 302
    assert b"Start tracking" not in rita.get(f"{P}/models").data


@pytest.mark.parametrize("name,message,status", [
    ("", b"Enter a name.", 422),
    ("bad/name", b"Use letters, digits, spaces", 422),
    ("churn", b"Has already been taken.", 409),
])
def test_model_name_errors_show_next_to_the_field(seeded, signed_in, name, message, status):
    rita = signed_in("rita")
    token = csrf_from(rita.get(f"{P}/models/new").data)
    response = rita.post(f"{P}/models/new", data={"name": name, "csrf_token": token})
    assert response.status_code == status
    html = response.data.decode()
    error_at = html.index('id="name-error"')
    assert message.decode() in html[error_at:error_at + 300]
    assert 'aria-invalid="true"' in html


def test_create_a_version_with_files_metrics_and_parameters(app, seeded, signed_in):
    rita = signed_in("rita")
    token = csrf_from(rita.get(f"{seeded.model_url}/versions/new").data)
    response = rita.post(f"{seeded.model_url}/versions/new", data={
        "version": "2.0.0-rc1", "description": "Candidate.", "subfolder": "weights",
        "metrics": "accuracy=0.9\nloss=0.5, 0.4, 0.3", "params": "epochs=3\nlr=0.1", "metadata": "team=payments",
        "files": [(io.BytesIO(b"A" * 1000), "part-1.bin"), (io.BytesIO(b"B" * 10), "part-2.bin")],
        "csrf_token": token,
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.data[:2000]
    page = rita.get(response.headers["Location"] + "?tab=artifacts").data.decode()
    assert "weights/" in page and "part-1.bin" in page and "part-2.bin" in page
    assert "1,000 bytes" in page
    import hashlib
    assert hashlib.sha256(b"A" * 1000).hexdigest() in page
    performance = rita.get(response.headers["Location"] + "?tab=performance").data.decode()
    assert "<th scope=\"row\">epochs</th><td>3</td>" in performance
    assert "<th scope=\"row\">team</th><td>payments</td>" in performance
    # accuracy was logged once: a value, not a one-point chart; loss over three steps: a chart
    assert performance.count('class="mr-chart"') == 1
    assert '<div class="mr-metric-value" data-metric="accuracy"><dt>accuracy</dt><dd>0.9</dd></div>' in performance
    assert "loss at step 2: 0.3" in performance
    assert "weights/part-1.bin" in stored_objects(app)


def test_an_invalid_version_is_refused_next_to_its_field_and_nothing_is_made(app, seeded, signed_in):
    rita = signed_in("rita")
    before = (version_count(app), files_in_store(app))
    token = csrf_from(rita.get(f"{seeded.model_url}/versions/new").data)
    response = rita.post(f"{seeded.model_url}/versions/new", data={
        "version": "1.0", "files": [(io.BytesIO(b"x"), "a.bin")], "csrf_token": token,
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.data.decode()
    error_at = html.index('id="version-error"')
    assert "Must be a semantic version" in html[error_at:error_at + 300]
    assert (version_count(app), files_in_store(app)) == before


@pytest.mark.parametrize("version,field_text", [("1.0.0", "Version 1.0.0 already exists."),
                                                ("1.1.0+build7", "Version 1.1.0 already exists.")])
def test_a_taken_version_is_refused(app, seeded, signed_in, version, field_text):
    rita = signed_in("rita")
    token = csrf_from(rita.get(f"{seeded.model_url}/versions/new").data)
    response = rita.post(f"{seeded.model_url}/versions/new", data={"version": version, "csrf_token": token})
    assert response.status_code == 409
    assert field_text in response.data.decode()
    assert version_count(app) == 2


def test_a_file_that_fails_leaves_no_half_made_version(app, seeded, signed_in, app_config):
    """The second file is over the size limit: the version and the first file are removed again."""
    app.config["MODEL_REGISTRY_MAX_FILE_SIZE"] = 100
    rita = signed_in("rita")
    before = (version_count(app), files_in_store(app), stored_objects(app))
    token = csrf_from(rita.get(f"{seeded.model_url}/versions/new").data)
    response = rita.post(f"{seeded.model_url}/versions/new", data={
        "version": "3.0.0", "files": [(io.BytesIO(b"small"), "ok.bin"), (io.BytesIO(b"x" * 101), "big.bin")],
        "csrf_token": token,
    }, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "big.bin: file is larger than the limit of 100 bytes" in response.data.decode()
    assert (version_count(app), files_in_store(app), stored_objects(app)) == before
    versions_tab = rita.get(f"{seeded.model_url}?tab=versions").data
    assert b"3.0.0" not in versions_tab


def test_upload_files_to_a_version_with_the_form(app, seeded, signed_in):
    rita = signed_in("rita")
    page = rita.get(seeded.version_url(seeded.v2) + "?tab=artifacts")
    assert b"This version has no files yet." in page.data
    response = rita.post(seeded.version_url(seeded.v2) + "/artifacts/upload", data={
        "subfolder": "config", "files": [(io.BytesIO(b"{}"), "a.json"), (io.BytesIO(b"{}"), "b.json")],
        "csrf_token": csrf_from(page.data),
    }, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("?tab=artifacts")
    after = rita.get(response.headers["Location"]).data.decode()
    assert "Uploaded 2 files: config/a.json, config/b.json." in after
    assert 'value="config/a.json"' in after and 'value="config/b.json"' in after
    # the same file again is refused, the others still go in
    again = rita.post(seeded.version_url(seeded.v2) + "/artifacts/upload", data={
        "subfolder": "config", "files": [(io.BytesIO(b"{}"), "a.json"), (io.BytesIO(b"{}"), "c.json")],
        "csrf_token": csrf_from(page.data),
    }, content_type="multipart/form-data")
    html = rita.get(again.headers["Location"]).data.decode()
    assert "config/a.json was not uploaded: config/a.json already exists." in html
    assert "Uploaded 1 file: config/c.json." in html


def test_delete_files_through_the_confirmation_page(app, seeded, signed_in):
    rita = signed_in("rita")
    url = seeded.version_url(seeded.v1) + "/artifacts/delete?paths=README.md&paths=config/params.json"
    confirm = rita.get(url)
    html = confirm.data.decode()
    assert confirm.status_code == 200 and "Delete 2 files of churn 1.0.0?" in html
    assert "These 2 files will be deleted. This cannot be undone." in html
    one = rita.get(seeded.version_url(seeded.v1) + "/artifacts/delete?paths=README.md").data.decode()
    assert "Delete 1 file of churn 1.0.0?" in one and "This file will be deleted. This cannot be undone." in one
    assert '<button type="submit" class="mr-btn mr-btn-danger">Delete</button>' in html
    assert stored_objects(app) == ["README.md", "config/params.json", "model/weights.bin"]
    response = rita.post(seeded.version_url(seeded.v1) + "/artifacts/delete",
                         data={"paths": ["README.md", "config/params.json"], "csrf_token": csrf_from(confirm.data)})
    assert response.status_code == 302
    assert stored_objects(app) == ["model/weights.bin"]
    assert b"Deleted 2 files: README.md, config/params.json." in rita.get(response.headers["Location"]).data


def test_delete_a_version_then_the_model_through_confirmation_pages(app, seeded, signed_in):
    rita = signed_in("rita")
    confirm = rita.get(seeded.version_url(seeded.v1) + "/delete")
    assert b"Delete version 1.0.0 of churn?" in confirm.data and b">Delete model version</button>" in confirm.data
    response = rita.post(seeded.version_url(seeded.v1) + "/delete", data={"csrf_token": csrf_from(confirm.data)})
    assert response.status_code == 302 and response.headers["Location"].endswith("?tab=versions")
    assert rita.get(seeded.version_url(seeded.v1)).status_code == 404
    assert version_count(app) == 1 and files_in_store(app) == 0

    confirm = rita.get(f"{seeded.model_url}/delete")
    assert b"Delete model churn?" in confirm.data and b"its 1 version and all their files" in confirm.data
    assert b">Delete model</button>" in confirm.data
    response = rita.post(f"{seeded.model_url}/delete", data={"csrf_token": csrf_from(confirm.data)})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{P}/models")
    listing = rita.get(f"{P}/models").data
    assert b"Model churn and all its versions were deleted." in listing
    assert b"Start tracking your machine learning models" in listing
    assert version_count(app) == 0


def test_edit_the_model_card_and_the_version_card(seeded, signed_in):
    rita = signed_in("rita")
    form = rita.get(f"{seeded.model_url}/edit")
    assert b"Predicts **churn** of customers." in form.data
    response = rita.post(f"{seeded.model_url}/edit", data={
        "name": "churn", "description": "## Limits\n\nOnly for *retail* customers.", "csrf_token": csrf_from(form.data)})
    assert response.status_code == 302
    assert b"<h2>Limits</h2>" in rita.get(seeded.model_url).data
    form = rita.get(seeded.version_url(seeded.v2) + "/edit")
    rita.post(seeded.version_url(seeded.v2) + "/edit", data={"description": "Retrained **weekly**.",
                                                             "csrf_token": csrf_from(form.data)})
    assert b"Retrained <strong>weekly</strong>." in rita.get(seeded.version_url(seeded.v2)).data


def test_maintainers_change_the_registry_settings(app, seeded, signed_in):
    maintainer = signed_in("max")
    form = maintainer.get(f"{P}/model-registry/settings")
    assert re.search(rb'<input[^>]* checked [^>]*type="radio" value="private"', form.data)
    assert re.search(rb'<input[^>]* checked [^>]*name="enabled"', form.data)
    response = maintainer.post(f"{P}/model-registry/settings", data={
        "visibility": "public", "csrf_token": csrf_from(form.data)})  # "enabled" unticked
    assert response.status_code == 302
    page = maintainer.get(f"{P}/model-registry/settings").data
    assert b"the model registry is disabled and public" in page
    assert maintainer.get(f"{P}/models").status_code == 404
    maintainer.post(f"{P}/model-registry/settings", data={
        "enabled": "y", "visibility": "public", "csrf_token": csrf_from(page)})
    assert maintainer.get(f"{P}/models").status_code == 200
    assert app.test_client().get(f"{P}/models").status_code == 200  # public: no sign-in needed
