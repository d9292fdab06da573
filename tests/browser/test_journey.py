"""The seed's journey, clicked through in Chromium as a reporter: create a model, create a version
with two files in a subfolder, add files by "select" and by dropping them, delete two files with
the checkboxes, then delete the version and the model, each checked on the page and in the
database. Every page is saved as a screenshot for review."""
from __future__ import annotations

import contextlib
import hashlib
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from ..support import PROJECT
from .conftest import artifact_files, in_database, model_names, screenshot, version_labels

pytestmark = [pytest.mark.browser, pytest.mark.live]

DROP_SCRIPT = """({name, size}) => {
  const zone = document.querySelector("[data-mr-dropzone]");
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type: "application/octet-stream"}));
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
  }
}"""
WATCH_STATUSES = """() => {
  window.mrSeen = [];
  const list = document.querySelector("[data-mr-upload-list]");
  new MutationObserver(() => list.querySelectorAll(".mr-upload-status").forEach(
    (el) => window.mrSeen.push(el.textContent))).observe(list, {subtree: true, childList: true, characterData: true});
}"""


def dropped_bytes(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def test_a_reporter_goes_through_the_whole_journey(open_as, live_server):
    app = live_server.app
    page = open_as("rita")

    # -- the empty registry, then a new model from the Create/Import menu --------------------
    page.get_by_role("link", name="Model registry").first.click()
    expect(page.get_by_role("heading", name="Model registry", exact=True)).to_be_visible()
    expect(page.get_by_text("Start tracking your machine learning models")).to_be_visible()
    expect(page.get_by_text(f"{live_server.url}/api/v1/projects/{PROJECT}/ml/mlflow").first).to_be_visible()
    screenshot(page, "01-model-list-empty")
    page.get_by_role("button", name="Create/Import").click()
    page.get_by_role("menuitem", name="Create new model").click()
    expect(page).to_have_url(re.compile(r"/models/new$"))
    page.get_by_label("Name").fill("fraud-detector")
    page.get_by_label("Description").fill("# Fraud detector\n\nScores **transactions**.\n\n| input | type |\n|---|---|\n| amount | float |")
    screenshot(page, "02-new-model")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="fraud-detector", level=1)).to_be_visible()
    expect(page.locator(".mr-markdown strong")).to_have_text("transactions")
    assert model_names(app) == ["fraud-detector"]
    screenshot(page, "03-model-card")

    # -- a version with two files in a subfolder ----------------------------------------------
    page.get_by_role("link", name="Create new version").click()
    page.get_by_label("Version").fill("1.0")
    page.get_by_role("button", name="Create & import").click()
    expect(page.locator("#version-error")).to_contain_text("Must be a semantic version")
    assert version_labels(app, "fraud-detector") == []
    page.get_by_label("Version").fill("1.0.0")
    page.get_by_label("Description").fill("First release.")
    page.get_by_label("Choose files").set_input_files([
        {"name": "weights.bin", "mimeType": "application/octet-stream", "buffer": b"W" * 300_000},
        {"name": "signature.json", "mimeType": "application/json", "buffer": b'{"inputs": ["amount"]}'},
    ])
    expect(page.locator("[data-mr-file-list] li")).to_have_count(2)
    page.get_by_label("Subfolder").fill("model")
    page.get_by_label("Metrics").fill("accuracy=0.81, 0.86, 0.9\nloss=0.5, 0.4, 0.3")
    page.get_by_label("Parameters").fill("learning_rate=0.01")
    screenshot(page, "04-new-version")
    page.get_by_role("button", name="Create & import").click()
    expect(page.get_by_role("heading", name="fraud-detector / 1.0.0")).to_be_visible()
    files = artifact_files(app, "fraud-detector", "1.0.0")
    assert files == {"model/weights.bin": (300_000, hashlib.sha256(b"W" * 300_000).hexdigest()),
                     "model/signature.json": (22, hashlib.sha256(b'{"inputs": ["amount"]}').hexdigest())}
    expect(page.get_by_role("tab", name="Version card")).to_have_attribute("aria-selected", "true")
    screenshot(page, "05-version-card")

    # -- the Artifacts tab: "select" + "Upload", then a dropped file ----------------------------
    page.get_by_role("tab", name="Artifacts").click()
    expect(page).to_have_url(re.compile(r"tab=artifacts"))
    tree = page.locator("#mr-artifact-tree")
    expect(tree.get_by_role("row")).to_have_count(4)  # header, model/, two files
    page.get_by_label("Subfolder").fill("config")
    page.get_by_label("select").set_input_files([{"name": "params.json", "mimeType": "application/json",
                                                 "buffer": b'{"lr": 0.01}'}])
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#mr-artifact-tree tr[data-path='config/params.json']")).to_be_visible()
    page.get_by_label("Subfolder").fill("")
    page.evaluate(WATCH_STATUSES)
    page.evaluate(DROP_SCRIPT, {"name": "dropped.bin", "size": 3_000_000})
    item = page.locator("[data-upload-path='dropped.bin']")
    expect(item).to_have_attribute("data-state", "done")
    expect(item.locator(".mr-upload-status")).to_have_text("Uploaded")
    expect(item.locator("progress")).to_have_js_property("value", 100)
    assert any(text.startswith("Uploading") for text in page.evaluate("window.mrSeen"))
    expect(page.locator("#mr-artifact-tree tr[data-path='dropped.bin']")).to_be_visible()
    expect(page.locator("#mr-artifacts-count")).to_have_text("4")
    files = artifact_files(app, "fraud-detector", "1.0.0")
    assert files["dropped.bin"] == (3_000_000, hashlib.sha256(dropped_bytes(3_000_000)).hexdigest())
    assert files["config/params.json"][0] == 12
    screenshot(page, "06-artifacts")

    # -- delete two files with the checkboxes, confirming in the dialog -------------------------
    page.get_by_role("checkbox", name="dropped.bin").check()
    page.get_by_role("checkbox", name="model/signature.json").check()
    expect(page.locator("[data-mr-checked-count]")).to_have_text("2 of 4 selected")
    page.locator("form[data-mr-delete-files]").get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("li")).to_have_text(["model/signature.json", "dropped.bin"])  # in the order of the table
    screenshot(page, "07-delete-files-dialog")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("Deleted 2 files: dropped.bin, model/signature.json.")).to_be_visible()
    expect(page.locator("#mr-artifact-tree tr[data-path]")).to_have_count(2)
    assert sorted(artifact_files(app, "fraud-detector", "1.0.0")) == ["config/params.json", "model/weights.bin"]

    # -- performance ------------------------------------------------------------------------
    page.get_by_role("tab", name="Performance").click()
    panel = page.get_by_role("tabpanel")
    expect(panel.locator("svg.mr-chart")).to_have_count(2)
    expect(panel.get_by_role("img", name="accuracy by step")).to_be_visible()
    expect(panel.get_by_role("row", name="2 0.9 0.3")).to_be_visible()
    screenshot(page, "08-performance")

    # -- the model page's Versions tab -------------------------------------------------------
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="fraud-detector").click()
    page.get_by_role("tab", name="Versions").click()
    expect(page.get_by_role("tabpanel").get_by_role("link", name="1.0.0")).to_be_visible()
    screenshot(page, "09-versions-tab")

    # -- delete the version from its page, then the model from the list ----------------------------
    page.get_by_role("tabpanel").get_by_role("link", name="1.0.0").click()
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Delete model version").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Delete version 1.0.0 of fraud-detector?")
    screenshot(page, "10-delete-version-dialog")
    dialog.get_by_role("button", name="Delete model version").click()
    expect(page.get_by_text("Version 1.0.0 of fraud-detector was deleted.")).to_be_visible()
    expect(page.get_by_text("This model has no versions yet.")).to_be_visible()
    assert version_labels(app, "fraud-detector") == []

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Model registry").click()
    screenshot(page, "11-model-list")
    page.get_by_role("row", name=re.compile("fraud-detector")).get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Delete model").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete model").click()
    expect(page.get_by_text("Model fraud-detector and all its versions were deleted.")).to_be_visible()
    expect(page.get_by_text("Start tracking your machine learning models")).to_be_visible()
    assert model_names(app) == []
    assert page.script_errors == []


