"""A version's files from the pages without JavaScript: an upload form, and deletion through a
confirmation page. (With JavaScript, the Artifacts tab sends each file straight to the JSON API
in a request of its own, and confirms deletions in a dialog.)"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import RegistryError
from ..i18n import gettext as _
from ..i18n import ngettext
from .messages import translate_message
from ..services import artifacts as artifact_service
from ..services.uploads import upload_files
from .context import access, actor, render_page
from .forms import ConfirmForm, UploadForm, submitted_and_valid
from .versions import V, incoming_files, model_and_version_refs


def _artifacts_tab(project: str, model_id: int, version_id: int) -> str:
    return url_for(".version", project=project, model_id=model_id, version_id=version_id, tab="artifacts")


def upload_artifacts(project: str, model_id: int, version_id: int):
    access(project, "write")
    model, version = model_and_version_refs(project, model_id, version_id)
    form = UploadForm()
    submitted_and_valid(form)
    files = incoming_files(form.files.data)
    back = _artifacts_tab(project, model.id, version.id)
    if not files:
        flash(_("Choose at least one file to upload."), "error")
        return redirect(back)
    try:
        outcomes = upload_files(project, actor(), version.files_run_id, form.subfolder.data, files)
    except RegistryError as exc:
        problem = translate_message(next(iter(exc.fields.values()), None) or exc.message)
        flash(_("Nothing was uploaded: %(problem)s", problem=problem), "error")
        return redirect(back)
    stored = [o.path for o in outcomes if o.ok]
    if stored:
        flash(ngettext("Uploaded %(num)s file: %(paths)s.", "Uploaded %(num)s files: %(paths)s.", len(stored),
                       paths=", ".join(stored)), "info")
    for failed in (o for o in outcomes if not o.ok):
        flash(_("%(path)s was not uploaded: %(problem)s", path=failed.path or failed.name,
                problem=translate_message(failed.error)), "error")
    return redirect(back)


def delete_artifacts(project: str, model_id: int, version_id: int):
    project_access = access(project, "write")
    model, version = model_and_version_refs(project, model_id, version_id)
    back = _artifacts_tab(project, model.id, version.id)
    form = ConfirmForm()
    if request.method == "POST":
        submitted_and_valid(form)
        deleted = artifact_service.delete_artifacts(project, actor(), version.files_run_id,
                                                    request.form.getlist("paths"))
        flash(ngettext("Deleted %(num)s file: %(paths)s.", "Deleted %(num)s files: %(paths)s.", len(deleted),
                       paths=", ".join(deleted)), "info")
        return redirect(back)
    wanted = set(request.args.getlist("paths"))
    chosen = [a.path for a in artifact_service.list_artifacts(project, actor(), version.files_run_id)
              if a.path in wanted]
    if not chosen:
        flash(_("Select the files to delete first."), "error")
        return redirect(back)
    return render_page(
        "model_registry/confirm.html", project, project_access, form=form,
        heading=ngettext("Delete %(num)s file of %(name)s %(version)s?", "Delete %(num)s files of %(name)s %(version)s?",
                         len(chosen), name=model.name, version=version.version),
        message=ngettext("This file will be deleted. This cannot be undone.",
                         "These %(num)s files will be deleted. This cannot be undone.", len(chosen)),
        items=chosen, item_name="paths",
        breadcrumbs_items=[(_("Model registry"), url_for(".models", project=project)),
                     (model.name, url_for(".model", project=project, model_id=model.id)),
                     (version.version, url_for(".version", project=project, model_id=model.id, version_id=version.id)),
                     (_("Artifacts"), back), (_("Delete"), None)],
        confirm_label=_("Delete"), action=url_for(".delete_artifacts", project=project, model_id=model.id,
                                               version_id=version.id),
        cancel_url=back)


def register(bp: Blueprint) -> None:
    bp.add_url_rule(V + "/artifacts/upload", "upload_artifacts", upload_artifacts, methods=["POST"])
    bp.add_url_rule(V + "/artifacts/delete", "delete_artifacts", delete_artifacts, methods=["GET", "POST"])
