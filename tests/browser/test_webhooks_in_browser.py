"""A maintainer adds a webhook on the page under the registry's settings, sends a test, reads the
delivery log, and deletes the webhook through the confirmation dialog, in Chromium."""
from __future__ import annotations

import typing as t

import pytest
from playwright.sync_api import expect

from ..support import PROJECT
from ..webhooks.conftest import FAST, SECRET
from ..webhooks.receiver import Receiver
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def app_config() -> dict[str, t.Any]:
    return dict(FAST)


@pytest.fixture
def receiver() -> t.Iterator[Receiver]:
    r = Receiver(secret=SECRET).start()
    yield r
    r.stop()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_maintainer_adds_tests_and_deletes_a_webhook(open_as, receiver):
    from flask_modelregistry.webhooks.deliverer import _THREADS

    page = open_as("max")
    page.goto(f"/projects/{PROJECT}/model-registry/settings")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()
    page.get_by_role("link", name="Add webhook").first.click()
    page.get_by_label("Name").fill("deploy")
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("An alias is set on a version").check()
    page.get_by_label("Secret").fill(SECRET)
    page.get_by_label("Description").fill("Start the rollout")
    screenshot(page, "60-webhook-form")
    page.get_by_role("button", name="Save webhook").click()
    expect(page.get_by_role("heading", name="Webhook deploy", level=1)).to_be_visible()

    page.get_by_role("button", name="Send test").click()
    expect(page.get_by_text("Test delivered: the receiver answered 200")).to_be_visible()
    expect(page.get_by_role("button", name="Redeliver")).to_be_visible()
    assert receiver.accepted and receiver.accepted[0].verified
    screenshot(page, "61-webhook-delivery-log")

    page.get_by_role("link", name="Webhooks").click()
    expect(page.locator("tr[data-webhook-id]")).to_have_count(1)
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Delete webhook").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    screenshot(page, "62-webhook-delete-dialog")
    dialog.get_by_role("button", name="Delete webhook").click()
    expect(page.get_by_role("heading", name="No webhooks yet")).to_be_visible()
    assert page.script_errors == []
    for thread in list(_THREADS.values()):
        thread.stop()
