"""Read a page's tables and charts as a user sees them: each table by its caption, each cell's
text (what a screen reader reads, form controls left out) and classes; each SVG chart as XML."""
from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclasses.dataclass
class Cell:
    tag: str
    classes: set[str]
    parts: list[str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.parts)).strip()


@dataclasses.dataclass
class Table:
    caption: str
    rows: list[list[Cell]]

    @property
    def header(self) -> list[str]:
        return [cell.text for cell in self.rows[0]]

    def row(self, key: str) -> list[Cell]:
        """The body row whose first cell starts with ``key``."""
        for row in self.rows[1:]:
            if row and row[0].text.split(" ")[0] == key:
                return row
        raise KeyError(f"no row {key!r} in {self.caption!r}: {[r[0].text for r in self.rows[1:]]}")

    def row_with(self, fragment: str) -> list[Cell]:
        """The body row whose first cell contains ``fragment``."""
        for row in self.rows[1:]:
            if row and fragment in row[0].text:
                return row
        raise KeyError(f"no row with {fragment!r} in {self.caption!r}: {[r[0].text for r in self.rows[1:]]}")

    def texts(self, key: str) -> list[str]:
        """The text of each version's cell in the row ``key``."""
        return [cell.text for cell in self.row(key)[1:]]

    def keys(self) -> list[str]:
        return [row[0].text.split(" ")[0] for row in self.rows[1:] if len(row) > 1]


class _TableReader(HTMLParser):
    SKIPPED = {"select", "option", "button", "script", "style"}

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._cell: Cell | None = None
        self._caption: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.SKIPPED:
            self._skip += 1
        elif tag == "table":
            self._stack.append(Table(caption="", rows=[]))
        elif tag == "caption" and self._stack:
            self._caption = []
        elif tag == "tr" and self._stack:
            self._stack[-1].rows.append([])
        elif tag in ("td", "th") and self._stack and self._stack[-1].rows:
            self._cell = Cell(tag, set((attributes.get("class") or "").split()))
            self._stack[-1].rows[-1].append(self._cell)

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "caption" and self._caption is not None:
            self._stack[-1].caption = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.parts.append(data)


def tables(html: str | bytes) -> dict[str, Table]:
    """Every table of the page by its caption."""
    reader = _TableReader()
    reader.feed(html.decode() if isinstance(html, bytes) else html)
    return {table.caption: table for table in reader.tables}


def table(html: str | bytes, caption_start: str) -> Table:
    found = [t for caption, t in tables(html).items() if caption.startswith(caption_start)]
    assert found, f"no table captioned {caption_start!r}: {list(tables(html))}"
    return found[0]


def svg_charts(html: str | bytes) -> list[ET.Element]:
    """Each server-drawn chart of the page, parsed as XML (so it must be well-formed)."""
    text = html.decode() if isinstance(html, bytes) else html
    return [ET.fromstring(svg) for svg in re.findall(r'<svg class="mr-chart".*?</svg>', text, re.S)]


def chart_points(svg: ET.Element) -> list[tuple[str, float, str]]:
    """(series, x position on screen, hover text) of every point, left to right."""
    points = []
    for series in svg.iter(f"{SVG_NS}g"):
        if series.get("class") != "mr-chart-series":
            continue
        for point in series.iter(f"{SVG_NS}g"):
            if point.get("class") == "mr-chart-point":
                title = point.find(f"{SVG_NS}title").text or ""
                cx = float(point.findall(f"{SVG_NS}circle")[-1].get("cx"))
                points.append((series.get("data-series"), cx, title))
    return sorted(points, key=lambda p: p[1])
