"""Pages of models: the list, a new model, the model page (tabs Model card and Versions), editing
the card, deleting a model."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import RegistryError
from ..i18n import gettext as _
from ..i18n import ngettext
from ..services import read_models
from ..services import registered_models as model_service
from . import links
from .compare import goal_form
from .context import access, actor, render_page
from .evolution_charts import evolution_panel
from .forms import (MODEL_SORTS, ORDERS, VERSION_SORTS, ConfirmForm, ModelEditForm, ModelFilterForm, ModelForm, VersionFilterForm,
                    show_service_error, submitted_and_valid)

P = "/projects/<string:project>"
M = P + "/models/<int:model_id>"
MODEL_TABS = ("card", "versions", "performance")


def page_number() -> int:
    """The ``page`` query argument, 1 when missing or nonsense."""
    page = request.args.get("page", type=int)
    return page if page is not None and 1 <= page <= 1_000_000 else 1


def models(project: str):
    project_access = access(project)
    form = ModelFilterForm(formdata=request.args)
    sort = form.sort.data if form.sort.data in MODEL_SORTS else "created_at"
    order = form.order.data if form.order.data in ORDERS else "desc"
    search = (form.search.data or "").strip()[:255]
    form.sort.data, form.order.data, form.search.data = sort, order, search
    result = read_models.list_models(project, actor(), search=search or None, sort=sort, order=order,
                                     page=page_number())
    empty_registry = result.total == 0 and not search
    create_form = ModelForm(formdata=None) if empty_registry and project_access.can_write else None
    return render_page("model_registry/models/list.html", project, project_access, result=result,
                       filter_form=form, create_form=create_form, empty_registry=empty_registry,
                       tracking_uri=links.tracking_uri(project))


def new_model(project: str):
    project_access = access(project, "write")
    form = ModelForm()
    failure = 422
    if submitted_and_valid(form):
        try:
            model = model_service.create_model(project, actor(), name=form.name.data,
                                               description=form.description.data or "")
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            made = read_models.model_ref(model)
            flash(_("Model %(name)s created.", name=made.name), "info")
            return redirect(url_for(".model", project=project, model_id=made.id))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/models/new.html", project, project_access, status=status, form=form)


def model(project: str, model_id: int):
    project_access = access(project)
    who = actor()
    registered = model_service.get_model(project, who, model_id)
    summary = read_models.model_view(registered)
    tab = request.args.get("tab") if request.args.get("tab") in MODEL_TABS else "card"
    filter_form = VersionFilterForm(formdata=request.args)
    search = (filter_form.search.data or "").strip()[:255]
    sort = filter_form.sort.data if filter_form.sort.data in VERSION_SORTS else "version"
    order = filter_form.order.data if filter_form.order.data in ORDERS else "desc"
    filter_form.sort.data, filter_form.order.data = sort, order
    versions = read_models.list_versions(project, who, registered, search=search or None, sort=sort,
                                         order=order, page=page_number())
    # the charts are drawn only when their tab is open; the tab is a plain link otherwise
    evolution = evolution_panel(project, who, registered, request.args) if tab == "performance" else None
    return render_page("model_registry/models/show.html", project, project_access, model=summary,
                       summary=summary, tab=tab, versions=versions, filter_form=filter_form, search=search,
                       tracking_uri=links.tracking_uri(project), evolution=evolution,
                       goal_form=goal_form if project_access.can_write else None)


def edit_model(project: str, model_id: int):
    project_access = access(project, "write")
    registered = model_service.get_model(project, actor(), model_id)
    shown = read_models.model_ref(registered)
    form = ModelEditForm(obj=shown)
    failure = 422
    if submitted_and_valid(form):
        try:
            model_service.update_model(project, actor(), registered, name=form.name.data,
                                       description=form.description.data or "")
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            flash(_("Model card saved."), "info")
            return redirect(url_for(".model", project=project, model_id=shown.id))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/models/edit.html", project, project_access, status=status, form=form,
                       model=shown)


def delete_model(project: str, model_id: int):
    project_access = access(project, "write")
    registered = model_service.get_model(project, actor(), model_id)
    form = ConfirmForm()
    if request.method == "POST":
        submitted_and_valid(form)
        name = read_models.model_ref(registered).name
        model_service.delete_model(project, actor(), registered)
        flash(_("Model %(name)s and all its versions were deleted.", name=name), "info")
        return redirect(url_for(".models", project=project))
    summary = read_models.model_view(registered)
    return render_page(
        "model_registry/confirm.html", project, project_access, form=form,
        heading=_("Delete model %(name)s?", name=summary.name),
        message=ngettext("This deletes the model %(name)s, its %(num)s version and all their files. It cannot be undone.",
                         "This deletes the model %(name)s, its %(num)s versions and all their files. It cannot be undone.",
                         summary.version_count, name=summary.name),
        items=[], confirm_label=_("Delete model"),
        breadcrumbs_items=[(_("Model registry"), url_for(".models", project=project)),
                     (summary.name, url_for(".model", project=project, model_id=summary.id)),
                     (_("Delete model"), None)],
        action=url_for(".delete_model", project=project, model_id=summary.id),
        cancel_url=url_for(".model", project=project, model_id=summary.id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule(P + "/models", "models", models)
    bp.add_url_rule(P + "/models/new", "new_model", new_model, methods=["GET", "POST"])
    bp.add_url_rule(M, "model", model)
    bp.add_url_rule(M + "/edit", "edit_model", edit_model, methods=["GET", "POST"])
    bp.add_url_rule(M + "/delete", "delete_model", delete_model, methods=["GET", "POST"])
