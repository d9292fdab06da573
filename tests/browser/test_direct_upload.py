"""On GCS, the Artifacts tab sends each file straight to the bucket (direct-upload.js): a resumable
session the server opens, pieces with progress, a lost piece resumed after asking the bucket, and
the file recorded once the server has checked the bucket's size and CRC32C; the SHA-256 the page
computed is the one recorded. The emulator answers no CORS preflight, so this browser runs
without web security (CORS is the bucket's configuration, see the README)."""
from __future__ import annotations

import hashlib
import os
import time
import typing as t

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from ..support import PROJECT
from .chromium import CHROMIUM, CHROMIUM_ARGS

MiB = 1024 * 1024


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def store_kind() -> str:
    return "gcs"


def _sign_in(page) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill("rita")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


@pytest.fixture
def lax_browser(browser):
    """A Chromium of its own (without web security, for the emulator), launched by the session's
    Playwright: a second Playwright in the same process would refuse to start."""
    lax = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                      args=[*CHROMIUM_ARGS, "--disable-web-security"])
    try:
        yield lax
    finally:
        lax.close()


@pytest.fixture
def lax_page(lax_browser, live_server, people):
    context = lax_browser.new_context(base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    _sign_in(page)
    return page


def test_the_page_sends_a_file_straight_to_the_bucket_and_resumes(app, lax_page, gcs_emulator, seeded):
    page = lax_page
    puts: list[str] = []
    dropped = {"done": False}

    def bucket(route):
        request = route.request
        if request.method == "PUT":
            puts.append(request.headers.get("content-range", ""))
            if len(puts) == 2 and not dropped["done"]:  # the second piece is lost on the way
                dropped["done"] = True
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(f"{gcs_emulator.host}/upload/**", bucket)
    page.goto(f"/projects/{PROJECT}/models/{seeded.model_id}/versions/{seeded.v2}?tab=artifacts")
    data = os.urandom(9 * MiB + 5)  # two pieces of 8 MiB and a bit
    page.get_by_label("select").set_input_files([{"name": "weights.bin", "mimeType": "application/octet-stream",
                                                 "buffer": data}])
    page.get_by_role("button", name="Upload").click()
    item = page.locator("[data-upload-path='weights.bin']")
    expect(item).to_have_attribute("data-state", "done", timeout=60_000)
    assert "bytes */" + str(len(data)) in puts  # it asked the bucket where to go on
    from flask_modelregistry.models import Artifact, ModelVersion, PendingObject
    from example_app.models import db

    with app.app_context():
        run_id = db.session.get(ModelVersion, seeded.v2).run_id
        row = db.session.scalar(sa.select(Artifact).where(Artifact.run_id == run_id, Artifact.path == "weights.bin"))
        assert row.size == len(data) and row.sha256 == hashlib.sha256(data).hexdigest()
        assert list(db.session.scalars(sa.select(PendingObject.storage_key))) == []


def _version_rows(app, model_id: int, version: str) -> list[t.Any]:
    from flask_modelregistry.models import ModelVersion
    from example_app.models import db

    with app.app_context():
        return list(db.session.scalars(sa.select(ModelVersion).where(ModelVersion.model_id == model_id,
                                                                     ModelVersion.version == version)))


def _files_of(app, model_id: int, version: str) -> dict[str, tuple[int, str]]:
    from flask_modelregistry.models import Artifact
    from example_app.models import db

    (mv,) = _version_rows(app, model_id, version)
    with app.app_context():
        return {a.path: (a.size, a.sha256) for a in db.session.scalars(sa.select(Artifact).where(
            Artifact.run_id == mv.run_id))}


def _pending_keys(app) -> list[str]:
    from flask_modelregistry.models import PendingObject
    from example_app.models import db

    with app.app_context():
        return list(db.session.scalars(sa.select(PendingObject.storage_key)))


def _fill_new_version(page, seeded, version: str, files: list[dict]) -> None:
    page.goto(f"/projects/{PROJECT}/models/{seeded.model_id}/versions/new")
    page.get_by_label("Version", exact=True).fill(version)
    page.get_by_label("Choose files").set_input_files(files)


def test_the_new_version_form_sends_its_files_straight_to_the_bucket(app, lax_page, live_server, gcs_emulator,
                                                                     seeded):
    """No byte of the files reaches the app: the page creates the version, then each file goes to
    its resumable session in the bucket, with progress, and the server records it after checking."""
    page = lax_page
    to_app: list[tuple[str, str, int]] = []
    to_bucket: list[int] = []
    page.on("request", lambda r: (to_app if r.url.startswith(live_server.url) else to_bucket
                                  if r.url.startswith(f"{gcs_emulator.host}/upload/") else []).append(
        (r.method, r.url, len(r.post_data_buffer or b"")) if r.url.startswith(live_server.url)
        else len(r.post_data_buffer or b"")))
    progress: list[str] = []
    page.expose_function("mrProgress", lambda value: progress.append(value))
    page.add_init_script("""new MutationObserver(() => {
        for (const bar of document.querySelectorAll("[data-upload-path] progress")) window.mrProgress(String(bar.value));
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ["value"] });""")
    weights, config = os.urandom(9 * MiB + 7), b'{"layers": 3}'
    _fill_new_version(page, seeded, "3.0.0", [
        {"name": "weights.bin", "mimeType": "application/octet-stream", "buffer": weights},
        {"name": "config.json", "mimeType": "application/json", "buffer": config}])
    page.get_by_label("Subfolder").fill("model")
    page.get_by_role("button", name="Create & import").click()
    page.wait_for_url(lambda url: "/versions/new" not in url, timeout=60_000)
    assert _files_of(app, seeded.model_id, "3.0.0") == {
        "model/weights.bin": (len(weights), hashlib.sha256(weights).hexdigest()),
        "model/config.json": (len(config), hashlib.sha256(config).hexdigest())}
    assert sum(to_bucket) == len(weights) + len(config)  # every byte went to the bucket ...
    assert max(size for _m, _u, size in to_app) < 64 * 1024  # ... and none to the app
    assert not [u for m, u, _s in to_app if m == "PUT"]
    assert any(0 < int(float(v)) < 100 for v in progress)  # the bar moved on the way
    assert _pending_keys(app) == []


def test_the_new_version_form_shows_the_bucket_refusing_a_file_and_keeps_nothing(app, lax_page, gcs_emulator,
                                                                                seeded):
    page = lax_page
    page.route(f"{gcs_emulator.host}/upload/**", lambda route: route.fulfill(status=503, body="busy")
               if route.request.method == "PUT" else route.continue_())
    _fill_new_version(page, seeded, "3.1.0", [{"name": "weights.bin", "mimeType": "application/octet-stream",
                                                "buffer": os.urandom(300 * 1024)}])
    page.get_by_role("button", name="Create & import").click()
    errors = page.locator("[data-mr-form-errors]")
    expect(errors).to_contain_text("The version was not created, because weights.bin failed", timeout=30_000)
    expect(page.locator("[data-upload-path='weights.bin']")).to_have_attribute("data-state", "failed")
    expect(page.locator("[data-upload-path='weights.bin'] .mr-upload-status")).to_contain_text("503")
    assert _version_rows(app, seeded.model_id, "3.1.0") == []
    expect(page.get_by_role("button", name="Create & import")).to_be_enabled()
    assert _pending_keys(app) == []


def test_the_new_version_form_cancels_a_file_on_its_way_to_the_bucket(app, lax_page, gcs_emulator, seeded):
    page = lax_page
    held: list[t.Any] = []
    # the bucket never answers the first piece, so the upload is still under way when Cancel is pressed
    page.route(f"{gcs_emulator.host}/upload/**", lambda route: held.append(route)
               if route.request.method == "PUT" else route.continue_())
    _fill_new_version(page, seeded, "3.2.0", [{"name": "weights.bin", "mimeType": "application/octet-stream",
                                                "buffer": os.urandom(2 * MiB)}])
    page.get_by_role("button", name="Create & import").click()
    row = page.locator("[data-upload-path='weights.bin']")
    expect(row).to_have_attribute("data-state", "uploading", timeout=30_000)
    deadline = time.monotonic() + 30
    while not held and time.monotonic() < deadline:  # the first piece is on its way to the bucket
        page.wait_for_timeout(50)
    row.get_by_role("button", name="Cancel weights.bin").click()
    expect(row).to_have_attribute("data-state", "canceled")
    expect(page.locator("[data-mr-form-errors]")).to_contain_text("weights.bin was canceled", timeout=30_000)
    assert _version_rows(app, seeded.model_id, "3.2.0") == []
    assert _pending_keys(app) == []  # the page let the upload go before it deleted the version
    assert held  # the piece was on its way


def test_without_javascript_the_new_version_form_sends_the_files_through_the_app(app, browser, live_server, people,
                                                                                 gcs_emulator, seeded):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        _sign_in(page)
        data = os.urandom(700 * 1024)
        _fill_new_version(page, seeded, "4.0.0", [{"name": "weights.bin", "mimeType": "application/octet-stream",
                                                    "buffer": data}])
        page.get_by_role("button", name="Create & import").click()
        page.wait_for_url(lambda url: "/versions/new" not in url)
        assert _files_of(app, seeded.model_id, "4.0.0") == {"weights.bin": (len(data), hashlib.sha256(data).hexdigest())}
        assert _pending_keys(app) == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_new_version_page_on_gcs_passes_axe_before_and_after_a_failed_upload(app, lax_browser, live_server,
                                                                                 people, gcs_emulator, seeded,
                                                                                 language):
    from axe_playwright_python.sync_playwright import Axe

    from .test_audit import axe_violations, sign_in

    axe = Axe()
    context = lax_browser.new_context(base_url=live_server.url, locale=language,
                                      extra_http_headers={"Accept-Language": language})
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, "rita")
    page.goto(f"/projects/{PROJECT}/models/{seeded.model_id}/versions/new")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("form[data-mr-direct-upload-url]").count() == 1
    assert axe_violations(page, axe) == []
    page.route(f"{gcs_emulator.host}/upload/**", lambda route: route.fulfill(status=503, body="busy")
               if route.request.method == "PUT" else route.continue_())
    page.locator("[name=version]").fill("5.0.0")
    page.locator("input[type=file]").set_input_files([{"name": "weights.bin", "mimeType": "application/octet-stream",
                                                      "buffer": os.urandom(1024)}])
    page.locator("#mr-new-version-form [type=submit]").click()
    expect(page.locator("[data-mr-form-errors]")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-upload-path='weights.bin']")).to_have_attribute("data-state", "failed")
    expect(page.locator("[data-upload-path='weights.bin'] .mr-upload-status")).to_contain_text(
        {"en": "the bucket answered 503", "ja": "バケットが 503 を返しました"}[language])
    assert axe_violations(page, axe) == []  # the upload row, its error and the form's error
    assert not errors, errors
