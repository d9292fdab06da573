"""Read models: what the front doors show of models and versions, as frozen values.

The services build them in a constant number of queries per page (whatever its size), so that a
door renders them and never reads ORM rows or runs a query of its own: the JSON API dumps them,
the pages and the MLflow API show the same values. Maps (tags, params, metadata) are plain dicts
a door must not change; sequences are tuples.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

import sqlalchemy as sa

from ..models import ModelVersion, RegisteredModel
from . import aliases as alias_service
from . import batches, tracking
from . import registered_models as model_service
from . import versions as version_service
from .ci import ci_job
from .common import Page, session
from .identity import Actor
from .registered_models import ModelSummary
from .versions import MetricValue, VersionDetails


@dataclasses.dataclass(frozen=True)
class ModelRef:
    """A model's own fields, built without a query: what a page or an answer needs to name, link
    and edit it (:class:`ModelView` adds what takes queries, so templates take either)."""

    id: int
    project: str
    name: str
    description: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    #: metric -> "max" or "min"
    metric_goals: dict[str, str]


@dataclasses.dataclass(frozen=True)
class ModelView(ModelRef):
    #: the highest release by semantic version order (the highest prerelease without a release)
    latest_version: str | None
    latest_version_id: int | None
    version_count: int
    tags: dict[str, str]
    #: alias -> semantic version
    aliases: dict[str, str]


@dataclasses.dataclass(frozen=True)
class DatasetView:
    name: str
    uri: str
    digest: str
    role: str
    source_type: str


@dataclasses.dataclass(frozen=True)
class ParentRef:
    """The version a version was derived from (possibly of another model of the project)."""

    id: int
    version: str
    model_id: int
    model_name: str


@dataclasses.dataclass(frozen=True)
class VersionRef:
    """A version's own fields, built without a query: what a page or an answer needs to name,
    link and edit it, and the run that holds its files and metrics (:class:`VersionView` adds
    what takes queries)."""

    id: int
    model_id: int
    #: the version's number within its model (MLflow's version)
    number: int
    #: the semantic version
    version: str
    description: str | None
    stage: str
    #: the run that holds the version's files, metrics and parameters: what its pages, the JSON
    #: API's artifact and metric routes and the package files read and write
    files_run_id: str


@dataclasses.dataclass(frozen=True)
class VersionView(VersionRef):
    """A version as the doors show it."""

    #: the ``run_id`` MLflow clients (and the JSON API's ``run_id``) show: the run the version came
    #: from. It differs from ``files_run_id`` when the version was created with a run id this server
    #: does not know (kept as given, with no files of its own here); never read files by it.
    mlflow_run_id: str
    model_name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None
    source: str | None
    parent_version_id: int | None
    parent: ParentRef | None
    is_prerelease: bool
    aliases: tuple[str, ...]
    #: the latest value of each metric, by key (NaN stays NaN: each door writes it its own way)
    metrics: tuple[MetricValue, ...]
    params: dict[str, str]
    metadata: dict[str, str]
    #: the tags of the version's run (CI job links among them)
    run_tags: dict[str, str]
    artifact_count: int
    #: ``{id, url, log_url, pipeline_url, ref, merge_request_url}`` or None
    ci_job: dict[str, t.Any] | None
    datasets: tuple[DatasetView, ...]

    @property
    def package_name(self) -> str:
        return f"{self.model_name}/{self.version}"


# -- building them: a constant number of queries for any number of rows ------------------------

def _model_fields(model: RegisteredModel) -> dict[str, t.Any]:
    """The fields of :class:`ModelRef`, from the model's row."""
    return dict(id=model.id, project=model.project, name=model.name, description=model.description,
                created_at=model.created_at, updated_at=model.updated_at, created_by=model.created_by_name,
                metric_goals=dict(model.metric_goals or {}))


def _version_fields(version: ModelVersion) -> dict[str, t.Any]:
    """The fields of :class:`VersionRef`, from the version's row."""
    return dict(id=version.id, model_id=version.model_id, number=version.number, version=version.version,
                description=version.description, stage=version.stage, files_run_id=version.run_id)


