"""MLflow's tracking API, as far as registry work needs it: experiments, runs, and what is logged
to runs. A version's run (``mv.run_id``) is a run like any other, so what is logged to it here
shows on that version's pages and in the JSON API."""
from __future__ import annotations

import re

from ..errors import BadRequest
from ..services import experiments, logged_models, mlflow_views, runs, tracking
from ..services.search import check_max_results, decode_page_token, encode_page_token
from . import entities
from .protocol import Params, actor, compact, invalid, missing, number, ok, project
from .routing import API, route

EXP = API + "/experiments"
RUNS = API + "/runs"
#: what MLflow 3 adds to a metric logged for a logged model
MODEL_FIELDS = ("model_id", "dataset_name", "dataset_digest")
#: an int64 sent as a JSON string: ASCII digits only (``str.isdigit`` takes "²", which ``int`` refuses)
_INT64_TEXT = re.compile(r"-?[0-9]{1,19}")


def _run(p: Params):
    run_id = p.string("run_id") or p.string("run_uuid")
    if not run_id:
        raise missing("run_id")
    return tracking.get_run(project(), actor(), run_id)


# -- experiments ------------------------------------------------------------------------------------

@route(EXP + "/create", "POST")
def create_experiment():
    p = Params.from_request()
    exp = experiments.create_experiment(project(), actor(), p.string("name", required=True), p.key_values("tags"))
    return ok({"experiment_id": experiments.external_id(exp)})


@route(EXP + "/get", "GET")
def get_experiment():
    p = Params.from_request()
    exp = experiments.get_experiment(project(), actor(), p.string("experiment_id", required=True))
    return ok({"experiment": entities.experiment(mlflow_views.experiment(exp))})


@route(EXP + "/get-by-name", "GET")
def get_experiment_by_name():
    p = Params.from_request()
    exp = experiments.get_experiment_by_name(project(), actor(), p.string("experiment_name", required=True))
    return ok({"experiment": entities.experiment(mlflow_views.experiment(exp))})


@route(EXP + "/search", "POST", "GET")
def search_experiments():
    """Every experiment of the project (no filter language here), in pages."""
    p = Params.from_request()
    if p.string("filter"):
        raise BadRequest("Filtering experiments is not supported by this server")
    limit = check_max_results(p.integer("max_results"), default=1000, maximum=50_000)
    offset = decode_page_token(p.string("page_token"))
    found = experiments.list_experiments(project(), actor())
    page = found[offset:offset + limit]
    token = encode_page_token(offset + limit) if len(found) > offset + limit else None
    shown = [entities.experiment(e) for e in mlflow_views.experiments(page)]
    return ok(compact({"experiments": shown, "next_page_token": token}))


@route(EXP + "/set-experiment-tag", "POST")
def set_experiment_tag():
    p = Params.from_request()
    exp = experiments.get_experiment(project(), actor(), p.string("experiment_id", required=True))
    experiments.set_experiment_tag(project(), actor(), exp, p.string("key", required=True), p.raw("value"))
    return ok()


# -- runs -------------------------------------------------------------------------------------------

@route(RUNS + "/create", "POST")
def create_run():
    p = Params.from_request()
    exp = experiments.get_experiment(project(), actor(), p.string("experiment_id") or experiments.DEFAULT_EXPERIMENT_ID)
    run = runs.create_run(project(), actor(), exp, name=p.string("run_name"), start_time=p.integer("start_time"),
                          tags=p.key_values("tags"))
    return ok({"run": entities.run(mlflow_views.run(run))})


@route(RUNS + "/get", "GET")
def get_run():
    return ok({"run": entities.run(mlflow_views.run(_run(Params.from_request())))})


@route(RUNS + "/update", "POST")
def update_run():
    p = Params.from_request()
    run = runs.update_run(project(), actor(), _run(p), status=p.raw("status"), end_time=p.integer("end_time"),
                          name=p.string("run_name"))
    return ok({"run_info": entities.run_info(mlflow_views.run_info(run))})


