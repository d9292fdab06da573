"""Experiments of a project: the folders MLflow groups runs in.

Each project has a ``Default`` experiment (where every version's run lives); MLflow clients
know it as experiment ``"0"``, as on MLflow's own server. Other experiments are known by their
row id. An id that names another project's experiment is reported as not found.
"""
from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..errors import AlreadyExists, Invalid, NotFound
from ..models import Experiment, utcnow
from . import audit
from .access import authorize
from .common import check_name, check_string_map, row_id, session, unit_of_work
from .identity import Actor
from .tracking import get_or_create_experiment

DEFAULT_EXPERIMENT = "Default"
DEFAULT_EXPERIMENT_ID = "0"


def external_id(experiment: Experiment) -> str:
    """The id MLflow clients see: ``"0"`` for the project's Default experiment."""
    return DEFAULT_EXPERIMENT_ID if experiment.name == DEFAULT_EXPERIMENT else str(experiment.id)


def external_ids(experiment_ids: t.Iterable[int]) -> dict[int, str]:
    """``{experiment id: the id MLflow clients see}`` for several experiments, in one query."""
    ids = list(set(experiment_ids))
    if not ids:
        return {}
    return {e.id: external_id(e) for e in session().scalars(sa.select(Experiment).where(Experiment.id.in_(ids)))}


def default_experiment(project: str) -> Experiment:
    return get_or_create_experiment(project, DEFAULT_EXPERIMENT)


def get_experiment(project: str, actor: Actor, experiment_id: t.Any) -> Experiment:
    """The experiment with this MLflow id in ``project``."""
    authorize(project, actor, "read")
    ref = str(experiment_id if experiment_id is not None else "").strip()
    if ref == DEFAULT_EXPERIMENT_ID:
        return default_experiment(project)
    number = row_id(ref)
    experiment = session().get(Experiment, number) if number is not None else None
    if experiment is None or experiment.project != project:
        raise NotFound(f"No Experiment with id={ref} exists")
    return experiment


def get_experiment_by_name(project: str, actor: Actor, name: t.Any) -> Experiment:
    authorize(project, actor, "read")
    name = check_name(name, "experiment_name", max_length=500)
    if name == DEFAULT_EXPERIMENT:
        return default_experiment(project)
    experiment = session().scalar(sa.select(Experiment).where(Experiment.project == project,
                                                              Experiment.name == name))
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return experiment


@unit_of_work
def create_experiment(project: str, actor: Actor, name: t.Any,
                      tags: t.Mapping[str, t.Any] | None = None) -> Experiment:
    authorize(project, actor, "write")
    name = check_name(name, "name", max_length=500)
    tag_map = check_string_map(dict(tags or {}), "tags")
    s = session()
    taken = s.scalar(sa.select(Experiment.id).where(Experiment.project == project, Experiment.name == name))
    if taken is not None or name == DEFAULT_EXPERIMENT:
        raise AlreadyExists(f"Experiment '{name}' already exists.")
    experiment = Experiment(project=project, name=name, tags=tag_map)
    # a concurrent creation of the same name fails on the unique constraint: the unit of work
    # runs this again, and the check above answers AlreadyExists
    s.add(experiment)
    s.flush()
    audit.record(project, actor, "experiment.create", "experiment", experiment.id, name)
    return experiment


@unit_of_work
def set_experiment_tag(project: str, actor: Actor, experiment: Experiment, key: t.Any, value: t.Any) -> None:
    authorize(project, actor, "write")
    if not isinstance(key, str):
        raise Invalid("tag key must be a string", fields={"key": "Must be a string."})
    tag = check_string_map({key: value}, "tags")
    experiment.tags = {**(experiment.tags or {}), **tag}
    experiment.updated_at = utcnow()
    s = session()
    s.add(experiment)


def list_experiments(project: str, actor: Actor) -> list[Experiment]:
    """Every experiment of the project, the Default one first."""
    authorize(project, actor, "read")
    default_experiment(project)
    rows = session().scalars(sa.select(Experiment).where(Experiment.project == project).order_by(Experiment.id))
    return sorted(rows, key=lambda e: (e.name != DEFAULT_EXPERIMENT, e.id))
