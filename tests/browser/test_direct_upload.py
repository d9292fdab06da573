"""On GCS, the Artifacts tab sends each file straight to the bucket (direct-upload.js): a resumable
session the server opens, pieces with progress, a lost piece resumed after asking the bucket, and
the file recorded once the server has checked the bucket's size and CRC32C; the SHA-256 the page
computed is the one recorded. The emulator answers no CORS preflight, so this browser runs
without web security (CORS is the bucket's configuration, see the README)."""
from __future__ import annotations

import hashlib
import os

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


@pytest.fixture
def lax_page(browser, live_server, people):
    """A Chromium of its own (without web security, for the emulator), launched by the session's
    Playwright: a second Playwright in the same process would refuse to start."""
    lax = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                      args=[*CHROMIUM_ARGS, "--disable-web-security"])
    try:
        context = lax.new_context(base_url=live_server.url)
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill("rita")
        page.get_by_label("Password").fill("rita")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: not url.endswith("/login"))
        yield page
    finally:
        lax.close()


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
