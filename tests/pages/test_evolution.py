"""The model page's Performance tab: a chart of each chosen metric across the model's versions,
drawn on the server as SVG, one point per version in semantic version order (or by creation date),
prereleases apart from releases, a value on hover; the tabs Model card and Versions unchanged."""
from __future__ import annotations

import re

import pytest

from ..compare.conftest import P, create_version
from ..support import PROJECT
from .conftest import csrf_from
from .html_tables import SVG_NS, chart_points, svg_charts

#: created in this order, so creation order and semantic version order differ
CREATED = [("2.0.0", 0.90, 0.30), ("1.0.0", 0.80, None), ("1.10.0", 0.86, 0.35), ("1.2.0", 0.84, 0.38),
           ("2.1.0-rc.1", 0.93, 0.28)]
SEMVER_ORDER = ["1.0.0", "1.2.0", "1.10.0", "2.0.0", "2.1.0-rc.1"]


@pytest.fixture
def evolving(client, rita) -> str:
    """A model whose versions were created out of order, one a prerelease; its page URL."""
    model = client.post(f"{P}/models", json={"name": "ranker"}, headers=rita.headers).json
    for version, accuracy, loss in CREATED:
        metrics = [{"key": "accuracy", "value": accuracy - 0.05, "step": 0}, {"key": "accuracy", "value": accuracy, "step": 1}]
        if loss is not None:
            metrics.append({"key": "loss", "value": loss})
        create_version(client, rita.headers, model["id"], version, metrics=metrics)
    client.put(f"{P}/models/{model['id']}/metric-goals/accuracy", json={"goal": "max"}, headers=rita.headers)
    return f"/projects/{PROJECT}/models/{model['id']}"


def charts_by_metric(html: str) -> dict[str, list[tuple[str, float, str]]]:
    """metric -> its chart's points (series, x on screen, hover text), left to right."""
    figures = re.findall(r'<figure class="mr-chart-figure" data-metric="([^"]+)">(.*?)</figure>', html, re.S)
    return {metric: chart_points(svg_charts(body)[0]) for metric, body in figures}


def versions_of(points) -> list[str]:
    return [re.search(r"version (\S+)", title).group(1) for _series, _x, title in points]


def test_one_point_per_version_in_semantic_version_order(signed_in, evolving):
    r = signed_in("gus").get(f"{evolving}?tab=performance")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    charts = charts_by_metric(html)
    assert list(charts) == ["accuracy", "loss"]

    accuracy = charts["accuracy"]
    assert versions_of(accuracy) == SEMVER_ORDER
    assert [series for series, _x, _t in accuracy] == ["releases"] * 4 + ["prereleases"]
    by_version = dict(zip(versions_of(accuracy), (title for _s, _x, title in accuracy)))
    assert by_version["1.10.0"].startswith("accuracy 0.86 · version 1.10.0 · created ")
    assert by_version["2.1.0-rc.1"].startswith("accuracy 0.93 · version 2.1.0-rc.1 (prerelease)")
    assert by_version["2.1.0-rc.1"].endswith("· best")
    # the loss chart has a point only for the versions that logged it
    assert versions_of(charts["loss"]) == ["1.2.0", "1.10.0", "2.0.0", "2.1.0-rc.1"]

    svg = svg_charts(html)[0]
    ticks = [text.text for text in svg.iter(f"{SVG_NS}text") if text.get("class") == "mr-chart-tick"]
    assert [tick for tick in ticks if tick in SEMVER_ORDER] == SEMVER_ORDER
    legend = [text.text for g in svg.iter(f"{SVG_NS}g") if g.get("class") == "mr-chart-legend"
              for text in g.iter(f"{SVG_NS}text")]
    assert legend == ["releases", "prereleases"]
    releases = next(g for g in svg.iter(f"{SVG_NS}g") if g.get("data-series") == "releases")
    prereleases = next(g for g in svg.iter(f"{SVG_NS}g") if g.get("data-series") == "prereleases")
    assert releases.find(f"{SVG_NS}polyline") is not None and prereleases.find(f"{SVG_NS}polyline") is None
    assert "Prereleases are hollow points" in html
    assert re.search(r'class="mr-best-mark">.*?Best</span> <span class="mr-version">2\.1\.0-rc\.1</span>: 0\.93', html)


def test_by_creation_date_with_a_link(signed_in, evolving):
    user = signed_in("gus")
    html = user.get(f"{evolving}?tab=performance").get_data(as_text=True)
    link = re.search(r'<a class="mr-segment" href="([^"]+)"\s*>Creation date</a>', html)
    assert link, "a link switches to creation order"
    html = user.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert re.search(r'href="[^"]+order=created_at[^"]*"\s*aria-current="true">Creation date', html)
    assert versions_of(charts_by_metric(html)["accuracy"]) == [version for version, _a, _l in CREATED]


