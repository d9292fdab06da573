"""The navigation entry a host shows for a project: "Deploy > Model registry".

``init_app`` makes :func:`nav_items` a template global, ``model_registry_nav``. In the host's
base template, for the project the page is about::

    {% for item in model_registry_nav(project) %}
      <h2>{{ item.section }}</h2>
      <a href="{{ item.url }}" {% if item.active %}aria-current="page"{% endif %}>{{ item.label }}</a>
    {% endfor %}

The list is empty when the user may not open the registry, so the entry simply does not show.
"""
from __future__ import annotations

import dataclasses

from flask import current_app, request, url_for

from .errors import RegistryError


@dataclasses.dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    #: True on the registry's own pages, to mark the entry as the current one
    active: bool
    #: the group the entry belongs in, as GitLab shows it
    section: str = "Deploy"
    #: the entry's key: ``models`` or ``settings``
    key: str = "models"


def nav_items(project: str) -> list[NavItem]:
    """The registry's entries for ``project`` that the current user may open: the model list,
    and for administrators the registry's settings (also while the registry is disabled).
    Labels are in the page's language (:mod:`.i18n`)."""
    from .i18n import gettext
    from .kit.auth import request_actor
    from .services.access import project_access

    if "model_registry" not in current_app.blueprints:
        return []
    try:
        access = project_access(project, request_actor())
    except RegistryError:
        return []
    on_settings = request.endpoint == "model_registry.settings"
    active = request.blueprint == "model_registry" and not on_settings
    section = gettext("Deploy")
    items = []
    if access.can_read:
        items.append(NavItem(gettext("Model registry"), url_for("model_registry.models", project=project), active,
                             section))
    if access.can_admin:
        items.append(NavItem(gettext("Model registry settings"), url_for("model_registry.settings", project=project),
                             on_settings, section, key="settings"))
    return items
