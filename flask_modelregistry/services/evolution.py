"""How a model's metrics evolve across its versions, ready for a chart.

Each metric gives one point per version that logged it (its last value), in semantic version
order or by creation date. Prereleases are flagged, so a chart can draw them apart from
releases. Two queries whatever the number of versions; the newest ``MAX_EVOLUTION_VERSIONS``
versions are shown when a model has more.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import typing as t

import sqlalchemy as sa

from ..errors import Invalid
from ..models import ModelVersion, RegisteredModel
from .access import authorize
from .common import check_name, session
from .compare import GOALS, best_of
from .identity import Actor
from .read_models import ModelRef, model_ref
from .versions import latest_metrics, semver_order

MAX_EVOLUTION_VERSIONS = 500
MAX_SERIES = 50
ORDERS = ("version", "created_at")


@dataclasses.dataclass(frozen=True)
class EvolutionVersion:
    id: int
    version: str
    number: int
    created_at: dt.datetime
    is_prerelease: bool


@dataclasses.dataclass(frozen=True)
class EvolutionPoint:
    """A metric's last value in one version. ``value`` is None when it is NaN."""

    version_id: int
    version: str
    created_at: dt.datetime
    is_prerelease: bool
    value: float | None
    is_nan: bool
    step: int


@dataclasses.dataclass(frozen=True)
class MetricSeries:
    key: str
    goal: str | None
    points: list[EvolutionPoint]
    #: the version with the best value by the metric's goal (the latest of equals); None without a goal
    best_version_id: int | None

    @property
    def releases(self) -> list[EvolutionPoint]:
        return [p for p in self.points if not p.is_prerelease]

    @property
    def prereleases(self) -> list[EvolutionPoint]:
        return [p for p in self.points if p.is_prerelease]


@dataclasses.dataclass(frozen=True)
class Evolution:
    model: ModelRef
    order: str
    versions: list[EvolutionVersion]
    available_metrics: list[str]
    series: list[MetricSeries]
    #: True when the model has more versions than were read
    truncated: bool


def parse_metric_keys(raw: t.Any) -> list[str] | None:
    """``"accuracy,loss"`` or a list into distinct metric keys; None or empty: every metric."""
    if raw is None or raw == "" or raw == []:
        return None
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)):
        raise Invalid("metrics must be a list", fields={"metrics": "Give metric keys separated by commas."})
    keys: list[str] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        key = check_name(item, "metrics", max_length=250)
        if key not in keys:
            keys.append(key)
    if len(keys) > MAX_SERIES:
        raise Invalid("too many metrics", fields={"metrics": f"At most {MAX_SERIES} metrics at once."})
    return keys or None


def evolution(project: str, actor: Actor, model: RegisteredModel, *, metrics: t.Any = None,
              order: str = "version") -> Evolution:
    """Each chosen metric (all by default) across the model's versions."""
    authorize(project, actor, "read")
    if order not in ORDERS:
        raise Invalid("unknown order", fields={"order": f"Must be one of {', '.join(ORDERS)}."})
    wanted = parse_metric_keys(metrics)
    newest_first = list(session().scalars(
        sa.select(ModelVersion).where(ModelVersion.model_id == model.id)
        .order_by(*semver_order(descending=True)).limit(MAX_EVOLUTION_VERSIONS + 1)))
    truncated = len(newest_first) > MAX_EVOLUTION_VERSIONS
    rows = list(reversed(newest_first[:MAX_EVOLUTION_VERSIONS]))
    if order == "created_at":
        rows.sort(key=lambda v: (v.created_at, v.id))
    values = {run_id: {m.key: m for m in ms} for run_id, ms in latest_metrics([v.run_id for v in rows]).items()}
    available = sorted({key for ms in values.values() for key in ms})
    keys = wanted if wanted is not None else available
    goals = dict(model.metric_goals or {})
    series = []
    for key in keys:
        points = []
        for v in rows:
            m = values.get(v.run_id, {}).get(key)
            if m is None:
                continue
            nan = math.isnan(m.value)
            points.append(EvolutionPoint(version_id=v.id, version=v.version, created_at=v.created_at,
                                         is_prerelease=v.semver_prerelease is not None,
                                         value=None if nan else m.value, is_nan=nan, step=m.step))
        goal = goals.get(key) if goals.get(key) in GOALS else None
        best = best_of([p.value for p in points], goal)
        best_id = None
        if best is not None:
            best_id = [p.version_id for p in points if p.value == best][-1]
        series.append(MetricSeries(key=key, goal=goal, points=points, best_version_id=best_id))
    return Evolution(
        model=model_ref(model), order=order,
        versions=[EvolutionVersion(id=v.id, version=v.version, number=v.number, created_at=v.created_at,
                                   is_prerelease=v.semver_prerelease is not None) for v in rows],
        available_metrics=available, series=series, truncated=truncated)
