"""The JSON API v1 views: models, versions, artifacts, metrics, parameters, metadata, settings."""
from __future__ import annotations

import typing as t

from flask import Response, jsonify

from ..kit import transfer
from ..kit.auth import request_actor
from ..services import artifacts as artifact_service
from ..services import metric_summary
from ..services import read_models
from ..services import registered_models as model_service
from ..services import settings as settings_service
from ..services import tracking
from ..services import versions as version_service
from . import schemas
from .routing import route
from ..kit.artifact_json import artifact_json
from .serialize import metric_json, models_json, versions_json

P = "/projects/<string:project>"
M = P + "/models/<int:model_id>"
V = M + "/versions/<int:version_id>"


def _created(body: t.Any) -> tuple[Response, int]:
    return jsonify(body), 201


def _no_content() -> Response:
    return Response(status=204)


def _model(project: str, model_id: int):
    return model_service.get_model(project, request_actor(), model_id)


def _version(project: str, model_id: int, version_id: int):
    model = _model(project, model_id)
    return model, version_service.get_version(project, request_actor(), model, version_id)


def _files_run_id(version) -> str:
    """The run holding the version's files and metrics (``version``: a handle from the services)."""
    return read_models.version_ref(version).files_run_id


def _run(project: str, version):
    return tracking.get_run(project, request_actor(), _files_run_id(version))


def _version_json(model, version) -> dict[str, t.Any]:
    return versions_json([read_models.version_view(model, version)])[0]


def _model_json(model) -> dict[str, t.Any]:
    return models_json([read_models.model_view(model)])[0]


# -- models -------------------------------------------------------------------------------------

@route(P + "/models", "GET", summary="List models", tag="models", query=schemas.ModelListQuery,
       response=schemas.ModelPage)
def list_models(project: str, query: dict[str, t.Any]):
    """Models of the project, newest first by default; ``search`` matches part of the name."""
    page = read_models.list_models(project, request_actor(), **query)
    return jsonify({"items": models_json(page.items), "page": page.page, "per_page": page.per_page,
                    "total": page.total})


@route(P + "/models", "POST", summary="Create a model", tag="models", body=schemas.ModelCreate,
       response=schemas.Model, status=201)
def create_model(project: str, body: dict[str, t.Any]):
    model = model_service.create_model(project, request_actor(), **body)
    return _created(_model_json(model))


@route(M, "GET", summary="Get a model", tag="models", response=schemas.Model)
def get_model(project: str, model_id: int):
    return jsonify(_model_json(_model(project, model_id)))


@route(M, "PATCH", summary="Change a model's name, description or metric goals", tag="models",
       body=schemas.ModelUpdate, response=schemas.Model)
def update_model(project: str, model_id: int, body: dict[str, t.Any]):
    model = _model(project, model_id)
    model = model_service.update_model(project, request_actor(), model, **body)
    return jsonify(_model_json(model))


@route(M, "DELETE", summary="Delete a model with all its versions and files", tag="models", status=204)
def delete_model(project: str, model_id: int):
    model_service.delete_model(project, request_actor(), _model(project, model_id))
    return _no_content()


# -- versions -----------------------------------------------------------------------------------

@route(M + "/versions", "GET", summary="List a model's versions", tag="versions",
       query=schemas.VersionListQuery, response=schemas.VersionPage)
def list_versions(project: str, model_id: int, query: dict[str, t.Any]):
    """Newest semantic version first, unless ``sort`` says otherwise."""
    model = _model(project, model_id)
    page = read_models.list_versions(project, request_actor(), model, **query)
    return jsonify({"items": versions_json(page.items), "page": page.page, "per_page": page.per_page,
                    "total": page.total})


@route(M + "/versions", "POST", summary="Create a version", tag="versions", body=schemas.VersionCreate,
       response=schemas.Version, status=201)
def create_version(project: str, model_id: int, body: dict[str, t.Any]):
    """Metrics, parameters, metadata and datasets may be given at once; files are added with PUT."""
    model = _model(project, model_id)
    version = version_service.create_version(project, request_actor(), model, **body)
    return _created(_version_json(model, version))


@route(M + "/versions/resolve", "GET", summary="The newest version inside a semantic-version range",
       tag="versions", query=schemas.ResolveQuery, response=schemas.Version)
