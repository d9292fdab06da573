"""The registry settings of a project, for maintainers: turn the registry on or off, set its
visibility. Reachable while the registry is disabled, so it can be turned back on."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for

from ..errors import RegistryError
from ..i18n import lazy_gettext as _l
from ..services import settings as settings_service
from .context import access, actor, render_page
from .forms import SettingsForm, show_service_error, submitted_and_valid

SAVED = {
    (True, "private"): _l("Settings saved: the model registry is enabled and private."),
    (True, "public"): _l("Settings saved: the model registry is enabled and public."),
    (False, "private"): _l("Settings saved: the model registry is disabled and private."),
    (False, "public"): _l("Settings saved: the model registry is disabled and public."),
}


def settings(project: str):
    project_access = access(project, "admin")
    current = settings_service.effective_settings(project)
    form = SettingsForm(data={"enabled": current.enabled, "visibility": current.visibility})
    failure = 422
    if submitted_and_valid(form):
        try:
            saved = settings_service.update_settings(project, actor(), enabled=form.enabled.data,
                                                     visibility=form.visibility.data)
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            flash(str(SAVED[(saved.enabled, saved.visibility)]), "info")
            return redirect(url_for(".settings", project=project))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/settings.html", project, project_access, status=status, form=form,
                       current=current)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/projects/<string:project>/model-registry/settings", "settings", settings,
                    methods=["GET", "POST"])
