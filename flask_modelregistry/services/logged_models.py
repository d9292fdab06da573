"""MLflow 3 logged models: what ``mlflow.<flavor>.log_model`` creates before it uploads the files.

A logged model belongs to a run (its ``source_run_id``, or a run of its own when it was logged
outside one), and its files are stored among that run's files, in the folder ``artifact_path``
(the model's name, e.g. ``model/MLmodel``). Registering it as a version makes that run the
version's run, so the model's files, metrics and parameters show on the version's pages.
"""
from __future__ import annotations

import fnmatch
import json
import typing as t
import uuid

import sqlalchemy as sa

from ..errors import Invalid, NotFound
from ..models import (Artifact, Experiment, LoggedModel, ModelVersion, RegisteredModel, Run, RunMetric, RunModelLink,
                      utcnow)
from ..paths import validate_artifact_path
from . import audit, tracking
from .access import authorize
from .artifact_locations import is_logged_model_id
from .batches import chunks
from .common import check_name, check_string_map, lock_row, session, unit_of_work, upsert
from .identity import Actor
from .search import (Attribute, SearchSpec, check_max_results, conditions, decode_page_token, encode_page_token,
                     fetch_page, parse_filter)

STATUSES = ("LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED")


def get_logged_model(project: str, actor: Actor, model_id: t.Any) -> LoggedModel:
    authorize(project, actor, "read")
    model = session().get(LoggedModel, model_id) if is_logged_model_id(model_id) else None
    if model is None or model.project != project:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return model


def _artifact_path(run_id: str, name: str, model_id: str) -> str:
    """The model's name as its folder in the run, unless files or another model are there already."""
    s = session()
    taken = s.scalar(sa.select(sa.func.count()).select_from(Artifact).where(
        Artifact.run_id == run_id, sa.or_(Artifact.path == name, Artifact.path.startswith(name + "/", autoescape=True))))
    taken = taken or s.scalar(sa.select(sa.func.count()).select_from(LoggedModel).where(
        LoggedModel.run_id == run_id, LoggedModel.artifact_path == name))
    return f"{name}-{model_id[2:10]}" if taken else name


