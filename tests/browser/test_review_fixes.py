"""Things a first-time user met in the browser: the wording of the files' deletion dialog, the
pages in a phone-sized window, the header's Log out button, and where the keyboard is after a
confirmation dialog closes or the list is sorted."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..support import PROJECT
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_the_dialog_names_one_file_in_the_singular(open_as, seeded):
    page = open_as("rita")
    page.goto(seeded.version_url(seeded.v1) + "?tab=artifacts")
    page.get_by_role("checkbox", name="README.md").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("This file will be deleted. This cannot be undone.")
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_role("checkbox", name="All files", exact=True).check()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog).to_contain_text("These 3 files will be deleted. This cannot be undone.")


@pytest.mark.parametrize("path", ["/projects/proj/models", "{model}?tab=versions", "{version}?tab=artifacts"])
def test_pages_use_a_phone_sized_window_fully(open_as, seeded, path):
    """At 380 pixels the portal's sidebar must not squeeze the registry into a strip."""
    page = open_as("rita")
    page.set_viewport_size({"width": 380, "height": 800})
    page.goto(path.format(model=seeded.model_url, version=seeded.version_url(seeded.v1)))
    registry = page.locator("#model-registry").bounding_box()
    assert registry["width"] >= 300, registry
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the window"
    expect(page.get_by_role("link", name="Model registry").first).to_be_visible()  # the navigation stays
    screenshot(page, "60-narrow-" + path.split("?")[-1].split("/")[-1].replace("=", "-"))


def test_log_out_from_the_header(open_as, seeded):
    page = open_as("rita")
    page.goto(f"/projects/{PROJECT}/models")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have been logged out.")).to_be_visible()
    page.goto(f"/projects/{PROJECT}/models")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_closing_the_dialog_gives_the_keyboard_its_place_back(open_as, seeded):
    """Escape on a confirmation returns to the menu button that led there, not to the page's top."""
    page = open_as("rita")
    page.goto(f"/projects/{PROJECT}/models")
    page.get_by_role("button", name="Actions").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Delete model")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Actions")).to_be_focused()

    page.goto(seeded.version_url(seeded.v1) + "?tab=artifacts")
    page.get_by_role("checkbox", name="README.md").check()
    page.get_by_role("button", name="Delete", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").press("Enter")
    expect(page.get_by_role("button", name="Delete", exact=True)).to_be_focused()


def test_sorting_with_the_keyboard_keeps_the_focus_on_the_sort_field(open_as, seeded):
    """Each arrow key on the Sort field reloads the list; the keyboard must stay on the field."""
    page = open_as("rita")
    page.goto(f"/projects/{PROJECT}/models")
    page.get_by_label("Sort by").focus()
    with page.expect_navigation():
        page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"sort=updated_at"))
    expect(page.get_by_label("Sort by")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.get_by_label("Sort by")).to_be_focused()


def test_the_upload_list_says_one_byte(open_as, seeded):
    page = open_as("rita")
    page.goto(seeded.version_url(seeded.v1) + "?tab=artifacts")
    page.get_by_label("select").set_input_files([{"name": "flag.txt", "mimeType": "text/plain", "buffer": b"1"}])
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-upload-path='flag.txt'] .mr-upload-name")).to_have_text("flag.txt (1 byte)")
    expect(page.locator("tr[data-path='flag.txt']")).to_contain_text("1 byte")


def test_the_login_page_starts_in_the_username_field(open_as, people):
    page = open_as(None)
    page.goto(f"/projects/{PROJECT}/models")  # signed out: sent to the login page
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("rita")
    page.keyboard.press("Tab")
    page.keyboard.type("rita")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Model registry", exact=True)).to_be_visible()  # back where it began
