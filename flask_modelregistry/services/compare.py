"""Compare versions of a model side by side: metrics, parameters, metadata and data lineage.

A comparison reads everything in a constant number of queries whatever the number of versions,
so ten versions cost what two do. Versions are laid out as columns in semantic version order
(oldest first), so deltas read as "what changed since the first column". The best value of a
metric follows the model's remembered goal (``RegisteredModel.metric_goals``, ``max`` or ``min``);
a metric without a goal has no best value, because only the team knows which way is better.
"""
from __future__ import annotations

import dataclasses
import math
import re
import typing as t

import sqlalchemy as sa

from ..errors import Invalid
from ..models import ModelVersion, RegisteredModel, RunDataset, utcnow
from . import audit
from .access import authorize
from .common import check_name, lock_row, row_id, session, unit_of_work
from .identity import Actor
from .read_models import DatasetView, ModelRef, ParentRef, VersionView, model_ref, version_views
from .tracking import DATASET_ROLES
from .versions import MetricValue

MAX_COMPARED = 10
GOALS = ("max", "min")
_SEMVER_LIKE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+[0-9A-Za-z.+-]*$")


@dataclasses.dataclass(frozen=True)
class DatasetRef:
    role: str
    name: str
    uri: str
    digest: str
    source_type: str

    @property
    def identity(self) -> str:
        """What tells two copies of a dataset apart: the digest, else the URI."""
        return self.digest or self.uri


@dataclasses.dataclass(frozen=True)
class ComparedVersion:
    """One column of a comparison."""

    #: the version as every door shows it: metrics, params, metadata, files count, CI job...
    version: VersionView
    datasets: list[DatasetRef]

    @property
    def parent(self) -> ParentRef | None:
        return self.version.parent

    @property
    def is_prerelease(self) -> bool:
        return self.version.is_prerelease

    @property
    def aliases(self) -> list[str]:
        return list(self.version.aliases)

    @property
    def ci_job(self) -> dict[str, t.Any] | None:
        return self.version.ci_job


@dataclasses.dataclass(frozen=True)
class MetricCell:
    """The last logged value of a metric in one version. ``value`` is None when it is NaN."""

    version_id: int
    value: float | None
    is_nan: bool
    step: int
    timestamp: int
    delta: float | None
    is_best: bool


@dataclasses.dataclass(frozen=True)
class MetricRow:
    key: str
    goal: str | None
    #: one cell per compared version; None where the version has no value for the metric
    cells: list[MetricCell | None]
    differs: bool
    best_version_ids: list[int]


@dataclasses.dataclass(frozen=True)
class ValueRow:
    """A parameter or metadata key across the compared versions (None where absent)."""

    key: str
    values: list[str | None]
    differs: bool


@dataclasses.dataclass(frozen=True)
class DatasetRow:
    """A dataset (by role and name) across the compared versions.

    ``status``: ``same`` (every version has it with the same digest), ``changed`` (every version
    has it, not with the same digest) or ``missing`` (some versions do not have it)."""

    role: str
    name: str
    cells: list[list[DatasetRef]]
    status: str

    @property
    def differs(self) -> bool:
        return self.status != "same"


@dataclasses.dataclass(frozen=True)
class DatasetChange:
    role: str
    name: str
    kind: str  # added | removed | changed
    before: list[DatasetRef]
    after: list[DatasetRef]


@dataclasses.dataclass(frozen=True)
class LineageChange:
    """How the data of one compared version differs from the previous column's."""

    from_version_id: int
    to_version_id: int
    changes: list[DatasetChange]


@dataclasses.dataclass(frozen=True)
class Comparison:
    model: ModelRef
    versions: list[ComparedVersion]
    metrics: list[MetricRow]
    params: list[ValueRow]
    metadata: list[ValueRow]
    datasets: list[DatasetRow]
    lineage_changes: list[LineageChange]


