"""A version the MLflow client created with a ``run_id`` this server does not know: MLflow (and the
JSON API) show that id as the version's ``run_id``, while the version's files, metrics and
parameters live in a run made for it. What is uploaded and logged to the version through the JSON
API, the pages and the MLflow client shows on its pages, the compare page and the downloads, and
every door agrees on which id is which."""
from __future__ import annotations

import hashlib
import html
import io
import re

from ..mlflow.conftest import tracking  # noqa: F401  (a fixture: the MLflow client against the live app)
from ..support import PROJECT, login
from .conftest import csrf_from

API = f"/api/v1/projects/{PROJECT}"
UNKNOWN = "0123456789abcdef0123456789abcdef"
WEIGHTS = b"\x00\x01weights" * 100
NOTES = b"trained on the October data\n"
FILES_RUN = re.compile(r'<dd data-mr-files-run><code class="mr-code-inline">([0-9a-f]+)</code>')


def test_a_version_from_an_unknown_run_shows_its_files_and_metrics_on_every_door(tracking):  # noqa: F811
    app = tracking.app
    rita, gus = tracking.people["rita"], tracking.people["gus"]
    mlflow = tracking.use("rita")
    mlflow.create_registered_model("fraud")
    made = mlflow.create_model_version("fraud", f"runs:/{UNKNOWN}/model", run_id=UNKNOWN)
    other = mlflow.create_model_version("fraud", "s3://bucket/fraud/2")
    assert made.run_id == UNKNOWN
    version = tracking.api_version("fraud", int(made.version))
    other_id = tracking.api_version("fraud", int(other.version))["id"]
    model_url = f"/projects/{PROJECT}/models/{version['model_id']}"
    url = f"{model_url}/versions/{version['id']}"
    reader = app.test_client()
    login(reader, "gus")

    # the card shows the id MLflow clients know the version by, and the run its files are in; the
    # empty Performance tab tells to log to the latter (logging to the former is refused: no such run)
    card = reader.get(url).get_data(as_text=True)
    assert f'<code class="mr-code-inline">{UNKNOWN}</code>' in card
    files_run = FILES_RUN.search(card).group(1)
    assert files_run != UNKNOWN
    page = html.unescape(reader.get(url + "?tab=performance").get_data(as_text=True))
    hint = re.search(r"No metrics logged\..*?</p>", page).group(0)
    assert f'client.log_metric("{files_run}", "accuracy"' in hint
    assert FILES_RUN.search(reader.get(f"{model_url}/versions/{other_id}").get_data(as_text=True)) is None

    # files and metrics the ways a user adds them to a version: the JSON API ...
    api = app.test_client()
    base = f"{API}/models/{version['model_id']}/versions/{version['id']}"
    r = api.put(f"{base}/artifacts/model/weights.bin", data=WEIGHTS, headers=rita.headers)
    assert r.status_code == 201, r.json
    r = api.post(f"{base}/metrics", headers=rita.headers, json=[
        {"key": "accuracy", "value": value, "step": step} for step, value in enumerate([0.81, 0.87, 0.93])])
    assert r.status_code in (200, 201), r.json
    assert api.put(f"{base}/params", json={"learning_rate": "0.01"}, headers=rita.headers).status_code == 200
    # ... the Artifacts tab's upload form ...
    writer = app.test_client()
    login(writer, "rita")
    token = csrf_from(writer.get(url + "?tab=artifacts").data)
    r = writer.post(url + "/artifacts/upload", content_type="multipart/form-data", data={
        "subfolder": "docs", "files": [(io.BytesIO(NOTES), "notes.txt")], "csrf_token": token})
    assert r.status_code == 302, r.data[:500]
    # ... and the MLflow client, to the run the card names
    mlflow.log_metric(files_run, "loss", 0.25, step=0)

    artifacts = reader.get(url + "?tab=artifacts").get_data(as_text=True)
    assert re.findall(r'<tr (?:class="mr-tree-folder"|data-path="([^"]+)")', artifacts) == \
        ["", "docs/notes.txt", "", "model/weights.bin"]
    assert 'id="mr-artifacts-count">2</span>' in artifacts
    assert hashlib.sha256(WEIGHTS).hexdigest() in artifacts and hashlib.sha256(NOTES).hexdigest() in artifacts
    for path, content in (("model/weights.bin", WEIGHTS), ("docs/notes.txt", NOTES)):
        link = re.search(rf'href="([^"]+/artifacts/{re.escape(path)})" download', artifacts).group(1)
        download = reader.get(link)
        assert download.status_code == 200 and download.data == content
        package = api.get(f"{API}/packages/ml_models/{version['id']}/files/{path}", headers=gus.headers)
        assert package.status_code == 200 and package.data == content

    performance = reader.get(url + "?tab=performance").get_data(as_text=True)
    assert "No metrics logged." not in performance
    assert '<th scope="row">learning_rate</th><td>0.01</td>' in performance
    assert "accuracy at step 2: 0.93" in performance
    assert '<dt>loss</dt><dd>0.25</dd>' in performance

    compare = reader.get(f"{model_url}/compare?versions={version['id']},{other_id}")
    assert compare.status_code == 200
    assert "0.93" in compare.get_data(as_text=True) and "0.25" in compare.get_data(as_text=True)

    # the JSON API and MLflow tell the same story
    shown = tracking.api_version("fraud", int(made.version))
    assert shown["run_id"] == UNKNOWN and shown["artifact_count"] == 2
    assert sorted((m["key"], m["value"], m["step"]) for m in shown["metrics"]) == \
        [("accuracy", 0.93, 2), ("loss", 0.25, 0)]
    assert shown["params"] == {"learning_rate": "0.01"}
    assert sorted(tracking.api_files("fraud", int(made.version))) == ["docs/notes.txt", "model/weights.bin"]
    compared = api.get(f"{API}/models/{version['model_id']}/compare?versions={version['id']},{other_id}",
                       headers=rita.headers).json
    assert {v["id"]: v["run_id"] for v in compared["versions"]} == {version["id"]: UNKNOWN, other_id: other.run_id}
    assert mlflow.get_model_version("fraud", made.version).run_id == UNKNOWN
    assert [v.version for v in mlflow.search_model_versions(f"run_id = '{UNKNOWN}'")] == [made.version]
