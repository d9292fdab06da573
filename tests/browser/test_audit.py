"""Every page, in English and Japanese, at 1280 and 390 px wide, audited in Chromium with axe-core:
no violation of any impact, on the page and in each dialog it opens. At 390 px no page scrolls
sideways and every row menu opens inside the viewport. The Japanese pages are saved as screenshots
under test-artifacts/screenshots/ja-*.png.

One app (on SQLite: the pages are the same on every database) and one browser serve the module;
each language and width is a browser context of its own."""
from __future__ import annotations

import shutil
import threading
import typing as t

import pytest

from ..pages.conftest import seed_churn
from ..support import PROJECT, add_people
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]

SIZES = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
LANGUAGES = ("en", "ja")


@pytest.fixture(scope="module")
def audited_server(sqlite_template, tmp_path_factory) -> t.Iterator[tuple[str, t.Any, t.Any]]:
    """The example app with the page tests' model (and a long-described one), on a port."""
    from werkzeug.serving import make_server

    from example_app import create_app
    from example_app.models import db
    from flask_modelregistry.services import registered_models

    folder = tmp_path_factory.mktemp("audit")
    shutil.copyfile(sqlite_template, folder / "app.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "audit", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.db'}",
                      "MODEL_REGISTRY_STORAGE_URI": str(folder / "artifacts")})
    add_people(app)
    seeded = seed_churn(app)
    with app.app_context():
        from flask_modelregistry.services import compare

        from ..pages.conftest import actor_of

        churn = registered_models.get_model(PROJECT, actor_of("rita"), seeded.model_id)
        compare.set_metric_goal(PROJECT, actor_of("rita"), churn, "accuracy", "max")  # deltas and "Best" marks show

        registered_models.create_model(PROJECT, actor_of("rita"), name="a-model-with-a-very-long-name-for-narrow-screens",
                                       description="See [the docs](https://docs.example.com/a/very/long/path/that/"
                                                   "does/not/break/anywhere/on/its/own/readme.html) for more.")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app, seeded
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def pages_of(seeded: t.Any) -> dict[str, str]:
    m, v1, v2 = seeded.model_url, seeded.version_url(seeded.v1), seeded.version_url(seeded.v2)
    return {
        "home": "/", "models": f"/projects/{PROJECT}/models", "new-model": f"/projects/{PROJECT}/models/new",
        "model-card": m, "model-versions": m + "?tab=versions", "model-performance": m + "?tab=performance",
        "edit-model": m + "/edit", "new-version": m + "/versions/new", "version-card": v1,
        "version-artifacts": v1 + "?tab=artifacts", "version-performance": v1 + "?tab=performance",
        "version-empty": v2 + "?tab=artifacts", "edit-version": v1 + "/edit",
        "compare": f"{m}/compare?versions={seeded.v1},{seeded.v2}", "compare-pick": f"{m}/compare?versions={seeded.v1}",
        "confirm-delete-model": m + "/delete", "confirm-delete-files": v1 + "/artifacts/delete?paths=README.md",
        "settings": f"/projects/{PROJECT}/model-registry/settings", "not-found": f"/projects/{PROJECT}/models/987654",
    }


def sign_in(page: t.Any, username: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(username)
    page.locator("form.portal-form button[type=submit]").click()
    page.wait_for_url(lambda url: not url.endswith("/login"))


def axe_violations(page: t.Any, axe: t.Any) -> list[str]:
    results = axe.run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']} ({v.get('impact')}): " + "; ".join(node["target"][0] if isinstance(node["target"][0], str)
                                                          else str(node["target"]) for node in v["nodes"][:4])
            for v in results.response["violations"]]


def sideways(page: t.Any) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def menus_outside(page: t.Any) -> list[str]:
    """The row menus that open (partly) outside the viewport."""
    return page.evaluate("""async () => {
      const out = [];
      for (const menu of document.querySelectorAll("td details.mr-menu, .mr-header-actions details.mr-menu")) {
        menu.open = true;
        await new Promise((done) => setTimeout(done, 30));  // the page's script places it on "toggle"
        const box = menu.querySelector(".mr-menu-list").getBoundingClientRect();
        if (box.left < 0 || box.right > window.innerWidth) out.push(`${menu.querySelector("summary").textContent.trim()}: ${Math.round(box.left)}..${Math.round(box.right)}`);
        menu.open = false;
      }
      return out;
    }""")


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_every_page_passes_axe_and_fits_the_screen(browser, audited_server, axe, language, size):
    url, _app, seeded = audited_server
    problems: dict[str, list[str]] = {}
    context = browser.new_context(base_url=url, viewport=SIZES[size], locale=language,
                                  extra_http_headers={"Accept-Language": language})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        failed_requests: list[str] = []
        page.on("response", lambda r: failed_requests.append(r.url) if r.status == 404 and "987654" not in r.url else None)
        sign_in(page, "max")  # a maintainer: every control and the settings page show
        for name, path in pages_of(seeded).items():
            page.goto(path)
            assert page.locator("html").get_attribute("lang") == language, name
            found = axe_violations(page, axe)
            if size == "phone":
                if sideways(page) > 0:
                    found.append(f"scrolls sideways by {sideways(page)} px")
                found += [f"menu outside the viewport: {m}" for m in menus_outside(page)]
            if language == "ja":
                screenshot(page, f"ja-{size}-{name}")
            if found:
                problems[name] = found
        # the dialogs: a row's Delete model, and deleting ticked files
        page.goto(pages_of(seeded)["models"])
        page.locator("tbody tr").first.locator("summary").click()
        page.locator("tbody tr").first.locator("[role=menuitem]").first.click()
        page.locator("#mr-confirm-dialog[open]").wait_for()
        found = axe_violations(page, axe)
        if language == "ja":
            screenshot(page, f"ja-{size}-dialog-delete-model")
        if found:
            problems["dialog-delete-model"] = found
        page.goto(pages_of(seeded)["version-artifacts"])
        page.locator("input[name=paths]").first.check()
        page.locator("[data-mr-delete-button]").click()
        page.locator("#mr-confirm-dialog[open]").wait_for()
        found = axe_violations(page, axe)
        if found:
            problems["dialog-delete-files"] = found
        assert not errors, errors
        assert not failed_requests, failed_requests
    finally:
        context.close()
    assert problems == {}