@route(RUNS + "/log-metric", "POST")
def log_metric():
    p = Params.from_request()
    run = _run(p)
    metric = {"key": p.string("key", required=True), "value": p.raw("value"),
              "timestamp": p.integer("timestamp"), "step": p.integer("step"), "model_id": p.string("model_id"),
              "dataset_name": p.string("dataset_name"), "dataset_digest": p.string("dataset_digest")}
    tracking.log_metrics(project(), actor(), run, [metric])
    return ok()


@route(RUNS + "/log-parameter", "POST")
def log_param():
    p = Params.from_request()
    run = _run(p)
    key = p.string("key", required=True)
    tracking.log_params(project(), actor(), run, {key: p.raw("value")})
    return ok()


@route(RUNS + "/log-batch", "POST")
def log_batch():
    p = Params.from_request()
    run = _run(p)
    metrics = [{"key": m.get("key"), "value": m.get("value"), "timestamp": _int(m.get("timestamp")),
                "step": _int(m.get("step")), **{k: m[k] for k in MODEL_FIELDS if m.get(k) not in (None, "")}}
               for m in p.objects("metrics")]
    if any(m["timestamp"] is None for m in metrics):  # MLflow requires every batch metric's timestamp
        raise invalid(p.raw("metrics"), "metrics", "every metric needs a key, a value and a timestamp")
    params = {}
    for item in p.objects("params"):
        key = item.get("key")
        if not isinstance(key, str):
            raise BadRequest("Invalid value for parameter 'params' supplied: every param needs a string key")
        params[key] = item.get("value")
    runs.log_batch(project(), actor(), run, metrics=metrics, params=params, tags=p.key_values("tags"))
    return ok()


def _int(value: object) -> object:
    """int64 fields may arrive as JSON strings; other values are left for validation to refuse."""
    if isinstance(value, str) and _INT64_TEXT.fullmatch(value):
        return int(value)
    return value


@route(RUNS + "/set-tag", "POST")
def set_tag():
    p = Params.from_request()
    run = _run(p)
    runs.set_tags(project(), actor(), run, {p.string("key", required=True): p.string("value") or ""})
    return ok()


@route(RUNS + "/delete-tag", "POST")
def delete_tag():
    p = Params.from_request()
    runs.delete_tag(project(), actor(), _run(p), p.string("key", required=True))
    return ok()


@route(RUNS + "/log-inputs", "POST")
def log_inputs():
    """Datasets a run used (``mlflow.log_input``), each with its ``mlflow.data.context`` as its role."""
    p = Params.from_request()
    run = _run(p)
    if not p.has("datasets") and not p.has("models"):
        raise missing("datasets")
    datasets = []
    for item in p.objects("datasets"):
        dataset = item.get("dataset")
        if not isinstance(dataset, dict):
            raise BadRequest("Invalid value for parameter 'datasets' supplied: each needs a dataset")
        tags = Params(item, from_query=False).objects("tags")
        context = next((tag.get("value") for tag in tags if tag.get("key") == runs.CONTEXT_TAG), None)
        datasets.append({**dataset, "context": context, "tags": tags})
    models = [(m.get("model_id"), 0) for m in p.objects("models")]
    logged_models.check_outputs(project(), actor(), run, [m for m, _step in models])
    runs.log_inputs(project(), actor(), run, datasets)
    logged_models.link_models(project(), actor(), run, models, "input")
    return ok()


@route(RUNS + "/outputs", "POST")
def log_outputs():
    p = Params.from_request()
    run = _run(p)
    models = [(m.get("model_id"), _int(m.get("step"))) for m in p.objects("models")]
    logged_models.link_models(project(), actor(), run, models, "output")
    return ok()


@route(API + "/metrics/get-history", "GET")
def get_metric_history():
    p = Params.from_request()
    run = _run(p)
    key = p.string("metric_key", required=True)
    page, token = tracking.metric_history(project(), actor(), run, key, max_results=p.integer("max_results"),
                                          page_token=p.string("page_token"))
    return ok(compact({
        "metrics": [{"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step} for m in page],
        "next_page_token": token,
    }))
