"""Markdown for model and version cards, rendered to HTML that is safe to show to every reader.

Cards are written by any project member with write access and read by everyone who can see the
registry, so the HTML is never trusted: markdown-it-py renders with raw HTML turned off (it is
shown as text), and nh3 then keeps only an allow-list of tags, attributes and URL schemes. Either
step alone would stop ``<script>``; together they also stop ``javascript:`` links, event handler
attributes and style tricks.
"""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def render_markdown(text: str | None, *, heading_offset: int = 0) -> Markup:
    """Markdown source to sanitized HTML, ready to put in a template unescaped.

    ``heading_offset`` moves headings down (1: ``#`` becomes ``<h2>``), so that a card shown
    inside a page does not compete with the page's own ``<h1>``."""
    if not text:
        return Markup("")
    tokens = _renderer.parse(text)
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + heading_offset)}"
    html = _renderer.renderer.render(tokens, _renderer.options, {})
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
    return Markup(clean)


def render_card(text: str | None) -> Markup:
    """A model or version card inside a page: its headings start at ``<h2>``."""
    return render_markdown(text, heading_offset=1)


def first_line(text: str | None, limit: int = 140) -> str:
    """A one-line plain summary of a Markdown text for lists: its first line that is not a heading,
    with markup marks dropped."""
    for line in (text or "").splitlines():
        if line.lstrip().startswith("#"):
            continue
        line = line.strip().lstrip(">*-+ ").strip()
        if line and not set(line) <= set("|-:= "):
            plain = line.replace("**", "").replace("__", "").replace("*", "").replace("`", "")
            return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return ""
