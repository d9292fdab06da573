"""Registered models: create, find, list, change, delete (with every version and file)."""
from __future__ import annotations

import dataclasses
import re
import typing as t

import sqlalchemy as sa

from ..config import config_value
from ..errors import AlreadyExists, Invalid, NotFound
from ..models import ModelTag, ModelVersion, RegisteredModel, utcnow
from . import audit, events
from .access import authorize
from .common import (Page, after_commit, check_name, nfc_key, check_string_map, check_text, clamp_page, like_pattern,
                     lock_row, row_id, session, unit_of_work, upsert)
from .identity import Actor

MODEL_SORTS = {"name": RegisteredModel.name, "created_at": RegisteredModel.created_at,
               "updated_at": RegisteredModel.updated_at}
_NAME = re.compile(r"^\w[\w.+@ -]*$")


@dataclasses.dataclass(frozen=True)
class ModelSummary:
    model: RegisteredModel
    latest_version: str | None
    latest_version_id: int | None
    version_count: int


def check_model_name(value: t.Any) -> str:
    name = check_name(value, "name")
    if not _NAME.match(name):
        raise Invalid("invalid model name", fields={
            "name": "Use letters, digits, spaces and . _ - + @; start with a letter or digit."})
    return name


def _summaries(stmt: sa.Select) -> list[ModelSummary]:
    """Models with their latest version and version count, read from the model rows (kept by
    every creation and deletion of a version): one query, whatever the page and model size."""
    return [ModelSummary(model=m, latest_version_id=m.latest_version_id, latest_version=m.latest_version,
                         version_count=m.version_count or 0) for m in session().scalars(stmt)]


def list_models(project: str, actor: Actor, *, search: str | None = None, sort: str = "created_at",
                order: str = "desc", page: int | None = None, per_page: int | None = None) -> Page[ModelSummary]:
    """A page of models with their latest version and version count: two queries (the count and
    the page), each along an index of ``(project, sort column)``, whatever the page or its size."""
    authorize(project, actor, "read")
    if sort not in MODEL_SORTS:
        raise Invalid("unknown sort", fields={"sort": f"Must be one of {', '.join(MODEL_SORTS)}."})
    if order not in ("asc", "desc"):
        raise Invalid("unknown order", fields={"order": "Must be asc or desc."})
    page, per_page = clamp_page(page, per_page, config_value("PER_PAGE"))
    where = [RegisteredModel.project == project]
    if search:
        where.append(RegisteredModel.name.ilike(like_pattern(search), escape="\\"))
    total = session().scalar(sa.select(sa.func.count(RegisteredModel.id)).where(*where)) or 0
    column = MODEL_SORTS[sort]
    ordering = [column.asc() if order == "asc" else column.desc(),
                RegisteredModel.id.asc() if order == "asc" else RegisteredModel.id.desc()]
    stmt = (sa.select(RegisteredModel).where(*where).order_by(*ordering)
            .limit(per_page).offset((page - 1) * per_page))
    return Page(items=_summaries(stmt), page=page, per_page=per_page, total=total)


def summarize(model: RegisteredModel) -> ModelSummary:
    return _summaries(sa.select(RegisteredModel).where(RegisteredModel.id == model.id))[0]


def get_model(project: str, actor: Actor, model_id: t.Any) -> RegisteredModel:
    authorize(project, actor, "read")
    number = row_id(model_id)
    model = session().get(RegisteredModel, number) if number is not None else None
    if model is None or model.project != project:
        raise NotFound("model not found")
    return model


def get_model_by_name(project: str, actor: Actor, name: str) -> RegisteredModel:
    authorize(project, actor, "read")
    model = None
    if isinstance(name, str) and "\x00" not in name:  # no name has one, and PostgreSQL refuses NUL
        model = session().scalar(sa.select(RegisteredModel).where(
            RegisteredModel.project == project, RegisteredModel.name == name))
    if model is None:
        raise NotFound(f"Registered Model with name={name} not found")
    return model


def _exists(name: str) -> str:
    """MLflow's message for a taken model name."""
    return f"Registered Model (name={name}) already exists."