def test_uploads_check_size_first_can_be_canceled_and_never_leave_half_a_version(open_as, live_server, seeded):
    app = live_server.app
    app.config["MODEL_REGISTRY_MAX_FILE_SIZE"] = 1_000_000
    page = open_as("rita")
    page.goto(seeded.version_url(seeded.v2) + "?tab=artifacts")

    # too large: refused before anything is sent
    page.evaluate(DROP_SCRIPT, {"name": "huge.bin", "size": 1_000_001})
    expect(page.locator("[data-upload-path='huge.bin'] .mr-upload-status")).to_have_text(
        "Not sent: larger than 976.6 KiB")
    # a slow upload, canceled while it runs
    held = []
    page.route("**/artifacts/slow.bin", lambda route: held.append(route))
    page.evaluate(DROP_SCRIPT, {"name": "slow.bin", "size": 1000})
    expect(page.locator("[data-upload-path='slow.bin']")).to_have_attribute("data-state", "uploading")
    page.get_by_role("button", name="Cancel slow.bin").click()
    expect(page.locator("[data-upload-path='slow.bin'] .mr-upload-status")).to_have_text("Canceled")
    for route in held:
        with contextlib.suppress(Exception):  # the browser may have dropped the request already
            route.abort()
    assert artifact_files(app, "churn", "1.1.0") == {}

    # Create & import where the connection breaks on one file: the version is removed again
    page.goto(f"{seeded.model_url}/versions/new")
    page.get_by_label("Version").fill("1.0.0")
    page.get_by_role("button", name="Create & import").click()
    expect(page.locator("#version-error")).to_have_text("Version 1.0.0 already exists.")
    expect(page.get_by_label("Version")).to_have_attribute("aria-invalid", "true")
    page.route("**/artifacts/second.bin", lambda route: route.abort("connectionreset"))
    page.get_by_label("Version").fill("2.0.0")
    page.get_by_label("Choose files").set_input_files([
        {"name": "first.bin", "mimeType": "application/octet-stream", "buffer": b"first"},
        {"name": "second.bin", "mimeType": "application/octet-stream", "buffer": b"second"},
    ])
    page.get_by_role("button", name="Create & import").click()
    errors = page.locator("[data-mr-form-errors]")
    expect(errors).to_contain_text("The version was not created, because second.bin failed")
    expect(errors).to_contain_text("Nothing was kept")
    expect(page.locator("[data-upload-path='first.bin'] .mr-upload-status")).to_have_text("Removed with the version")
    assert version_labels(app, "churn") == ["1.0.0", "1.1.0"]
    assert "first.bin" not in str(in_database(app, lambda s: s.execute(sa.text("SELECT path FROM mr_artifacts")).all()))
    screenshot(page, "12-create-and-import-failed")
    assert page.script_errors == []
