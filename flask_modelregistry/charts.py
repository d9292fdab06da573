"""Line charts drawn on the server as SVG: no JavaScript, nothing fetched by the browser.

A chart is one or more :class:`Series` of :class:`Point` s. Every point carries a ``<title>``,
so hovering it (or reading it with a screen reader) shows its value; the chart as a whole is a
labelled image (``role="img"``) with a short text description.

The x axis is numeric (metric steps, timestamps). For a categorical axis, such as versions in
semantic-version order, give each point its position (0, 1, 2...) and pass ``x_ticks`` with the
label of each position::

    points = [Point(i, value, f"{version}: {value}") for i, (version, value) in enumerate(rows)]
    line_chart([Series("accuracy", points)], title="accuracy across versions", x_label="version",
               y_label="accuracy", x_ticks=[(i, version) for i, (version, _v) in enumerate(rows)])
"""
from __future__ import annotations

import dataclasses
import hashlib
import math
import typing as t

from markupsafe import Markup, escape

from . import i18n

PALETTE = ("#1f75cb", "#dd2b0e", "#108548", "#9e5400", "#6e49cb", "#0f6080", "#c91c00", "#5c5c5c")


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float
    #: the hover text; by default "<x label> <x>: <y>"
    title: str | None = None


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    points: t.Sequence[Point]
    #: a CSS colour; by default the next one of :data:`PALETTE`
    color: str | None = None
    #: the points' mark: ``"dot"`` (filled) or ``"ring"`` (hollow), so series differ by more than colour
    marker: str = "dot"
    #: False draws the points alone, without a line joining them
    line: bool = True


@dataclasses.dataclass(frozen=True)
class _Frame:
    """Where the plot area is inside the SVG, and how data maps onto it."""

    left: float
    top: float
    width: float
    height: float
    x_min: float
    x_max: float
    y_min: float
    y_max: float

    def sx(self, x: float) -> float:
        return self.left + (x - self.x_min) / (self.x_max - self.x_min) * self.width

    def sy(self, y: float) -> float:
        return self.top + self.height - (y - self.y_min) / (self.y_max - self.y_min) * self.height


def format_number(value: float) -> str:
    """A short, readable number: integers as integers, others with four significant digits,
    written for the page's language."""
    return i18n.format_number(value)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (multiples of 1, 2 or 5 times a power of ten) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        if value >= low - step * 1e-9:
            ticks.append(round(value, 12))
        value += step
    return ticks


def _range(values: list[float], *, pad_fraction: float = 0.0) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high == low:
        spread = abs(low) * 0.1 or 1.0
        return low - spread, high + spread
    pad = (high - low) * pad_fraction
    return low - pad, high + pad


def _thin(points: t.Sequence[Point], max_points: int) -> list[Point]:
    """At most ``max_points`` points, evenly spread, always keeping the first and the last."""
    if len(points) <= max_points:
        return list(points)
    stride = (len(points) - 1) / (max_points - 1)
    return [points[round(i * stride)] for i in range(max_points)]


def _chart_id(title: str) -> str:
    return "mr-chart-" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:10]


def line_chart(series: t.Sequence[Series], *, title: str, x_label: str, y_label: str,
               x_ticks: t.Sequence[tuple[float, str]] | None = None, width: int = 560, height: int = 260,
               chart_id: str | None = None, max_points: int = 400) -> Markup:
    """An SVG line chart of ``series``; points whose y is not finite are left out.

    ``x_ticks``: ``(x, label)`` pairs for a categorical axis; by default round numbers are used.
    ``chart_id``: a prefix for the element ids, unique on the page (derived from ``title`` by default).
    """
    cid = chart_id or _chart_id(title)
    plotted = [(s, _thin([p for p in s.points if math.isfinite(p.y) and math.isfinite(p.x)], max_points))
               for s in series]
    all_points = [p for _s, pts in plotted for p in pts]
    legend_height = 22 if len(series) > 1 else 0
    head = (f'<svg class="mr-chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
            f' aria-labelledby="{cid}-title {cid}-desc" xmlns="http://www.w3.org/2000/svg"'
            ' font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="11">'
            f'<title id="{cid}-title">{escape(title)}</title>')
    if not all_points:
        return Markup(head + f'<desc id="{cid}-desc">No values to plot.</desc>'
                      f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="mr-chart-empty" fill="#626168">'
                      'No values to plot</text></svg>')

    ys = [p.y for p in all_points]
    y_min, y_max = _range(ys, pad_fraction=0.08)
    y_ticks = nice_ticks(y_min, y_max)
    xs = [p.x for p in all_points] + [x for x, _label in (x_ticks or ())]
    x_min, x_max = _range(xs)
    if min(xs) != max(xs):
        pad = (x_max - x_min) * 0.03
        x_min, x_max = x_min - pad, x_max + pad
    frame = _Frame(left=62, top=12 + legend_height, width=width - 62 - 18, height=height - 12 - legend_height - 46,
                   x_min=x_min, x_max=x_max, y_min=y_min, y_max=y_max)

    parts = [head, f'<desc id="{cid}-desc">{escape(_describe(plotted, x_label, y_label))}</desc>']
    parts.append(_axes(frame, y_ticks, _x_tick_marks(frame, all_points, x_ticks), x_label, y_label))
    if legend_height:
        parts.append(_legend(plotted, width))
    for index, (s, points) in enumerate(plotted):
        color = s.color or PALETTE[index % len(PALETTE)]
        parts.append(_line(frame, s, points, color, x_label))
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(plotted: list[tuple[Series, list[Point]]], x_label: str, y_label: str) -> str:
    pieces = []
    for s, points in plotted:
        if not points:
            pieces.append(i18n.gettext("%(series)s: no values", series=s.name))
            continue
        ys = [p.y for p in points]
        pieces.append(i18n.ngettext(
            "%(series)s: %(num)s point, %(y)s from %(low)s to %(high)s, last %(last)s",
            "%(series)s: %(num)s points, %(y)s from %(low)s to %(high)s, last %(last)s", len(points),
            series=s.name, y=y_label, low=format_number(min(ys)), high=format_number(max(ys)),
            last=format_number(points[-1].y)))
    return i18n.gettext("%(y)s by %(x)s.", y=y_label, x=x_label) + " " + "; ".join(pieces) + "."


