"""What every page needs: who is asking and what they may do, template helpers and filters."""
from __future__ import annotations

import os
import typing as t
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from .. import i18n
from ..kit.auth import request_actor
from .messages import translate_message
from ..config import config_value
from ..markdown import first_line, render_card
from ..services.access import ProjectAccess, authorize
from ..services.identity import Actor


def actor() -> Actor:
    return request_actor()


def access(project: str, need: t.Literal["read", "write", "admin"] = "read") -> ProjectAccess:
    """What the current user may do in ``project``; raises the policy's error when ``need`` is not met."""
    return authorize(project, request_actor(), need)


def render_page(template: str, project: str, project_access: ProjectAccess | None = None,
                status: int = 200, **context: t.Any) -> tuple[str, int]:
    """Render a registry page with what every page template expects."""
    context.setdefault("project", project)
    if project_access is not None:
        context.setdefault("can_write", project_access.can_write)
        context.setdefault("can_admin", project_access.can_admin)
    return render_template(template, **context), status


def static_url(filename: str) -> str:
    """The URL of one of our static files, with its modification time to defeat stale caches."""
    bp = current_app.blueprints["model_registry"]
    try:
        stamp = int(os.stat(os.path.join(bp.static_folder or "", filename)).st_mtime)
    except OSError:
        stamp = 0
    return url_for("model_registry.static", filename=filename, v=stamp)


def current_url_with(**changes: t.Any) -> str:
    """This page's URL with some query arguments changed (``None`` removes one); for tabs,
    pagination and sorting links that keep the rest of the state."""
    args = {k: v for k, v in request.args.items() if not k.startswith("_")}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    # the query goes after the URL, never into url_for's arguments: a query argument named
    # "endpoint" (or one of the view's own) must not collide with them
    base = url_for(request.endpoint or ".models", **(request.view_args or {}))
    return f"{base}?{urlencode(args)}" if args else base


def _template_context() -> dict[str, t.Any]:
    from .forms import ROLE_LABELS, ConfirmForm
    from .script_messages import script_messages

    return {
        **i18n.template_functions(),
        "mr_locale": i18n.get_locale(),
        "mr_script_messages": script_messages,
        "mr_base_template": config_value("BASE_TEMPLATE"),
        "mr_static": static_url,
        "mr_csrf_token": generate_csrf,
        "mr_confirm_form": ConfirmForm,
        "mr_max_file_size": int(config_value("MAX_FILE_SIZE")),
        "mr_url": current_url_with,
        "mr_role_label": lambda role: str(ROLE_LABELS.get(role, role)),
    }


def register(bp: Blueprint) -> None:
    bp.context_processor(_template_context)
    bp.add_app_template_filter(render_card, "mr_markdown")
    bp.add_app_template_filter(first_line, "mr_first_line")
    bp.add_app_template_filter(translate_message, "mr_message")
    bp.add_app_template_filter(i18n.format_ago, "mr_timeago")
    bp.add_app_template_filter(i18n.format_when, "mr_datetime")
    bp.add_app_template_filter(i18n.format_size, "mr_filesize")
    bp.add_app_template_filter(i18n.format_number, "mr_number")
