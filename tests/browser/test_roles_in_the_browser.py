"""What other roles see in the browser: a guest reads everything but finds no control that
changes anything; a maintainer finds the registry settings; keyboard users reach the menus."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..support import PROJECT
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_a_guest_reads_without_write_controls(open_as, seeded):
    page = open_as("gus")
    page.goto(f"/projects/{PROJECT}/models")
    expect(page.get_by_role("link", name="churn")).to_be_visible()
    expect(page.get_by_role("button", name="Create/Import")).to_have_count(0)
    expect(page.get_by_role("button", name="Actions")).to_have_count(0)
    screenshot(page, "20-guest-model-list")

    page.get_by_role("link", name="churn").click()
    expect(page.get_by_role("heading", name="churn", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Create new version")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.get_by_role("tab", name="Versions").click()
    expect(page.get_by_role("checkbox", name="Compare 1.0.0")).to_be_visible()  # comparing only reads
    expect(page.get_by_role("button", name="Actions")).to_have_count(0)
    screenshot(page, "21-guest-versions-tab")

    page.get_by_role("tabpanel").get_by_role("link", name="1.0.0").click()
    page.get_by_role("tab", name="Artifacts").click()
    expect(page.locator("tr[data-path='model/weights.bin']")).to_be_visible()
    expect(page.get_by_label("select")).to_have_count(0)
    expect(page.get_by_label("Subfolder")).to_have_count(0)
    expect(page.locator("[data-mr-dropzone]")).to_have_count(0)
    expect(page.get_by_role("button", name="Upload")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    screenshot(page, "22-guest-artifacts")

    # forcing a write page anyway: the server refuses it
    response = page.goto(f"{seeded.model_url}/versions/new")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You don't have permission to do this")).to_be_visible()
    screenshot(page, "23-guest-forbidden")
    assert page.script_errors == []


def test_a_maintainer_changes_the_settings_and_menus_work_from_the_keyboard(open_as, seeded):
    page = open_as("max")
    page.goto(f"/projects/{PROJECT}/model-registry/settings")
    expect(page.get_by_role("heading", name="Model registry settings")).to_be_visible()
    expect(page.get_by_label("Enable the model registry")).to_be_checked()
    page.get_by_label("Public: everyone can see").check()
    screenshot(page, "24-settings")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Settings saved: the model registry is enabled and public.")).to_be_visible()

    page.goto(seeded.model_url)
    actions = page.get_by_role("button", name="Actions")
    actions.focus()
    page.keyboard.press("Enter")
    expect(actions).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("menuitem", name="Delete model")).to_be_focused()
    page.keyboard.press("Escape")
    expect(actions).to_have_attribute("aria-expanded", "false")
    expect(actions).to_be_focused()
    tab = page.get_by_role("tab", name="Model card")
    tab.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Versions")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel", name="Versions")).to_be_visible()
    assert page.script_errors == []


def test_pages_without_javascript_still_confirm_deletions(browser, live_server, seeded):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill("rita")
        page.get_by_label("Password").fill("rita")
        page.get_by_role("button", name="Log in").click()
        page.goto(seeded.version_url(seeded.v2))
        page.get_by_role("button", name="Actions").click()  # details/summary opens without a script
        page.get_by_role("menuitem", name="Delete model version").click()
        expect(page.get_by_role("heading", name="Delete version 1.1.0 of churn?")).to_be_visible()
        screenshot(page, "25-confirm-page-without-javascript")
        page.get_by_role("button", name="Delete model version").click()
        expect(page.get_by_text("Version 1.1.0 of churn was deleted.")).to_be_visible()
    finally:
        context.close()
