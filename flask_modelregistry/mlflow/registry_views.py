"""MLflow's model registry API: registered models, model versions, aliases, stages.

Every view parses MLflow's parameters, calls the same service functions as the JSON API and the
pages, and answers MLflow's JSON. ``version`` is a version's number within its model (1, 2, ...)
and may also be its semantic version (``get_model_version("fraud", "1.2.0")``).
"""
from __future__ import annotations

from ..services import aliases, mlflow_views, registered_models, registration, registry_search, versions
from . import entities
from .protocol import Params, actor, compact, missing, ok, project
from .routing import API, route

RM = API + "/registered-models"
MV = API + "/model-versions"


def _model(p: Params, field: str = "name"):
    """The named model, a handle the door passes back to the services."""
    return registered_models.get_model_by_name(project(), actor(), p.string(field, required=True))


def _model_version(p: Params):
    """The model and its version named by ``name`` and ``version``."""
    model = _model(p)
    ref = p.raw("version")
    if ref in (None, ""):
        raise missing("version")
    return model, registration.find_version_ref(project(), actor(), model, ref)


def _version(p: Params):
    return _model_version(p)[1]


def _model_json(model) -> dict:
    return entities.registered_model(mlflow_views.registered_model(model))


def _version_json(version) -> dict:
    return entities.model_version(mlflow_views.model_version(version))


# -- registered models ------------------------------------------------------------------------------

@route(RM + "/create", "POST")
def create_registered_model():
    p = Params.from_request()
    model = registered_models.create_model(project(), actor(), name=p.string("name", required=True),
                                           description=p.string("description") or "", tags=p.key_values("tags"))
    return ok({"registered_model": _model_json(model)})


@route(RM + "/get", "GET")
def get_registered_model():
    return ok({"registered_model": _model_json(_model(Params.from_request()))})


@route(RM + "/search", "GET")
def search_registered_models():
    p = Params.from_request()
    items, token = registry_search.search_models(
        project(), actor(), filter=p.string("filter"), order_by=p.strings("order_by"),
        max_results=p.integer("max_results"), page_token=p.string("page_token"))
    views = mlflow_views.registered_models(items)
    return ok(compact({"registered_models": entities.registered_models(views), "next_page_token": token}))


@route(RM + "/update", "PATCH")
def update_registered_model():
    p = Params.from_request()
    model = _model(p)
    description = p.string("description") if p.has("description") else None
    model = registered_models.update_model(project(), actor(), model, description=description)
    return ok({"registered_model": _model_json(model)})


@route(RM + "/rename", "POST")
def rename_registered_model():
    p = Params.from_request()
    model = _model(p)
    model = registered_models.update_model(project(), actor(), model, name=p.string("new_name", required=True))
    return ok({"registered_model": _model_json(model)})


@route(RM + "/set-tag", "POST")
def set_registered_model_tag():
    p = Params.from_request()
    model = _model(p)
    registered_models.set_model_tag(project(), actor(), model, p.string("key", required=True), p.raw("value"))
    return ok()


@route(RM + "/delete-tag", "DELETE")
def delete_registered_model_tag():
    p = Params.from_request()
    model = _model(p)
    registered_models.delete_model_tag(project(), actor(), model, p.string("key", required=True))
    return ok()


@route(RM + "/delete", "DELETE")
def delete_registered_model():
    registered_models.delete_model(project(), actor(), _model(Params.from_request()))
    return ok()


@route(RM + "/alias", "POST")
def set_registered_model_alias():
    p = Params.from_request()
    alias = p.string("alias", required=True)
    model, version = _model_version(p)
    aliases.set_alias(project(), actor(), model, alias, version)
    return ok()


@route(RM + "/alias", "GET")
def get_model_version_by_alias():
    p = Params.from_request()
    model = _model(p)
    version = aliases.version_by_alias(project(), actor(), model, p.string("alias", required=True))
    return ok({"model_version": _version_json(version)})


@route(RM + "/alias", "DELETE")
def delete_registered_model_alias():
    p = Params.from_request()
    model = _model(p)
    aliases.delete_alias(project(), actor(), model, p.string("alias", required=True))
    return ok()


@route(RM + "/get-latest-versions", "POST", "GET")
def get_latest_versions():
    p = Params.from_request()
    found = registration.latest_versions(project(), actor(), _model(p), p.strings("stages"))
    return ok(compact({"model_versions": entities.model_versions(mlflow_views.model_versions(found))}))


# -- model versions ---------------------------------------------------------------------------------

@route(MV + "/create", "POST")
def create_model_version():
    p = Params.from_request()
    model = _model(p)
    version = registration.register_version(
        project(), actor(), model, source=p.string("source") or "", run_id=p.string("run_id"),
        tags=p.key_values("tags"), description=p.string("description") or "", logged_model_id=p.string("model_id"))
    return ok({"model_version": _version_json(version)})


@route(MV + "/get", "GET")
def get_model_version():
    return ok({"model_version": _version_json(_version(Params.from_request()))})


@route(MV + "/update", "PATCH")
def update_model_version():
    p = Params.from_request()
    version = _version(p)
    description = p.string("description") if p.has("description") else None
    version = versions.update_version(project(), actor(), version, description=description)
    return ok({"model_version": _version_json(version)})


@route(MV + "/set-tag", "POST")
def set_model_version_tag():
    p = Params.from_request()
    version = _version(p)
    registration.set_version_tag(project(), actor(), version, p.string("key", required=True), p.raw("value"))
    return ok()


@route(MV + "/delete-tag", "DELETE")
def delete_model_version_tag():
    p = Params.from_request()
    version = _version(p)
    registration.delete_version_tag(project(), actor(), version, p.string("key", required=True))
    return ok()


@route(MV + "/search", "GET")
def search_model_versions():
    p = Params.from_request()
    items, token = registry_search.search_versions(
        project(), actor(), filter=p.string("filter"), order_by=p.strings("order_by"),
        max_results=p.integer("max_results"), page_token=p.string("page_token"))
    views = mlflow_views.model_versions(items)
    return ok(compact({"model_versions": entities.model_versions(views), "next_page_token": token}))


@route(MV + "/get-download-uri", "GET")
def get_model_version_download_uri():
    version = _version(Params.from_request())
    return ok({"artifact_uri": registration.download_uri(project(), actor(), version)})


@route(MV + "/transition-stage", "POST")
def transition_model_version_stage():
    p = Params.from_request()
    version = _version(p)
    stage = registration.check_stage(p.string("stage", required=True))
    version = versions.update_version(project(), actor(), version, stage=stage,
                                      archive_existing=p.boolean("archive_existing_versions"))
    return ok({"model_version": _version_json(version)})


@route(MV + "/delete", "DELETE")
def delete_model_version():
    versions.delete_version(project(), actor(), _version(Params.from_request()))
    return ok()