def parse_version_refs(raw: t.Any) -> list[str]:
    """``"3,5,1.2.0"`` or a list into distinct references (ids or semantic versions), in order."""
    if raw is None or raw == "":
        items: list[t.Any] = []
    elif isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise Invalid("versions must be a list", fields={"versions": "Give version ids separated by commas."})
    refs: list[str] = []
    for item in items:
        ref = str(item).strip()
        if not ref:
            continue
        if row_id(ref) is None and not (_SEMVER_LIKE.match(ref) and len(ref) <= 255):
            raise Invalid(f"{ref[:50]!r} is not a version id", fields={
                "versions": "Give version ids (or semantic versions) separated by commas."})
        if ref not in refs:
            refs.append(ref)
    if len(refs) < 2:
        raise Invalid("pick at least two versions to compare", fields={"versions": "Pick at least two versions."})
    if len(refs) > MAX_COMPARED:
        raise Invalid(f"at most {MAX_COMPARED} versions can be compared at once",
                      fields={"versions": f"Pick at most {MAX_COMPARED} versions."})
    return refs


def _semver_sort_key(v: ModelVersion) -> tuple[t.Any, ...]:
    return (v.semver_major, v.semver_minor, v.semver_patch, v.semver_key, v.id)


def _load_versions(model: RegisteredModel, refs: list[str]) -> list[ModelVersion]:
    ids = [number for number in map(row_id, refs) if number is not None]
    names = [r for r in refs if row_id(r) is None]
    found = list(session().scalars(sa.select(ModelVersion).where(
        ModelVersion.model_id == model.id,
        sa.or_(ModelVersion.id.in_(ids), ModelVersion.version.in_(names)))))
    known = {str(v.id) for v in found} | {v.version for v in found}
    missing = [r for r in refs if r not in known]
    if missing:
        raise Invalid(f"no version {missing[0]} in model {model.name}",
                      fields={"versions": f"No version {missing[0]} in this model."})
    unique = {v.id: v for v in found}
    if len(unique) < 2:
        raise Invalid("pick at least two versions to compare", fields={"versions": "Pick at least two versions."})
    return sorted(unique.values(), key=_semver_sort_key)


def dataset_ref(d: RunDataset | DatasetView) -> DatasetRef:
    return DatasetRef(role=d.role, name=d.name, uri=d.uri, digest=d.digest, source_type=d.source_type)


def compare_versions(project: str, actor: Actor, model: RegisteredModel, versions: t.Any) -> Comparison:
    """Compare two to ``MAX_COMPARED`` versions of ``model`` given by id (or semantic version)."""
    authorize(project, actor, "read")
    refs = parse_version_refs(versions)
    rows = _load_versions(model, refs)
    columns = [ComparedVersion(version=v, datasets=[dataset_ref(x) for x in v.datasets])
               for v in version_views(model, rows)]
    goals = dict(model.metric_goals or {})
    return Comparison(
        model=model_ref(model), versions=columns,
        metrics=metric_rows(columns, goals),
        params=value_rows([c.version.params for c in columns]),
        metadata=value_rows([c.version.metadata for c in columns]),
        datasets=dataset_rows(columns),
        lineage_changes=lineage_changes(columns),
    )


