"""Read models for the MLflow API: what MLflow's entities show, as frozen values.

The MLflow door renders these and nothing else: model versions (with their tags as MLflow shows
them, aliases, run and logged model), registered models (with tags, aliases and latest versions),
experiments, runs (with their data, inputs and outputs) and logged models. They are built here in
a constant number of queries per page, whatever its size; they hold only what MLflow's answers
need, so an MLflow call costs no more queries than its answer requires. Timestamps stay
datetimes: writing them as MLflow's milliseconds is the door's job.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from ..models import Experiment, LoggedModel, ModelVersion, RegisteredModel, Run
from . import aliases, batches, logged_models, registration, tracking, versions
from .artifact_locations import experiment_artifact_location, logged_model_artifact_uri, run_artifact_uri
from .experiments import external_id, external_ids


@dataclasses.dataclass(frozen=True)
class MlflowVersion:
    name: str | None
    #: the version's number within its model (MLflow's ``version``)
    number: int
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    user_id: str | None
    stage: str
    description: str | None
    source: str | None
    run_id: str | None
    #: the stored tags plus the semantic version and parent, as MLflow clients see them
    tags: dict[str, str]
    aliases: tuple[str, ...]
    logged_model_id: str | None


@dataclasses.dataclass(frozen=True)
class MlflowModel:
    name: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    user_id: str | None
    description: str | None
    tags: dict[str, str]
    #: ``(alias, version number)``
    aliases: tuple[tuple[str, int], ...]
    #: the latest version in each stage
    latest_versions: tuple[MlflowVersion, ...]


@dataclasses.dataclass(frozen=True)
class ExperimentView:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    tags: dict[str, str]


@dataclasses.dataclass(frozen=True)
class RunInfo:
    run_id: str
    name: str | None
    experiment_id: str
    user_id: str | None
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str


@dataclasses.dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    timestamp: int | None
    step: int | None


@dataclasses.dataclass(frozen=True)
class DatasetInput:
    """A dataset a run used, as logged through MLflow (a dataset set on the pages or the JSON API
    shows its role as its ``mlflow.data.context`` tag)."""

    name: str
    digest: str
    source_type: str
    source: str
    schema: str
    profile: str
    tags: tuple[dict[str, str], ...]


@dataclasses.dataclass(frozen=True)
class RunView:
    info: RunInfo
    metrics: tuple[MetricPoint, ...]
    params: dict[str, str]
    tags: dict[str, str]
    datasets: tuple[DatasetInput, ...]
    #: ids of the logged models the run used
    model_inputs: tuple[str, ...]
    #: ``(logged model id, step)`` of the models the run produced
    model_outputs: tuple[tuple[str, int | None], ...]


@dataclasses.dataclass(frozen=True)
class LoggedMetric:
    key: str
    value: float
    timestamp: int | None
    step: int | None
    run_id: str | None
    model_id: str | None
    dataset_name: str | None
    dataset_digest: str | None


@dataclasses.dataclass(frozen=True)
class LoggedModelView:
    model_id: str
    experiment_id: str
    name: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    artifact_uri: str
    status: str
    model_type: str | None
    source_run_id: str | None
    tags: dict[str, str]
    #: ``(registered model name, version number)``
    registrations: tuple[tuple[str, int], ...]
    params: dict[str, str]
    metrics: tuple[LoggedMetric, ...]


# -- registry -------------------------------------------------------------------------------------

def model_versions(items: t.Sequence[ModelVersion]) -> list[MlflowVersion]:
    """Views of a page of versions: four queries, whatever their number."""
    ids = [v.id for v in items]
    names = batches.model_names([v.model_id for v in items])
    tags = batches.tags_by_version(ids)
    alias_map = aliases.aliases_by_version(ids)
    parents = batches.version_labels(v.parent_version_id for v in items)
    return [MlflowVersion(
        name=names.get(v.model_id), number=v.number, created_at=v.created_at, updated_at=v.updated_at,
        user_id=v.created_by_name, stage=v.stage, description=v.description, source=v.source,
        run_id=v.mlflow_run_id,
        tags=registration.shown_tags(v, tags.get(v.id, {}), parents.get(v.parent_version_id or -1)),
        aliases=tuple(alias_map.get(v.id, [])), logged_model_id=v.logged_model_id) for v in items]


def model_version(version: ModelVersion) -> MlflowVersion:
    return model_versions([version])[0]


def registered_models(items: t.Sequence[RegisteredModel]) -> list[MlflowModel]:
    """Views of a page of models with their latest versions: seven queries, whatever their number."""
    ids = [m.id for m in items]
    tags = batches.tags_by_model(ids)
    alias_map = aliases.aliases_by_model(ids)
    latest = batches.latest_by_stage(ids)
    latest_views = iter(model_versions([v for m in items for v in latest.get(m.id, [])]))
    return [MlflowModel(
        name=m.name, created_at=m.created_at, updated_at=m.updated_at, user_id=m.created_by_name,
        description=m.description, tags=tags.get(m.id, {}),
        aliases=tuple((a, n) for a, n in alias_map.get(m.id, [])),
        latest_versions=tuple(next(latest_views) for _ in latest.get(m.id, []))) for m in items]


def registered_model(model: RegisteredModel) -> MlflowModel:
    return registered_models([model])[0]


# -- tracking -------------------------------------------------------------------------------------

def experiments(items: t.Sequence[Experiment]) -> list[ExperimentView]:
    """Views of experiments: no query (their tags are on their rows)."""
    out = []
    for exp in items:
        ext = external_id(exp)
        out.append(ExperimentView(
            experiment_id=ext, name=exp.name, artifact_location=experiment_artifact_location(ext),
            lifecycle_stage=exp.lifecycle_stage, created_at=exp.created_at, updated_at=exp.updated_at,
            tags=dict(exp.tags or {})))
    return out


def experiment(exp: Experiment) -> ExperimentView:
    return experiments([exp])[0]


def run_info(run: Run) -> RunInfo:
    ext = external_id(run.experiment)
    return RunInfo(run_id=run.id, name=run.name, experiment_id=ext, user_id=run.user_id, status=run.status,
                   start_time=run.start_time, end_time=run.end_time, artifact_uri=run_artifact_uri(ext, run.id),
                   lifecycle_stage=run.lifecycle_stage)


def run(run: Run) -> RunView:
    """A run with its data, inputs and outputs: seven queries."""
    metrics = versions.latest_metrics([run.id]).get(run.id, [])
    tags = tracking.tags_of(run.id)
    tags.setdefault("mlflow.runName", run.name)
    datasets = tracking.datasets_of([run.id]).get(run.id, [])
    inputs = logged_models.links_of_run(run.id, "input")
    outputs = logged_models.links_of_run(run.id, "output")
    return RunView(
        info=run_info(run),
        metrics=tuple(MetricPoint(m.key, m.value, m.timestamp, m.step) for m in metrics),
        params=tracking.params_of(run.id), tags=tags,
        datasets=tuple(DatasetInput(
            name=d.name, digest=d.digest, source_type=d.source_type,
            source=d.source if d.source is not None else d.uri, schema=d.schema, profile=d.profile,
            tags=tuple(d.tags) if d.tags is not None else ({"key": "mlflow.data.context", "value": d.role},))
            for d in datasets),
        model_inputs=tuple(m.model_id for m in inputs),
        model_outputs=tuple((m.model_id, m.step) for m in outputs))


def logged_model_list(items: t.Sequence[LoggedModel]) -> list[LoggedModelView]:
    """Views of a page of logged models: three queries, whatever their number."""
    registered = logged_models.registrations([m.id for m in items])
    ext_ids = external_ids(m.experiment_id for m in items)
    metrics = logged_models.metrics_of([m.id for m in items])
    out = []
    for m in items:
        ext = ext_ids.get(m.experiment_id, str(m.experiment_id))
        out.append(LoggedModelView(
            model_id=m.id, experiment_id=ext, name=m.name, created_at=m.created_at, updated_at=m.updated_at,
            artifact_uri=logged_model_artifact_uri(ext, m.id), status=m.status, model_type=m.model_type,
            source_run_id=m.given_run_id or m.run_id, tags=dict(m.tags or {}),
            registrations=tuple(registered.get(m.id, [])), params=dict(m.params or {}),
            metrics=tuple(LoggedMetric(
                key=r.key, value=float("nan") if r.is_nan else r.value, timestamp=r.timestamp, step=r.step,
                run_id=r.run_id, model_id=r.model_id, dataset_name=r.dataset_name,
                dataset_digest=r.dataset_digest) for r in metrics.get(m.id, []))))
    return out


def logged_model(model: LoggedModel) -> LoggedModelView:
    return logged_model_list([model])[0]
