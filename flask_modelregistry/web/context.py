"""What every page needs: who is asking and what they may do, template helpers and filters."""
from __future__ import annotations

import datetime as dt
import os
import typing as t
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from ..kit.auth import request_actor
from ..charts import format_number
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


def timeago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"3 days ago", "just now": how GitLab shows creation times."""
    if value is None:
        return ""
    now = now or dt.datetime.now(dt.timezone.utc)
    seconds = int((now - value).total_seconds())
    if seconds < 45:
        return "just now"
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400),
                       ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size) if unit == "minute" else seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def full_datetime(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def filesize(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            if unit == "bytes":
                return "1 byte" if size == 1 else f"{size} bytes"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


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
    from .forms import ConfirmForm

    return {
        "mr_base_template": config_value("BASE_TEMPLATE"),
        "mr_static": static_url,
        "mr_csrf_token": generate_csrf,
        "mr_confirm_form": ConfirmForm,
        "mr_max_file_size": int(config_value("MAX_FILE_SIZE")),
        "mr_url": current_url_with,
    }


def register(bp: Blueprint) -> None:
    bp.context_processor(_template_context)
    bp.add_app_template_filter(render_card, "mr_markdown")
    bp.add_app_template_filter(first_line, "mr_first_line")
    bp.add_app_template_filter(timeago, "mr_timeago")
    bp.add_app_template_filter(full_datetime, "mr_datetime")
    bp.add_app_template_filter(filesize, "mr_filesize")
    bp.add_app_template_filter(format_number, "mr_number")