def best_of(values: t.Sequence[float | None], goal: str | None) -> float | None:
    """The best of ``values`` by ``goal`` (NaN and missing values never win), or None."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    if goal not in GOALS or not finite:
        return None
    return max(finite) if goal == "max" else min(finite)


def metric_rows(columns: t.Sequence[ComparedVersion], goals: t.Mapping[str, str]) -> list[MetricRow]:
    by_version: list[dict[str, MetricValue]] = [{m.key: m for m in c.version.metrics} for c in columns]
    keys = sorted({k for metrics in by_version for k in metrics})
    rows = []
    for key in keys:
        found = [metrics.get(key) for metrics in by_version]
        goal = goals.get(key) if goals.get(key) in GOALS else None
        best = best_of([m.value if m else None for m in found], goal)
        base = found[0].value if found[0] is not None and not math.isnan(found[0].value) else None
        cells: list[MetricCell | None] = []
        for column, m in zip(columns, found):
            if m is None:
                cells.append(None)
                continue
            nan = math.isnan(m.value)
            value = None if nan else m.value
            cells.append(MetricCell(
                version_id=column.version.id, value=value, is_nan=nan, step=m.step, timestamp=m.timestamp,
                delta=None if value is None or base is None else value - base,
                is_best=best is not None and value == best))
        shown = [("nan" if c.is_nan else c.value) if c else None for c in cells]
        rows.append(MetricRow(key=key, goal=goal, cells=cells, differs=len(set(shown)) > 1,
                              best_version_ids=[c.version_id for c in cells if c is not None and c.is_best]))
    return rows


def value_rows(maps: t.Sequence[t.Mapping[str, str]]) -> list[ValueRow]:
    keys = sorted({k for m in maps for k in m})
    rows = []
    for key in keys:
        values = [m.get(key) for m in maps]
        rows.append(ValueRow(key=key, values=values, differs=len(set(values)) > 1))
    return rows


def _by_role_and_name(refs: t.Iterable[DatasetRef]) -> dict[tuple[str, str], list[DatasetRef]]:
    out: dict[tuple[str, str], list[DatasetRef]] = {}
    for ref in refs:
        out.setdefault((ref.role, ref.name), []).append(ref)
    return out


def _role_order(key: tuple[str, str]) -> tuple[int, str, str]:
    role, name = key
    return (DATASET_ROLES.index(role) if role in DATASET_ROLES else len(DATASET_ROLES), role, name)


def _identities(refs: t.Sequence[DatasetRef]) -> frozenset[str]:
    return frozenset(r.identity for r in refs)


def dataset_rows(columns: t.Sequence[ComparedVersion]) -> list[DatasetRow]:
    grouped = [_by_role_and_name(c.datasets) for c in columns]
    keys = sorted({k for g in grouped for k in g}, key=_role_order)
    rows = []
    for key in keys:
        cells = [g.get(key, []) for g in grouped]
        if any(not c for c in cells):
            status = "missing"
        elif len({_identities(c) for c in cells}) > 1:
            status = "changed"
        else:
            status = "same"
        rows.append(DatasetRow(role=key[0], name=key[1], cells=cells, status=status))
    return rows


def data_changes(before: t.Sequence[DatasetRef], after: t.Sequence[DatasetRef]) -> list[DatasetChange]:
    """Datasets added, removed or with another digest between two versions."""
    old, new = _by_role_and_name(before), _by_role_and_name(after)
    changes = []
    for key in sorted(set(old) | set(new), key=_role_order):
        a, b = old.get(key, []), new.get(key, [])
        if not a:
            kind = "added"
        elif not b:
            kind = "removed"
        elif _identities(a) != _identities(b):
            kind = "changed"
        else:
            continue
        changes.append(DatasetChange(role=key[0], name=key[1], kind=kind, before=a, after=b))
    return changes


def lineage_changes(columns: t.Sequence[ComparedVersion]) -> list[LineageChange]:
    return [LineageChange(from_version_id=prev.version.id, to_version_id=cur.version.id,
                          changes=data_changes(prev.datasets, cur.datasets))
            for prev, cur in zip(columns, columns[1:])]


@unit_of_work
def set_metric_goal(project: str, actor: Actor, model: RegisteredModel, metric: t.Any, goal: t.Any) -> RegisteredModel:
    """Remember whether higher (``max``) or lower (``min``) is better for one metric of a model;
    ``goal=None`` forgets it. Other metrics' goals are kept, even when set concurrently."""
    authorize(project, actor, "write")
    metric = check_name(metric, "metric", max_length=250)
    if goal is not None and goal not in GOALS:
        raise Invalid("the goal must be max or min", fields={"goal": "Must be max (higher is better) or min."})
    s = session()
    lock_row(RegisteredModel, model.id, "model not found")
    fresh = s.get(RegisteredModel, model.id, populate_existing=True)
    goals = dict(fresh.metric_goals or {})
    if goal is None:
        goals.pop(metric, None)
    else:
        goals[metric] = goal
    fresh.metric_goals = goals
    fresh.updated_at = utcnow()
    audit.record(project, actor, "model.metric_goal", "model", fresh.id, fresh.name, {metric: goal})
    return fresh
