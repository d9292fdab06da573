"""Comparing the demo model's three versions in Chromium, as a reporter: tick them on the Versions
tab, press Compare, see which version is best, set the goal of a metric and see the best values
follow it; then the Performance tab's charts. Each page is saved as a screenshot for review."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ..support import PROJECT
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture
def demo_model(app, people) -> int:
    """The demo's fraud-detector (its three versions, metrics, parameters, datasets and lineage, as
    ``seed-demo`` makes them), except that only accuracy has a goal yet."""
    from example_app.seed import DEMO_VERSIONS
    from flask_modelregistry.services import registered_models, tracking, versions

    from ..pages.conftest import actor_of

    with app.app_context():
        rita = actor_of("rita")
        model = registered_models.create_model(PROJECT, rita, name="fraud-detector")
        registered_models.update_model(PROJECT, rita, model, metric_goals={"accuracy": "max"})
        previous = None
        for number, (version, description, curves, params) in enumerate(DEMO_VERSIONS, start=1):
            metrics = [{"key": key, "value": value, "step": step} for key, values in curves.items()
                       for step, value in enumerate(values)]
            previous = versions.create_version(PROJECT, rita, model, version=version, description=description,
                                               params=params, metrics=metrics, metadata={"framework": "scikit-learn"},
                                               parent_version_id=previous.id if previous else None)
            tracking.replace_datasets(PROJECT, rita, previous.run, [
                {"name": "transactions-train", "uri": f"gs://demo-data/2026-q{number}/train.parquet",
                 "digest": f"sha256:{number:02d}a1f3", "role": "training"}])
        return model.id


def metric_row(page, metric: str):
    return page.locator(f'table.mr-compare-metrics tr[data-metric="{metric}"]')


def test_a_reporter_compares_the_three_versions_and_sets_a_goal(open_as, demo_model):
    page = open_as("rita")
    page.goto(f"/projects/{PROJECT}/models/{demo_model}")
    page.get_by_role("tab", name="Versions").click()
    for version in ("2.0.0", "1.1.0", "1.0.0"):
        page.get_by_label(f"Compare {version}").check()
    expect(page.get_by_text("3 versions selected.")).to_be_visible()
    screenshot(page, "compare-01-versions-ticked")
    page.get_by_role("button", name="Compare").click()

    expect(page).to_have_url(re.compile(r"/compare\?versions=\d+,\d+,\d+$"))
    expect(page.get_by_role("heading", name="Compare versions", level=1)).to_be_visible()
    headers = page.locator("table.mr-compare-metrics thead th.mr-compare-version .mr-version")
    expect(headers).to_have_text(["1.0.0", "1.1.0", "2.0.0"])
    expect(page.locator(".mr-compare-summary")).to_contain_text(
        "2.0.0 is best: it has the best value of 1 of the 1 metric with a goal (accuracy)")
    best = metric_row(page, "accuracy").locator("td.mr-best")
    expect(best).to_have_count(1)
    expect(best).to_contain_text("0.93")
    expect(best).to_contain_text("Best")
    expect(metric_row(page, "loss").locator("td.mr-best")).to_have_count(0)
    expect(page.locator("tr.mr-row-differs", has_text="learning_rate")).to_contain_text("differs")
    screenshot(page, "compare-02-three-versions")

    # lower loss is better: the goal is remembered and 2.0.0's loss is marked best
    page.get_by_label("Goal of loss", exact=True).select_option("min")
    page.get_by_role("button", name="Save goal of loss").click()
    expect(page.get_by_text("loss: lower is better.")).to_be_visible()
    expect(metric_row(page, "loss").locator("td.mr-best")).to_contain_text("0.24")
    expect(page.locator(".mr-compare-summary")).to_contain_text("2.0.0 is best: it has the best value of 2 of the 2 metrics")
    expect(page.get_by_label("Goal of loss", exact=True)).to_have_value("min")
    screenshot(page, "compare-03-goal-set")

    # the model's Performance tab charts each metric across the versions
    page.get_by_role("link", name="Metrics over time").click()
    expect(page.get_by_role("tab", name="Performance")).to_have_attribute("aria-selected", "true")
    charts = page.locator("figure.mr-chart-figure")
    expect(charts).to_have_count(2)
    expect(charts.first.locator(".mr-chart-point")).to_have_count(3)
    expect(charts.nth(1)).to_contain_text("2.0.0: 0.24")
    screenshot(page, "compare-04-performance-tab")
    page.get_by_role("link", name="Creation date").click()
    expect(page.get_by_role("link", name="Creation date")).to_have_attribute("aria-current", "true")

    # from the keyboard: the arrow keys reach the Performance tab without emptying the page, Enter opens it
    page.goto(f"/projects/{PROJECT}/models/{demo_model}?tab=versions")
    page.get_by_role("tab", name="Versions").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Performance")).to_be_focused()
    expect(page.get_by_label("Compare 1.0.0")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tab=performance"))
    expect(page.locator("figure.mr-chart-figure")).to_have_count(2)
    assert page.script_errors == []