def test_choosing_metrics(signed_in, evolving):
    user = signed_in("rita")
    assert list(charts_by_metric(user.get(f"{evolving}?tab=performance&metrics=loss").get_data(as_text=True))) == ["loss"]
    for query in ("metrics=loss,accuracy", "metrics=loss&metrics=accuracy"):
        html = user.get(f"{evolving}?tab=performance&{query}").get_data(as_text=True)
        assert list(charts_by_metric(html)) == ["loss", "accuracy"]
        assert re.search(r'name="metrics" value="accuracy" checked', html)
    html = user.get(f"{evolving}?tab=performance&metrics=loss,nope").get_data(as_text=True)
    assert list(charts_by_metric(html)) == ["loss"] and "No version logged nope." in html
    html = user.get(f"{evolving}?tab=performance&order=sideways&metrics=" + "x" * 300).get_data(as_text=True)
    assert list(charts_by_metric(html)) == ["accuracy", "loss"]  # nonsense falls back to the defaults


def test_many_metrics_chart_a_sane_number_by_default(signed_in, client, rita):
    model = client.post(f"{P}/models", json={"name": "wide"}, headers=rita.headers).json
    metrics = [{"key": f"m{n:02d}", "value": n} for n in range(20)]
    create_version(client, rita.headers, model["id"], "1.0.0", metrics=metrics)
    create_version(client, rita.headers, model["id"], "1.1.0", metrics=metrics)
    page = f"/projects/{PROJECT}/models/{model['id']}?tab=performance"
    html = signed_in("gus").get(page).get_data(as_text=True)
    assert list(charts_by_metric(html)) == [f"m{n:02d}" for n in range(8)]
    assert "Showing 8 of 20 metrics; choose others below." in html
    assert html.count('type="checkbox" name="metrics"') == 20
    html = signed_in("gus").get(page + "&metrics=" + ",".join(f"m{n:02d}" for n in range(19, 0, -1))).get_data(as_text=True)
    assert list(charts_by_metric(html)) == [f"m{n:02d}" for n in range(19, 7, -1)]
    assert "At most 12 metrics are charted at once" in html


def test_model_tabs_stay_and_charts_are_drawn_only_on_their_tab(signed_in, evolving):
    user = signed_in("gus")
    html = user.get(evolving).get_data(as_text=True)
    tabs = re.findall(r'role="tab"[^>]*data-mr-tab="(\w+)">([^<]+)', html)
    assert [(key, text.strip()) for key, text in tabs] == [("card", "Model card"), ("versions", "Versions"),
                                                           ("performance", "Performance")]
    assert re.search(r'aria-selected="true"\s+tabindex="0"\s+data-mr-tab="card"', html)
    assert "mr-chart" not in html and 'id="mr-panel-performance"' not in html
    html = user.get(f"{evolving}?tab=versions").get_data(as_text=True)
    assert html.count('type="checkbox" name="versions"') == 5 and "Compare</button>" in html


def test_goals_set_on_the_performance_tab(signed_in, evolving):
    rita = signed_in("rita")
    html = rita.get(f"{evolving}?tab=performance").get_data(as_text=True)
    assert "Set a goal to mark the best version." in html
    r = rita.post(f"{evolving}/metric-goals", data={"csrf_token": csrf_from(html.encode()), "metric": "loss",
                                                    "goal": "min", "versions": ""})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{evolving}?tab=performance")
    html = rita.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(r'Best</span> <span class="mr-version">2\.1\.0-rc\.1</span>: 0\.28', html)
    assert "Set a goal" not in html

    html = signed_in("gus").get(f"{evolving}?tab=performance").get_data(as_text=True)
    assert "mr-goal-form" not in html and "Lower is better" in html


def test_no_metrics_yet(signed_in, client, rita):
    model = client.post(f"{P}/models", json={"name": "empty"}, headers=rita.headers).json
    create_version(client, rita.headers, model["id"], "1.0.0")
    html = signed_in("gus").get(f"/projects/{PROJECT}/models/{model['id']}?tab=performance").get_data(as_text=True)
    assert "No version of empty has logged a metric yet." in html and "mr-chart" not in html


def test_the_performance_tab_saves_every_goal_with_one_form(signed_in, evolving):
    """One goal control per metric, in one form with one Save, instead of a select and Save per chart."""
    rita = signed_in("rita")
    html = rita.get(f"{evolving}?tab=performance").get_data(as_text=True)
    assert html.count('class="mr-panel mr-goals-form"') == 1 and html.count(">Save goals</button>") == 1
    assert html.count('name="metric"') == html.count('<figure class="mr-chart-figure"')
    r = rita.post(f"{evolving}/metric-goals", data={"csrf_token": csrf_from(html.encode()),
                                                    "metric": ["loss", "accuracy"], "goal": ["min", "max"]})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{evolving}?tab=performance")
    html = rita.get(r.headers["Location"]).get_data(as_text=True)
    assert "Metric goals saved." in html and "Set a goal" not in html
    assert re.search(r'Best</span> <span class="mr-version">2\.1\.0-rc\.1</span>: 0\.28', html)
