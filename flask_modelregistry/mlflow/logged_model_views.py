"""MLflow 3's logged-model API, which ``mlflow.<flavor>.log_model`` calls before and after it
uploads a model's files (``POST /logged-models``, ``PATCH`` to finalize, tags, search)."""
from __future__ import annotations

from ..services import experiments, logged_models, mlflow_views
from . import entities
from .protocol import Params, actor, compact, ok, project
from .routing import API, route

LM = API + "/logged-models"


def _model(model_id: str):
    return logged_models.get_logged_model(project(), actor(), model_id)


@route(LM, "POST")
def create_logged_model():
    p = Params.from_request()
    exp = experiments.get_experiment(project(), actor(), p.string("experiment_id", required=True))
    model = logged_models.create_logged_model(
        project(), actor(), exp, name=p.string("name"), source_run_id=p.string("source_run_id"),
        tags=p.key_values("tags"), params=p.key_values("params"), model_type=p.string("model_type"))
    return ok({"model": entities.logged_model(mlflow_views.logged_model(model))})


@route(LM + "/<model_id>", "GET")
def get_logged_model(model_id: str):
    return ok({"model": entities.logged_model(mlflow_views.logged_model(_model(model_id)))})


@route(LM + "/<model_id>", "PATCH")
def finalize_logged_model(model_id: str):
    p = Params.from_request()
    model = logged_models.finalize(project(), actor(), _model(model_id), p.raw("status"))
    return ok({"model": entities.logged_model(mlflow_views.logged_model(model))})


@route(LM + "/<model_id>", "DELETE")
def delete_logged_model(model_id: str):
    logged_models.delete_logged_model(project(), actor(), _model(model_id))
    return ok()


@route(LM + "/<model_id>/tags", "PATCH")
def set_logged_model_tags(model_id: str):
    p = Params.from_request()
    logged_models.set_tags(project(), actor(), _model(model_id), p.key_values("tags"))
    return ok()


@route(LM + "/<model_id>/tags/<path:key>", "DELETE")
def delete_logged_model_tag(model_id: str, key: str):
    logged_models.delete_tag(project(), actor(), _model(model_id), key)
    return ok()


@route(LM + "/<model_id>/params", "POST")
def log_logged_model_params(model_id: str):
    p = Params.from_request()
    logged_models.log_params(project(), actor(), _model(model_id), p.key_values("params"))
    return ok()


@route(LM + "/search", "POST")
def search_logged_models():
    p = Params.from_request()
    ids = p.strings("experiment_ids")
    exps = [experiments.get_experiment(project(), actor(), i) for i in ids] if ids else \
        experiments.list_experiments(project(), actor())
    items, token = logged_models.search_logged_models(
        project(), actor(), exps, filter=p.string("filter"), max_results=p.integer("max_results"),
        page_token=p.string("page_token"), datasets=p.objects("datasets"))
    views = mlflow_views.logged_model_list(items)
    return ok(compact({"models": entities.logged_model_list(views), "next_page_token": token}))
