"""Things a first-time user met in the browser: the wording of the files' deletion dialog."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect


pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_the_dialog_names_one_file_in_the_singular(open_as, seeded):
    page = open_as("rita")
    page.goto(seeded.version_url(seeded.v1) + "?tab=artifacts")
    page.get_by_role("checkbox", name="README.md").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("This file will be deleted. This cannot be undone.")
    dialog.get_by_role("button", name="Cancel").click()
    page.get_by_role("checkbox", name="All files").check()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(dialog).to_contain_text("These 3 files will be deleted. This cannot be undone.")