def resolve_version(project: str, model_id: int, query: dict[str, t.Any]):
    """``^1.2`` follows new minors and patches of 1.x; ``~1.2.3`` new patches of 1.2. Releases only,
    unless ``prereleases=true``. 404 when nothing matches."""
    from ..services.ranges import resolve_range

    model = _model(project, model_id)
    version = resolve_range(project, request_actor(), model, query["range"],
                            include_prereleases=query["prereleases"])
    return jsonify(_version_json(model, version))


@route(V, "GET", summary="Get a version", tag="versions", response=schemas.Version)
def get_version(project: str, model_id: int, version_id: int):
    return jsonify(_version_json(*_version(project, model_id, version_id)))


@route(V + "/semver-check", "GET", summary="Does the version number match the signature's changes?",
       tag="versions", response=schemas.SemverCheckSchema)
def semver_check(project: str, model_id: int, version_id: int):
    """Compares the MLmodel signature with the previous release's: breaking changes call for a
    major bump, new inputs or outputs for a minor one."""
    import dataclasses

    from ..services.semver_guard import check_version

    _m, version = _version(project, model_id, version_id)
    result = check_version(project, request_actor(), version)
    return jsonify(schemas.SemverCheckSchema().dump(dataclasses.asdict(result)))


@route(V, "PATCH", summary="Change a version's description, stage or parent", tag="versions",
       body=schemas.VersionUpdate, response=schemas.Version)
def update_version(project: str, model_id: int, version_id: int, body: dict[str, t.Any]):
    model, version = _version(project, model_id, version_id)
    kwargs: dict[str, t.Any] = {"description": body.get("description"), "stage": body.get("stage")}
    if "parent_version_id" in body:
        kwargs["parent_version_id"] = body["parent_version_id"]
    version = version_service.update_version(project, request_actor(), version, **kwargs)
    return jsonify(_version_json(model, version))


@route(V, "DELETE", summary="Delete a version with its files", tag="versions", status=204)
def delete_version(project: str, model_id: int, version_id: int):
    _model_, version = _version(project, model_id, version_id)
    version_service.delete_version(project, request_actor(), version)
    return _no_content()


@route(V + "/metrics", "POST", summary="Log metrics", tag="versions", body=schemas.Metric,
       response=schemas.Version, status=201, body_one_or_many=True, body_name="metrics",
       description="A list of {key, value, step, timestamp} (one such object alone is taken as a list of one); "
                   "every value is kept, the latest shows on the version.")
def log_metrics(project: str, model_id: int, version_id: int, body: list[dict[str, t.Any]]):
    model, version = _version(project, model_id, version_id)
    tracking.log_metrics(project, request_actor(), _run(project, version), body)
    return _created(_version_json(model, version))


@route(V + "/metrics", "GET", summary="Logged metric values, a page at a time", tag="versions",
       query=schemas.MetricHistoryQuery, response=schemas.MetricPage)
def metric_history(project: str, model_id: int, version_id: int, query: dict[str, t.Any]):
    """Every value logged (of ``key``), ordered by key, step and time, ``per_page`` (at most 1000) at a
    time; ``next_page_token`` leads to the next page."""
    _m, version = _version(project, model_id, version_id)
    page = metric_summary.history_page(project, request_actor(), _files_run_id(version), key=query["key"],
                                       page=query["page"], per_page=query["per_page"], page_token=query["page_token"])
    return jsonify({"items": [metric_json(m) for m in page.items], "page": page.page, "per_page": page.per_page,
                    "total": page.total, "next_page_token": page.next_page_token})


@route(V + "/params", "PUT", summary="Replace the parameters", tag="versions", body=schemas.STRING_MAP,
       body_name="params", response=schemas.Version)
def put_params(project: str, model_id: int, version_id: int, body: dict[str, str]):
    """The version's parameters become exactly the given object of strings."""
    model, version = _version(project, model_id, version_id)
    tracking.log_params(project, request_actor(), _run(project, version), body, replace=True)
    return jsonify(_version_json(model, version))


@route(V + "/metadata", "PUT", summary="Replace the metadata", tag="versions", body=schemas.STRING_MAP,
       body_name="metadata", response=schemas.Version)
