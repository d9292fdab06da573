"""The Preview tab of description fields: the server renders the Markdown exactly as the page
will show it (markdown-it-py, then nh3), so what a writer previews is what readers get.

``POST {prefix}/projects/<project>/-/model-registry/markdown-preview`` with the form field ``text``
and the page's CSRF token in ``X-CSRFToken`` (or the form field ``csrf_token``); writers only,
like the forms it previews. The answer is an HTML fragment.

``POST {prefix}/projects/<project>/-/model-registry/messages`` with ``{"messages": [...]}`` answers the
same list in the page's language: the scripts show what the JSON API refused (it answers in English)
through it, translated like the pages' own messages (:mod:`.messages`)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..i18n import gettext
from ..markdown import render_card
from .context import access
from .messages import translate_message

#: the longest text previewed; a description is far shorter
MAX_PREVIEW_CHARS = 200_000


def markdown_preview(project: str) -> Response:
    access(project, "write")
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        abort(400, gettext("The form was missing its security token or it has expired. "
                           "Reload the page and try again."))
    text = request.form.get("text", "")
    if len(text) > MAX_PREVIEW_CHARS:
        abort(413, gettext("The text is too long to preview."))
    response = Response(str(render_card(text)), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


#: the most messages translated at once (a form has a handful of fields)
MAX_MESSAGES = 50


def _check_csrf() -> None:
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except (ValidationError, CSRFError):
        abort(400, gettext("The form was missing its security token or it has expired. "
                           "Reload the page and try again."))


def translated_messages(project: str) -> Response:
    access(project)
    _check_csrf()
    body = request.get_json(silent=True)
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or len(messages) > MAX_MESSAGES:
        abort(400, gettext("The request could not be understood"))
    return jsonify(messages=[translate_message(m, sentence=False) if isinstance(m, str) else "" for m in messages])


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/projects/<string:project>/-/model-registry/messages", "translated_messages",
                    translated_messages, methods=["POST"])
    bp.add_url_rule("/projects/<string:project>/-/model-registry/markdown-preview", "markdown_preview",
                    markdown_preview, methods=["POST"])
