"""Model cards are Markdown rendered to sanitized HTML, hostile input included; metric charts are
SVG drawn on the server, with each point's value in its title."""
from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import pytest

from flask_modelregistry.charts import Point, Series, format_number, line_chart, nice_ticks
from flask_modelregistry.markdown import first_line, render_markdown

from ..support import PROJECT
from .conftest import csrf_from

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    '<div style="position:fixed;top:0">x</div>',
    "<svg onload=alert(1)>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "<style>body{display:none}</style>",
    "<form action=https://evil.example><input name=password></form>",
]
SAFE_TAGS = {"a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "li",
             "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul"}


class _Inspector(HTMLParser):
    """Collects what a browser would act on: tags, and attributes that run code or load URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in SAFE_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style" and "text-align" not in (value or ""):
                self.problems.append(f"attribute {name}={value!r}")
            if name in ("href", "src") and not re.match(r"(https?:|mailto:)", value or "", re.IGNORECASE):
                self.problems.append(f"{name}={value!r}")


def dangers(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    return inspector.problems


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source):
    html = str(render_markdown(source))
    assert dangers(html) == [], html


def test_markdown_keeps_what_a_model_card_needs():
    html = str(render_markdown(
        "# Title\n\nSome **bold** and `code`.\n\n| field | type |\n|:--|--:|\n| amount | float |\n\n"
        "- one\n- two\n\n[docs](https://example.com/docs)\n\n```\nx = 1\n```"))
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert '<th style="text-align:left">field</th>' in html and '<td style="text-align:right">float</td>' in html
    assert "<li>one</li>" in html and "<pre><code>x = 1\n</code></pre>" in html
    assert '<a href="https://example.com/docs" rel="noopener noreferrer nofollow">docs</a>' in html


def test_cards_in_pages_start_their_headings_below_the_page_title():
    from flask_modelregistry.markdown import render_card

    assert str(render_card("# Card\n\n## Part\n\n###### Deep")) == "<h2>Card</h2>\n<h3>Part</h3>\n<h6>Deep</h6>\n"


def test_first_line_summarises_a_card_for_lists():
    assert first_line("# Churn\n\nPredicts **churn**.\n\nMore.") == "Predicts churn."
    assert first_line("# Only a heading") == ""
    assert first_line("New input `amount_log` replaces *amount*.") == "New input amount_log replaces amount."
    assert first_line("x" * 200).endswith("…") and len(first_line("x" * 200)) == 140


def test_a_hostile_model_card_is_inert_on_the_page(seeded, signed_in):
    rita = signed_in("rita")
    url = f"/projects/{PROJECT}/models/{seeded.model_id}"
    form = rita.get(url + "/edit")
    rita.post(url + "/edit", data={"name": "churn", "description": "\n\n".join(HOSTILE) + "\n\nStill **here**.",
                                   "csrf_token": csrf_from(form.data)})
    page = rita.get(url).data.decode()
    card = page[page.index('<div class="mr-markdown">'):page.index('id="mr-panel-versions"')]
    assert "Still <strong>here</strong>." in card
    assert dangers(card.split(">", 1)[1]) == [], card
    listing = rita.get(f"/projects/{PROJECT}/models").data.decode()
    assert "<script>alert(1)</script>" not in listing


def test_a_chart_has_one_titled_point_per_value():
    points = [Point(step, value) for step, value in enumerate([0.5, 0.7, float("nan"), 0.9])]
    svg = str(line_chart([Series("accuracy", points)], title="accuracy by step", x_label="step", y_label="accuracy"))
    assert svg.startswith('<svg class="mr-chart" role="img"')
    assert "<title id=\"mr-chart-" in svg and ">accuracy by step</title>" in svg
    titles = re.findall(r'<g class="mr-chart-point"><title>([^<]*)</title>', svg)
    assert titles == ["step 0: 0.5", "step 1: 0.7", "step 3: 0.9"]  # NaN is left out
    assert "3 points, accuracy from 0.5 to 0.9, last 0.9" in svg
    # higher values are drawn higher: SVG y grows downwards
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)" r="3.5"', svg)]
    assert ys[0] > ys[1] > ys[2]


def test_a_chart_with_a_categorical_axis_keeps_the_given_order():
    versions = ["1.0.0", "1.2.0", "2.0.0-rc1", "2.0.0"]
    points = [Point(i, v, f"{versions[i]}: {v}") for i, v in enumerate([0.8, 0.85, 0.83, 0.9])]
    svg = str(line_chart([Series("accuracy", points), Series("recall", [Point(0, 0.5), Point(3, 0.6)])],
                         title="accuracy across versions", x_label="version", y_label="value",
                         x_ticks=[(i, v) for i, v in enumerate(versions)]))
    labels = re.findall(r'text-anchor="middle">([^<]*)</text>', svg)
    assert labels[:4] == versions
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="3.5"', svg)][:4]
    assert xs == sorted(xs)
    assert "2.0.0-rc1: 0.83" in svg and 'data-series="recall"' in svg and ">recall</text>" in svg


def test_a_chart_escapes_its_text_and_handles_no_data():
    svg = str(line_chart([Series("<b>x</b>", [Point(0, 1.0, "<script>")])], title="a<b", x_label="s", y_label="v"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&lt;b" in svg
    empty = str(line_chart([Series("x", [Point(0, math.nan)])], title="t", x_label="s", y_label="v"))
    assert "No values to plot" in empty and "<circle" not in empty


def test_long_series_are_thinned_but_keep_their_ends():
    points = [Point(i, float(i)) for i in range(5000)]
    svg = str(line_chart([Series("loss", points)], title="loss", x_label="step", y_label="loss", max_points=100))
    titles = re.findall(r"<title>(step [\d,]+): ", svg)
    assert len(titles) == 100 and titles[0] == "step 0" and titles[-1] == "step 4,999"


def test_numbers_and_ticks_read_well():
    assert [format_number(v) for v in (3.0, 0.123456, 1e-7, float("inf"))] == ["3", "0.1235", "1e-07", "∞"]
    assert nice_ticks(0.74, 0.95) == [0.75, 0.8, 0.85, 0.9, 0.95]
    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]


def test_a_card_that_repeats_the_models_name_loses_that_heading_and_skips_no_level():
    from flask_modelregistry.markdown import render_card

    html = str(render_card("# fraud-detector\n\nScores.\n\n## Intended use\n\n### Limits", "fraud-detector"))
    assert "fraud-detector" not in html and html.index("<h2>Intended use</h2>") < html.index("<h3>Limits</h3>")
    assert "<h2>Churn</h2>" in str(render_card("# Churn\n\nPredicts.", "another-name"))
