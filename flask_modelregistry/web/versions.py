"""Pages of versions: a new version (with its files, metrics and parameters), the version page
(tabs Version card, Artifacts, Performance), editing its card, deleting it."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.datastructures import FileStorage

from ..errors import RegistryError
from ..i18n import gettext as _
from ..services import artifacts as artifact_service
from ..services import direct_uploads
from ..services import metric_summary
from ..services import read_models
from ..services import registered_models as model_service
from ..services import versions as version_service
from ..services.uploads import IncomingFile, create_version_with_files
from . import links
from ..services.semver_guard import check_version
from .context import access, actor, render_page
from .forms import ConfirmForm, UploadForm, VersionEditForm, VersionForm, show_service_error, submitted_and_valid
from .performance import metric_charts, metric_table
from .tree import artifact_tree

M = "/projects/<string:project>/models/<int:model_id>"
V = M + "/versions/<int:version_id>"
VERSION_TABS = ("card", "artifacts", "performance")


def _model_and_version(project: str, model_id: int, version_id: int):
    who = actor()
    registered = model_service.get_model(project, who, model_id)
    return registered, version_service.get_version(project, who, registered, version_id)


def _direct_upload_url(project: str, version_id: int | None) -> str | None:
    """Where the pages open a direct upload of a version's file (GCS stores), or None. Without a
    version (the new version page, whose script creates the version first) the URL has
    ``{version_id}`` in its place."""
    if not direct_uploads.available():
        return None
    url = url_for("model_registry_packages.open_direct_upload", project=project, version_id=version_id or 0)
    if version_id is None:
        head, _, tail = url.rpartition("/0/")
        url = f"{head}/{{version_id}}/{tail}"
    return url


def model_and_version_refs(project: str, model_id: int, version_id: int):
    """The model and version a page names, as the services' references (ids, names, run)."""
    registered, mv = _model_and_version(project, model_id, version_id)
    return read_models.model_ref(registered), read_models.version_ref(mv)


def incoming_files(storages: list | None) -> list[IncomingFile]:
    """The files of a multipart form, without the empty entry of an input left blank (and without
    plain text a client sent under the files' name)."""
    return [IncomingFile(name=f.filename, stream=f.stream, content_type=f.mimetype)
            for f in (storages or []) if isinstance(f, FileStorage) and f.filename]


def new_version(project: str, model_id: int):
    project_access = access(project, "write")
    who = actor()
    registered = model_service.get_model(project, who, model_id)
    summary = read_models.model_view(registered)
    form = VersionForm()
    failure = 422
    if submitted_and_valid(form):
        try:
            version = create_version_with_files(
                project, who, registered, files=incoming_files(form.files.data), folder=form.subfolder.data,
                version=form.version.data.strip() or None, description=form.description.data or "",
                metrics=form.parsed_metrics, params=form.parsed_params, metadata=form.parsed_metadata)
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            made = read_models.version_ref(version)
            flash(_("Version %(version)s created.", version=made.version), "info")
            return redirect(url_for(".version", project=project, model_id=summary.id, version_id=made.id))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/versions/new.html", project, project_access, status=status, form=form,
                       model=summary, latest_version=summary.latest_version,
                       api_versions_url=links.api_versions_url(project, summary.id),
                       direct_upload_url=_direct_upload_url(project, None))


def version(project: str, model_id: int, version_id: int):
    project_access = access(project)
    who = actor()
    registered, mv = _model_and_version(project, model_id, version_id)
    view = read_models.version_view(registered, mv)
    model = read_models.model_ref(registered)
    files = artifact_service.list_artifacts(project, who, view.files_run_id)
    metrics = metric_summary.summarise(project, who, view.files_run_id)
    tab = request.args.get("tab") if request.args.get("tab") in VERSION_TABS else "card"
    # reads two small MLmodel files from storage: only for the tab that shows it
    semver_check = check_version(project, who, mv) if tab == "card" else None
    job = view.ci_job
    if job:
        job = {**job, **{key: links.http_url(job.get(key)) for key in ("url", "log_url", "pipeline_url",
                                                                        "merge_request_url")}}
    return render_page(
        "model_registry/versions/show.html", project, project_access, model=model, version=view,
        tab=tab, tree=artifact_tree(files), artifact_count=len(files),
        datasets=view.datasets, ci_job=job,
        parent=view.parent, metric_table=metric_table(metrics), metric_charts=metric_charts(metrics),
        metric_keys_total=metrics.total_keys,
        semver_check=semver_check,
        upload_form=UploadForm(formdata=None) if project_access.can_write else None,
        package_name=view.package_name,
        package_commands=links.package_commands(project, view.id, files[0].path if files else None),
        api_artifacts_url=links.api_artifacts_url(project, model.id, view.id),
        direct_upload_url=_direct_upload_url(project, view.id) if project_access.can_write else None,
        download_url=lambda path: links.artifact_download_url(project, model.id, view.id, path))


def edit_version(project: str, model_id: int, version_id: int):
    project_access = access(project, "write")
    registered, mv = _model_and_version(project, model_id, version_id)
    model, shown = read_models.model_ref(registered), read_models.version_ref(mv)
    form = VersionEditForm(obj=shown)
    failure = 422
    if submitted_and_valid(form):
        try:
            version_service.update_version(project, actor(), mv, description=form.description.data or "")
        except RegistryError as exc:
            show_service_error(form, exc)
            failure = exc.status
        else:
            flash(_("Version card saved."), "info")
            return redirect(url_for(".version", project=project, model_id=model.id, version_id=shown.id))
    status = failure if form.is_submitted() else 200
    return render_page("model_registry/versions/edit.html", project, project_access, status=status, form=form,
                       model=model, version=shown)


def delete_version(project: str, model_id: int, version_id: int):
    project_access = access(project, "write")
    registered, mv = _model_and_version(project, model_id, version_id)
    model, shown = read_models.model_ref(registered), read_models.version_ref(mv)
    form = ConfirmForm()
    if request.method == "POST":
        submitted_and_valid(form)
        version_service.delete_version(project, actor(), mv)
        flash(_("Version %(version)s of %(name)s was deleted.", version=shown.version, name=model.name), "info")
        return redirect(url_for(".model", project=project, model_id=model.id, tab="versions"))
    return render_page(
        "model_registry/confirm.html", project, project_access, form=form,
        heading=_("Delete version %(version)s of %(name)s?", version=shown.version, name=model.name),
        message=_("This deletes the version, its metrics, parameters and all its files. It cannot be undone."),
        items=[], confirm_label=_("Delete model version"),
        breadcrumbs_items=[(_("Model registry"), url_for(".models", project=project)),
                     (model.name, url_for(".model", project=project, model_id=model.id)),
                     (shown.version, url_for(".version", project=project, model_id=model.id, version_id=shown.id)),
                     (_("Delete model version"), None)],
        action=url_for(".delete_version", project=project, model_id=model.id, version_id=shown.id),
        cancel_url=url_for(".version", project=project, model_id=model.id, version_id=shown.id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule(M + "/versions/new", "new_version", new_version, methods=["GET", "POST"])
    bp.add_url_rule(V, "version", version)
    bp.add_url_rule(V + "/edit", "edit_version", edit_version, methods=["GET", "POST"])
    bp.add_url_rule(V + "/delete", "delete_version", delete_version, methods=["GET", "POST"])