def _x_tick_marks(frame: _Frame, points: list[Point], x_ticks: t.Sequence[tuple[float, str]] | None
                  ) -> list[tuple[float, str]]:
    if x_ticks:
        marks = list(x_ticks)
        room = max(1, int(frame.width // 56))
        if len(marks) > room:
            stride = math.ceil(len(marks) / room)
            marks = marks[::stride]
        return marks
    low, high = min(p.x for p in points), max(p.x for p in points)
    if low == high:
        return [(low, format_number(low))]
    integers = all(float(p.x).is_integer() for p in points)
    ticks = nice_ticks(low, high, count=min(6, int(high - low) if integers else 6) or 1)
    if integers:
        ticks = [tk for tk in ticks if float(tk).is_integer()]
    return [(tk, format_number(tk)) for tk in ticks if frame.x_min <= tk <= frame.x_max]


def _axes(frame: _Frame, y_ticks: list[float], x_marks: list[tuple[float, str]], x_label: str,
          y_label: str) -> str:
    out = ['<g class="mr-chart-axes">']
    right = frame.left + frame.width
    bottom = frame.top + frame.height
    for tick in y_ticks:
        y = frame.sy(tick)
        out.append(f'<line class="mr-chart-grid" stroke="#ececef" x1="{frame.left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="mr-chart-tick" fill="#626168" x="{frame.left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(format_number(tick))}</text>')
    out.append(f'<line class="mr-chart-axis" stroke="#a4a3a8" x1="{frame.left:.1f}" x2="{right:.1f}" y1="{bottom:.1f}" y2="{bottom:.1f}"/>')
    out.append(f'<line class="mr-chart-axis" stroke="#a4a3a8" x1="{frame.left:.1f}" x2="{frame.left:.1f}" y1="{frame.top:.1f}" y2="{bottom:.1f}"/>')
    for x, label in x_marks:
        sx = frame.sx(x)
        out.append(f'<line class="mr-chart-axis" stroke="#a4a3a8" x1="{sx:.1f}" x2="{sx:.1f}" y1="{bottom:.1f}" y2="{bottom + 4:.1f}"/>')
        out.append(f'<text class="mr-chart-tick" fill="#626168" x="{sx:.1f}" y="{bottom + 17:.1f}" text-anchor="middle">'
                   f'{escape(label)}</text>')
    out.append(f'<text class="mr-chart-label" fill="#3a383f" font-size="12" x="{frame.left + frame.width / 2:.1f}" y="{bottom + 38:.1f}"'
               f' text-anchor="middle">{escape(x_label)}</text>')
    cy = frame.top + frame.height / 2
    out.append(f'<text class="mr-chart-label" fill="#3a383f" font-size="12" x="14" y="{cy:.1f}" text-anchor="middle"'
               f' transform="rotate(-90 14 {cy:.1f})">{escape(y_label)}</text>')
    out.append("</g>")
    return "".join(out)


def _legend(plotted: list[tuple[Series, list[Point]]], width: int) -> str:
    out = ['<g class="mr-chart-legend">']
    x = 62.0
    for index, (s, _points) in enumerate(plotted):
        color = s.color or PALETTE[index % len(PALETTE)]
        if s.marker == "ring":
            out.append(f'<circle cx="{x + 5:.1f}" cy="11" r="4" fill="#fff" stroke="{escape(color)}" stroke-width="2"/>')
        else:
            out.append(f'<rect x="{x:.1f}" y="6" width="10" height="10" rx="2" fill="{escape(color)}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="15" class="mr-chart-tick" fill="#3a383f">{escape(s.name)}</text>')
        x += 28 + 7 * len(s.name)
        if x > width - 40:
            break
    out.append("</g>")
    return "".join(out)


def _line(frame: _Frame, s: Series, points: list[Point], color: str, x_label: str) -> str:
    if not points:
        return ""
    ordered = sorted(points, key=lambda p: p.x)
    coords = " ".join(f"{frame.sx(p.x):.1f},{frame.sy(p.y):.1f}" for p in ordered)
    out = [f'<g class="mr-chart-series" data-series="{escape(s.name)}">']
    if s.line:
        out.append(f'<polyline fill="none" stroke="{escape(color)}" stroke-width="2" points="{coords}"/>')
    radius, hit, ring = (3.5, 9, 1.5) if len(ordered) <= 60 else (1.8, 5, 0)
    if s.marker == "ring":
        fill, stroke, ring, radius = "#fff", color, 2, radius + .5
    else:
        fill, stroke = color, "#fff"
    for p in ordered:
        label = p.title or f"{x_label} {format_number(p.x)}: {format_number(p.y)}"
        cx, cy = frame.sx(p.x), frame.sy(p.y)
        out.append(f'<g class="mr-chart-point"><title>{escape(label)}</title>'
                   f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{hit}" fill="transparent"/>'
                   f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius}" fill="{escape(fill)}" stroke="{escape(stroke)}"'
                   f' stroke-width="{ring}"/></g>')
    out.append("</g>")
    return "".join(out)