def put_metadata(project: str, model_id: int, version_id: int, body: dict[str, str]):
    """The version's metadata become exactly the given object of strings."""
    model, version = _version(project, model_id, version_id)
    version_service.replace_metadata(project, request_actor(), version, body)
    return jsonify(_version_json(model, version))


# -- artifacts ----------------------------------------------------------------------------------

@route(V + "/artifacts", "GET", summary="List a version's files", tag="artifacts", response=schemas.ArtifactList)
def list_artifacts(project: str, model_id: int, version_id: int):
    _m, version = _version(project, model_id, version_id)
    items = artifact_service.list_artifacts(project, request_actor(), _files_run_id(version))
    return jsonify({"items": [artifact_json(a) for a in items], "total": len(items)})


@route(V + "/artifacts/<path:path>", "PUT", summary="Upload a file (raw body, streamed)", tag="artifacts",
       response=schemas.ArtifactSchema, status=201, raw_body=True,
       description="The body is the file itself. The same path again answers 409; above the size limit, 413.")
def upload_artifact(project: str, model_id: int, version_id: int, path: str):
    _m, version = _version(project, model_id, version_id)
    artifact = transfer.upload_from_request(project, request_actor(), _files_run_id(version), path)
    return _created(artifact_json(artifact))


@route(V + "/artifacts/<path:path>", "GET", summary="Download a file (Range supported)", tag="artifacts",
       raw_response=True)
def download_artifact(project: str, model_id: int, version_id: int, path: str):
    _m, version = _version(project, model_id, version_id)
    artifact = artifact_service.get_artifact(project, request_actor(), _files_run_id(version), path)
    return transfer.download_response(artifact)


@route(V + "/artifacts/<path:path>", "DELETE", summary="Delete a file", tag="artifacts", status=204)
def delete_artifact(project: str, model_id: int, version_id: int, path: str):
    _m, version = _version(project, model_id, version_id)
    artifact_service.delete_artifacts(project, request_actor(), _files_run_id(version), [path])
    return _no_content()


@route(V + "/artifacts/delete", "POST", summary="Delete several files", tag="artifacts",
       body=schemas.DeleteArtifacts, status=204)
def delete_artifacts(project: str, model_id: int, version_id: int, body: dict[str, t.Any]):
    """All named files must exist, or nothing is deleted (404)."""
    _m, version = _version(project, model_id, version_id)
    artifact_service.delete_artifacts(project, request_actor(), _files_run_id(version), body["paths"])
    return _no_content()


# -- settings -----------------------------------------------------------------------------------

@route(P + "/model-registry/settings", "GET", summary="The registry's settings of a project", tag="settings",
       response=schemas.Settings, need="admin")
def get_settings(project: str):
    s = settings_service.read_settings(project, request_actor())
    return jsonify({"project": project, "enabled": s.enabled, "visibility": s.visibility})


@route(P + "/model-registry/settings", "PUT", summary="Enable or disable the registry, set its visibility",
       tag="settings", body=schemas.Settings, response=schemas.Settings, need="admin")
def put_settings(project: str, body: dict[str, t.Any]):
    s = settings_service.update_settings(project, request_actor(), enabled=body.get("enabled"),
                                         visibility=body.get("visibility"))
    return jsonify({"project": project, "enabled": s.enabled, "visibility": s.visibility})


@route(P + "/model-registry/audit", "GET", summary="Who changed what in the registry (maintainers)",
       tag="settings", query=schemas.AuditQuery, response=schemas.AuditPage, need="admin")
def audit_events(project: str, query: dict[str, t.Any]):
    """Newest first; every create, change and delete, with the user and the way they came in."""
    from ..services import audit

    events, next_before_id = audit.list_events(project, request_actor(), limit=query["limit"],
                                               before_id=query["before_id"])
    schema = schemas.AuditEventSchema()
    return jsonify({
        "items": [schema.dump({"id": e.id, "created_at": e.created_at, "action": e.action,
                               "target_type": e.target_type, "target_id": e.target_id,
                               "target_name": e.target_name, "actor": e.actor_name, "via": e.via,
                               "details": e.details}) for e in events],
        "next_before_id": next_before_id,
    })