@unit_of_work
def create_model(project: str, actor: Actor, *, name: t.Any, description: t.Any = "",
                 tags: t.Mapping[str, str] | None = None) -> RegisteredModel:
    authorize(project, actor, "write")
    name = check_model_name(name)
    description = check_text(description, "description")
    tag_map = check_string_map(dict(tags or {}), "tags")
    s = session()
    if s.scalar(sa.select(RegisteredModel.id).where(RegisteredModel.project == project,
                                                      RegisteredModel.name == name)):
        raise AlreadyExists(f"a model named {name!r} already exists", fields={"name": "Has already been taken."},
                            mlflow_message=_exists(name))
    model = RegisteredModel(project=project, name=name, description=description,
                            created_by_id=actor.user_id, created_by_name=actor.name, metric_goals={})
    model.tags = [ModelTag(key=k, value=v) for k, v in tag_map.items()]
    # a concurrent creation of the same name fails on the unique constraint: the unit of work
    # runs this again, and the check above answers AlreadyExists
    s.add(model)
    s.flush()
    audit.record(project, actor, "model.create", "model", model.id, name)
    events.model_created(project, name, tag_map, description)
    return model


@unit_of_work
def update_model(project: str, actor: Actor, model: RegisteredModel, *, name: t.Any = None,
                 description: t.Any = None, metric_goals: t.Any = None) -> RegisteredModel:
    """Rename a model or change its description or metric goals: every input is checked before
    anything changes; the model's row is locked, so concurrent changes queue up."""
    authorize(project, actor, "write")
    changes: dict[str, t.Any] = {}
    new_name = description_text = goals = None
    if name is not None:
        new_name = check_model_name(name)
    if description is not None:
        description_text = check_text(description, "description")
        changes["description"] = True
    if metric_goals is not None:
        goals = check_string_map(metric_goals, "metric_goals")
        bad = [k for k, v in goals.items() if v not in ("max", "min")]
        if bad:
            raise Invalid("metric goals must be max or min", fields={"metric_goals": f"{bad[0]}: use max or min."})
        changes["metric_goals"] = goals
    lock_row(RegisteredModel, model.id, "model not found")
    if new_name is not None and new_name != model.name:
        if session().scalar(sa.select(RegisteredModel.id).where(
                RegisteredModel.project == project, RegisteredModel.name == new_name)):
            raise AlreadyExists(f"a model named {new_name!r} already exists",
                                fields={"name": "Has already been taken."}, mlflow_message=_exists(new_name))
        changes["name"] = [model.name, new_name]
        model.name = new_name
    if description_text is not None:
        model.description = description_text
    if goals is not None:
        model.metric_goals = goals
    model.updated_at = utcnow()
    audit.record(project, actor, "model.update", "model", model.id, model.name, changes)
    session().flush()
    return model


@unit_of_work
def set_model_tag(project: str, actor: Actor, model: RegisteredModel, key: t.Any, value: t.Any) -> None:
    authorize(project, actor, "write")
    tags = check_string_map({key: value} if isinstance(key, str) else {None: value}, "tags")
    key, value = next(iter(tags.items()))
    lock_row(RegisteredModel, model.id, "model not found")
    model.updated_at = utcnow()
    upsert(ModelTag, [{"model_id": model.id, "key": key, "value": value}], keys=("model_id", "key"),
           update=("value",))
    audit.record(project, actor, "model.tag.set", "model", model.id, model.name, {key: value})
    session().flush()


@unit_of_work
def delete_model_tag(project: str, actor: Actor, model: RegisteredModel, key: str) -> None:
    authorize(project, actor, "write")
    key = nfc_key(key)
    lock_row(RegisteredModel, model.id, "model not found")
    session().execute(sa.delete(ModelTag).where(ModelTag.model_id == model.id, ModelTag.key == key))
    audit.record(project, actor, "model.tag.delete", "model", model.id, model.name, {"key": key})


@unit_of_work
def delete_model(project: str, actor: Actor, model: RegisteredModel) -> None:
    """Delete the model, all its versions, their runs and metrics, and every stored file."""
    from .versions import purge_versions

    from ..models import ModelAlias
    from .artifacts import delete_stored_objects

    authorize(project, actor, "write")
    s = session()
    model_id, name = model.id, model.name
    lock_row(RegisteredModel, model_id, "model not found")
    version_ids = list(s.scalars(sa.select(ModelVersion.id).where(ModelVersion.model_id == model_id)))
    keys = purge_versions(version_ids)
    s.execute(sa.delete(ModelTag).where(ModelTag.model_id == model_id))
    s.execute(sa.delete(ModelAlias).where(ModelAlias.model_id == model_id))
    s.execute(sa.delete(RegisteredModel).where(RegisteredModel.id == model_id))
    audit.record(project, actor, "model.delete", "model", model_id, name,
                 {"versions": len(version_ids), "files": len(keys)})
    events.model_deleted(project, name)
    after_commit(lambda: delete_stored_objects(keys))
