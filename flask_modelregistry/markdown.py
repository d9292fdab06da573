"""Markdown for model and version cards, rendered to HTML that is safe to show to every reader.

Cards are written by any project member with write access and read by everyone who can see the
registry, so the HTML is never trusted. markdown-it-py renders it (with task lists, and the raw
collapsible sections, ``<details>``/``<summary>``, as GitLab's Markdown has them; any other raw
HTML is shown as text), and nh3 then keeps only an allow-list of tags, attributes and URL schemes; the only ``<input>`` that survives is a disabled
checkbox (a task list's). This stops ``<script>``, ``javascript:`` links, event handler attributes,
forms and style tricks.
"""
from __future__ import annotations

import html as html_module
import re
import typing as t

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.tasklists import tasklists_plugin

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]).use(tasklists_plugin)
#: the raw HTML a card may use, as markdown-it escapes it (every other tag stays text)
_COLLAPSIBLE = re.compile(r"&lt;(/?)(details|summary)( open)?&gt;")
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul", "details", "summary", "input",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "input": {"type", "checked", "disabled"},
    "li": {"class"},
    "ul": {"class"},
    "details": {"open"},
}
#: the classes the task list plugin writes, the only ones kept
ALLOWED_CLASSES = {"li": {"task-list-item"}, "ul": {"contains-task-list"}}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Only a disabled checkbox may stay an ``<input>``; classes only from the task list plugin."""
    if tag == "input":
        if attribute == "type":
            return "checkbox"
        if attribute == "disabled":
            return "disabled"
        return value if attribute == "checked" else None
    if attribute == "class":
        kept = [c for c in value.split() if c in ALLOWED_CLASSES.get(tag, ())]
        return " ".join(kept) or None
    return value


_INPUT = re.compile(r"<input(?![^>]*\bdisabled\b)([^>]*)>")
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
    html = _COLLAPSIBLE.sub(lambda m: f"<{m.group(1)}{m.group(2)}{m.group(3) or ''}>", html)
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )
    # an <input> without disabled (written by hand): make it a disabled checkbox too
    clean = _INPUT.sub(r'<input\1 disabled="disabled">', clean)
    return Markup(_EMPTY_PARAGRAPH.sub("", clean))


def render_card(text: str | None, title: str | None = None) -> Markup:
    """A model or version card inside a page: its headings start at ``<h2>``. A first heading that
    only repeats ``title`` (the model's name, already the page's heading) is left out."""
    if title and text:
        first, _sep, rest = text.lstrip().partition("\n")
        if first.startswith("#") and first.lstrip("#").strip().casefold() == title.strip().casefold():
            text = rest
    # the card's highest heading becomes <h2>, under the page's <h1>, so no level is skipped
    levels = [int(token.tag[1]) for token in _renderer.parse(text or "") if token.type == "heading_open"]
    return render_markdown(text, heading_offset=2 - min(levels) if levels else 1)


_HEADING = re.compile(r"<h[1-6][^>]*>.*?</h[1-6]>", re.S)
_BLOCK_END = re.compile(r"</(?:p|li|tr|pre|blockquote|summary|details)>")


def first_line(text: str | None, limit: int = 140) -> str:
    """A plain-text excerpt of a Markdown text for lists: its first paragraph (or item) as a reader
    sees it (links as their text, no markup, headings left out), on one line, cut at ``limit``."""
    if not text:
        return ""
    rendered = _HEADING.sub("", str(render_markdown(text[:20_000])))
    blocks = (" ".join(html_module.unescape(nh3.clean(block, tags=set())).split())
              for block in _BLOCK_END.split(rendered))
    plain = next((block for block in blocks if block), "")
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