def model_ref(model: RegisteredModel) -> ModelRef:
    return ModelRef(**_model_fields(model))


def version_ref(version: ModelVersion) -> VersionRef:
    return VersionRef(**_version_fields(version))


def model_views(summaries: t.Sequence[ModelSummary]) -> list[ModelView]:
    """Views of a page of models (with their latest version and count): two queries more."""
    ids = [s.model.id for s in summaries]
    aliases = {model_id: dict(pairs) for model_id, pairs in
               alias_service.aliases_by_model(ids, label=ModelVersion.version).items()} if ids else {}
    tags = batches.tags_by_model(ids) if ids else {}
    out = []
    for s in summaries:
        m: RegisteredModel = s.model
        out.append(ModelView(
            **_model_fields(m), latest_version=s.latest_version, latest_version_id=s.latest_version_id,
            version_count=s.version_count, tags=tags.get(m.id, {}), aliases=aliases.get(m.id, {})))
    return out


def model_view(model: RegisteredModel) -> ModelView:
    """The view of one model (after a change, for instance): three queries."""
    return model_views([model_service.summarize(model)])[0]


def version_views(model: RegisteredModel, versions: t.Sequence[ModelVersion]) -> list[VersionView]:
    """Views of versions of ``model``: seven queries (eight when some have a parent), whatever their number."""
    return views_of_details(model, version_service.details(versions))


def views_of_details(model: RegisteredModel, details: t.Sequence[VersionDetails]) -> list[VersionView]:
    """Views from the versions' details (five queries): two queries more, three when some have a parent."""
    if not details:
        return []
    versions = [d.version for d in details]
    alias_rows = alias_service.aliases_by_version([v.id for v in versions])
    parents = _parents(versions)
    datasets = tracking.datasets_of([v.run_id for v in versions])
    out = []
    for d in details:
        v: ModelVersion = d.version
        out.append(VersionView(
            **_version_fields(v), mlflow_run_id=v.mlflow_run_id, model_name=model.name, created_at=v.created_at,
            updated_at=v.updated_at, created_by=v.created_by_name, source=v.source,
            parent_version_id=v.parent_version_id, parent=parents.get(v.parent_version_id or -1),
            is_prerelease=v.semver_prerelease is not None, aliases=tuple(alias_rows.get(v.id, [])),
            metrics=tuple(d.metrics), params=d.params, metadata=d.metadata, run_tags=d.run_tags,
            artifact_count=d.artifact_count, ci_job=ci_job(d.run_tags),
            datasets=tuple(DatasetView(name=x.name, uri=x.uri, digest=x.digest, role=x.role,
                                       source_type=x.source_type) for x in datasets.get(v.run_id, []))))
    return out


def _parents(versions: t.Sequence[ModelVersion]) -> dict[int, ParentRef]:
    """The parents of ``versions``: one query when any has one."""
    ids = {v.parent_version_id for v in versions if v.parent_version_id is not None}
    if not ids:
        return {}
    rows = session().execute(
        sa.select(ModelVersion.id, ModelVersion.version, ModelVersion.model_id, RegisteredModel.name)
        .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(ModelVersion.id.in_(list(ids))))
    return {row.id: ParentRef(row.id, row.version, row.model_id, row.name) for row in rows}


def version_view(model: RegisteredModel, version: ModelVersion) -> VersionView:
    return version_views(model, [version])[0]


# -- the read operations the doors call ----------------------------------------------------------

def list_models(project: str, actor: Actor, **query: t.Any) -> Page[ModelView]:
    """A page of models (``search``, ``sort``, ``order``, ``page``, ``per_page``) as views."""
    page = model_service.list_models(project, actor, **query)
    return Page(items=model_views(page.items), page=page.page, per_page=page.per_page, total=page.total)


def list_versions(project: str, actor: Actor, model: RegisteredModel, **query: t.Any) -> Page[VersionView]:
    """A page of a model's versions as views."""
    page = version_service.list_versions(project, actor, model, **query)
    items = views_of_details(model, page.items)
    return Page(items=items, page=page.page, per_page=page.per_page, total=page.total)