@unit_of_work
def create_logged_model(project: str, actor: Actor, experiment: Experiment, *, name: t.Any = None,
                        source_run_id: t.Any = None, tags: t.Mapping[str, t.Any] | None = None,
                        params: t.Mapping[str, t.Any] | None = None, model_type: t.Any = None) -> LoggedModel:
    authorize(project, actor, "write")
    model_id = f"m-{uuid.uuid4().hex}"
    name = check_name(name, "name", required=False) or f"model-{model_id[2:10]}"
    if "/" in name or ":" in name:
        raise Invalid(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.", fields={"name": "No / or :."})
    validate_artifact_path(name, what="model name")
    tag_map = check_string_map(dict(tags or {}), "tags", value_max=8000)
    param_map = check_string_map(dict(params or {}), "params", value_max=8000)
    model_type = check_name(model_type, "model_type", required=False)
    new_run = None
    given_run_id = None
    source = session().get(Run, str(source_run_id)[:64]) if source_run_id else None
    if source is not None and source.project == project:
        run = source
    else:  # logged outside a run, or from a run this server does not know (kept as given, as MLflow
        # does): it gets a run of its own, where its files are kept
        given_run_id = check_name(source_run_id, "source_run_id", required=False) or None
        run = new_run = Run(id=uuid.uuid4().hex, project=project, experiment_id=experiment.id, name=name,
                            status="FINISHED", start_time=tracking.now_ms(), user_id=actor.login_name,
                            made_for_version=True)
    path = name if new_run is not None else _artifact_path(run.id, name, model_id)
    model = LoggedModel(id=model_id, project=project, experiment_id=run.experiment_id, run_id=run.id, name=name,
                        given_run_id=given_run_id, artifact_path=path, status="LOGGED_MODEL_PENDING", model_type=model_type,
                        tags=tag_map, params=param_map)
    s = session()
    if new_run is not None:
        s.add(new_run)
        s.flush()
    s.add(model)
    audit.record(project, actor, "logged_model.create", "logged_model", model_id, name, {"run_id": run.id})
    return model


def _lock(model: LoggedModel) -> None:
    """Lock the logged model's row and read it again: its tags and params are merged into the
    latest committed value, so concurrent writers each keep what the others set."""
    lock_row(LoggedModel, model.id, f"Logged model with ID '{model.id}' not found.")
    session().refresh(model)


@unit_of_work
def finalize(project: str, actor: Actor, model: LoggedModel, status: t.Any) -> LoggedModel:
    authorize(project, actor, "write")
    if isinstance(status, int) and not isinstance(status, bool) and 1 <= status <= len(STATUSES):
        status = STATUSES[status - 1]
    if status not in STATUSES:
        raise Invalid(f"Invalid logged model status: {status}", fields={"status": f"One of {', '.join(STATUSES)}."})
    model.status = status
    model.updated_at = utcnow()
    s = session()
    s.add(model)
    return model


@unit_of_work
def set_tags(project: str, actor: Actor, model: LoggedModel, tags: t.Mapping[str, t.Any]) -> None:
    authorize(project, actor, "write")
    tags = check_string_map(dict(tags), "tags", value_max=8000)
    _lock(model)
    model.tags = {**(model.tags or {}), **tags}
    model.updated_at = utcnow()
    s = session()
    s.add(model)


@unit_of_work
def delete_tag(project: str, actor: Actor, model: LoggedModel, key: str) -> None:
    authorize(project, actor, "write")
    _lock(model)
    if key not in (model.tags or {}):
        raise NotFound(f"No tag with key '{key}' found for logged model '{model.id}'")
    model.tags = {k: v for k, v in model.tags.items() if k != key}
    model.updated_at = utcnow()
    s = session()
    s.add(model)


@unit_of_work
def log_params(project: str, actor: Actor, model: LoggedModel, params: t.Mapping[str, t.Any]) -> None:
    authorize(project, actor, "write")
    params = check_string_map(dict(params), "params", value_max=8000)
    _lock(model)
    model.params = {**(model.params or {}), **params}
    model.updated_at = utcnow()
    s = session()
    s.add(model)


@unit_of_work
def delete_logged_model(project: str, actor: Actor, model: LoggedModel) -> None:
    """Forget the logged model. Its files stay among its run's files (and so with any version
    registered from it)."""
    authorize(project, actor, "write")
    s = session()
    s.execute(sa.delete(LoggedModel).where(LoggedModel.id == model.id))
    audit.record(project, actor, "logged_model.delete", "logged_model", model.id, model.name)


def search_logged_models(project: str, actor: Actor, experiments: t.Sequence[Experiment], *,
                         filter: str | None = None, max_results: int | None = None,
                         page_token: str | None = None,
                         datasets: t.Sequence[t.Mapping[str, t.Any]] | None = None) -> tuple[list[LoggedModel], str | None]:
    """Logged models of the given experiments; filters on ``name``, ``model_id``,
    ``source_run_id``, ``status`` and tags, and (``datasets``: ``[{dataset_name, dataset_digest?}]``)
    to models with a metric measured on one of those datasets, as MLflow does."""
    authorize(project, actor, "read")
    spec = SearchSpec(
        attributes={"name": Attribute(LoggedModel.name), "model_id": Attribute(LoggedModel.id),
                    "source_run_id": Attribute(LoggedModel.run_id), "status": Attribute(LoggedModel.status)},
        tag_condition=None)
    clauses = parse_filter(filter)
    tag_clauses = [c for c in clauses if c.entity == "tag"]
    where = conditions(spec, [c for c in clauses if c.entity != "tag"])
    limit = check_max_results(max_results, default=100, maximum=1000)
    offset = decode_page_token(page_token)
    stmt = (sa.select(LoggedModel).where(LoggedModel.project == project,
                                         LoggedModel.experiment_id.in_([e.id for e in experiments]), *where)
            .order_by(LoggedModel.created_at.desc(), LoggedModel.id))
    if datasets:
        stmt = stmt.where(_measured_on(datasets))
    if not tag_clauses:
        return fetch_page(stmt, offset, limit)
    # tags are a JSON column: those clauses are applied in Python to the rows the others matched
    rows = [m for m in session().scalars(stmt) if all(_tag_matches(m.tags or {}, c) for c in tag_clauses)]
    page = rows[offset:offset + limit]
    return page, (encode_page_token(offset + limit) if len(rows) > offset + limit else None)


def _measured_on(datasets: t.Sequence[t.Mapping[str, t.Any]]) -> t.Any:
    matches = []
    for d in datasets:
        name, digest = (d.get("dataset_name"), d.get("dataset_digest")) if isinstance(d, t.Mapping) else (None, None)
        if not isinstance(name, str) or not name or (digest is not None and not isinstance(digest, str)):
            raise Invalid("Invalid datasets: each needs a dataset_name (and may have a dataset_digest)",
                          fields={"datasets": "Each needs a dataset_name."})
        on = [RunMetric.dataset_name == name] + ([RunMetric.dataset_digest == digest] if digest else [])
        matches.append(sa.and_(*on))
    return sa.exists().where(RunMetric.model_id == LoggedModel.id, sa.or_(*matches))


def metrics_of(model_ids: t.Sequence[str]) -> dict[str, list[RunMetric]]:
    """Every value logged for each logged model (MLflow's ``LoggedModel.metrics``)."""
    out: dict[str, list[RunMetric]] = {}
    for chunk in chunks(list(model_ids)):
        for row in session().scalars(sa.select(RunMetric).where(RunMetric.model_id.in_(chunk))
                                     .order_by(RunMetric.key, RunMetric.step, RunMetric.timestamp, RunMetric.id)):
            out.setdefault(row.model_id, []).append(row)
    return out


def _tag_matches(tags: t.Mapping[str, str], clause: t.Any) -> bool:
    value = tags.get(clause.key)
    if value is None:
        return False
    if clause.op == "=":
        return value == clause.value
    if clause.op == "!=":
        return value != clause.value
    pattern = str(clause.value).replace("%", "*").replace("_", "?")
    if clause.op == "ILIKE":
        return fnmatch.fnmatch(value.lower(), pattern.lower())
    return fnmatch.fnmatchcase(value, pattern)


def registrations(model_ids: t.Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """``{logged model id: [(registered model name, version number), ...]}``."""
    out: dict[str, list[tuple[str, int]]] = {}
    for chunk in chunks(model_ids):
        rows = session().execute(
            sa.select(ModelVersion.logged_model_id, RegisteredModel.name, ModelVersion.number)
            .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
            .where(ModelVersion.logged_model_id.in_(chunk)).order_by(ModelVersion.id))
        for row in rows:
            out.setdefault(row.logged_model_id, []).append((row.name, row.number))
    return out


MODEL_VERSIONS_TAG = "mlflow.modelVersions"


@unit_of_work
def record_model_version(model_id: str, name: str, number: int) -> None:
    """Add a version registered from the logged model to its ``mlflow.modelVersions`` tag
    (``[{"name", "version"}, ...]`` as JSON), as MLflow does (in the registering operation)."""
    lock_row(LoggedModel, model_id, f"Logged model with ID '{model_id}' not found.")
    model = session().get(LoggedModel, model_id)
    tags = dict(model.tags or {})
    try:
        listed = json.loads(tags.get(MODEL_VERSIONS_TAG) or "[]")
    except ValueError:
        listed = []
    entry = {"name": name, "version": str(number)}
    if not isinstance(listed, list):
        listed = []
    if entry not in listed:
        tags[MODEL_VERSIONS_TAG] = json.dumps(listed + [entry])
        model.tags = tags
        session().flush()


def links_of_run(run_id: str, direction: str) -> list[RunModelLink]:
    """The logged models a run used (``input``) or produced (``output``), as it logged them."""
    return list(session().scalars(sa.select(RunModelLink).where(
        RunModelLink.run_id == run_id, RunModelLink.direction == direction).order_by(RunModelLink.model_id)))


@unit_of_work
def link_models(project: str, actor: Actor, run: Run, models: t.Sequence[tuple[t.Any, t.Any]], direction: str) -> None:
    """Record ``(model id, step)`` pairs as the run's model inputs or outputs (``log-inputs``'
    ``models``, ``runs/outputs``); every model must be a logged model of the project."""
    authorize(project, actor, "write")
    rows = []
    for model_id, step in models:
        model = get_logged_model(project, actor, model_id)
        if step is not None and (isinstance(step, bool) or not isinstance(step, int) or not -2**63 <= step < 2**63):
            raise Invalid("bad step", fields={"models": "step must be an integer."})
        rows.append({"run_id": run.id, "model_id": model.id, "direction": direction, "step": step or 0})
    if rows:
        upsert(RunModelLink, rows, keys=("run_id", "model_id", "direction"), update=("step",))


def check_outputs(project: str, actor: Actor, run: Run, model_ids: t.Sequence[t.Any]) -> None:
    """``runs/outputs``: every model named must be a logged model of the project."""
    authorize(project, actor, "write")
    for model_id in model_ids:
        get_logged_model(project, actor, model_id)
