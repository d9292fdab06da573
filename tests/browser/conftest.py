"""Browser tests: the example app served on a port, driven by Playwright in Debian's Chromium.

They need the system Chromium (``apt-get install chromium``); Playwright's own browser downloads
are never used. Without Chromium they are skipped with a plain message, also shown in the report
header (:func:`.chromium.chromium_report_header`; pytest asks only the root conftest for its header
in a full run)."""
from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import sqlalchemy as sa

from ..pages.conftest import seeded  # noqa: F401  (a fixture: the same demo model as the page tests)
from ..support import PROJECT
from .chromium import CHROMIUM, CHROMIUM_ARGS, SKIP_MESSAGE, chromium_report_header

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [chromium_report_header()]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.skip(SKIP_MESSAGE)
    from playwright.sync_api import expect, sync_playwright

    # the contexts' default timeout does not reach expect(), which waits 5 s unless told: too short
    # for a page on a loaded two-core machine
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_as(browser, live_server, people):
    """``open_as("rita")``: a new browser tab signed in as rita through the login page."""
    contexts = []

    def make(username: str | None):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.script_errors = errors  # type: ignore[attr-defined]
        if username:
            page.goto("/login")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(username)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: not url.endswith("/login"))
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for review under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def in_database(app, query: t.Callable[[t.Any], t.Any]) -> t.Any:
    from flask_modelregistry.extension import current_state

    with app.app_context():
        return query(current_state().db.session)


def model_names(app) -> list[str]:
    from flask_modelregistry.models import RegisteredModel

    return in_database(app, lambda s: sorted(s.scalars(sa.select(RegisteredModel.name).where(
        RegisteredModel.project == PROJECT))))


def version_labels(app, model_name: str) -> list[str]:
    from flask_modelregistry.models import ModelVersion, RegisteredModel

    return in_database(app, lambda s: sorted(s.scalars(
        sa.select(ModelVersion.version).join(RegisteredModel).where(RegisteredModel.name == model_name))))


def artifact_files(app, model_name: str, version: str) -> dict[str, tuple[int, str]]:
    """path -> (size, sha256) of a version's files."""
    from flask_modelregistry.models import Artifact, ModelVersion, RegisteredModel

    rows = in_database(app, lambda s: s.execute(
        sa.select(Artifact.path, Artifact.size, Artifact.sha256)
        .join(ModelVersion, ModelVersion.run_id == Artifact.run_id).join(RegisteredModel)
        .where(RegisteredModel.name == model_name, ModelVersion.version == version)).all())
    return {row.path: (row.size, row.sha256) for row in rows}
