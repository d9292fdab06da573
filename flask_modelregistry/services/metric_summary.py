"""A run's metrics read in bounded pieces: a page of one metric's history, and the summary the
version page draws (per metric: count, min, max, last value, and a series thinned in SQL to the
lowest and highest value of each of at most :data:`MAX_BUCKETS` step buckets; plus the last steps
for the table).

Every query here returns a number of rows bounded by the page size, the number of metrics shown
(:data:`MAX_KEYS`) and :data:`MAX_BUCKETS`, never by how often a metric was logged, so a version
with a million values renders like one with ten.
"""
from __future__ import annotations

import dataclasses
import math
import typing as t

import sqlalchemy as sa

from ..errors import Invalid
from ..models import Run, RunMetric
from .access import authorize
from .common import Page, check_key, count, session
from .identity import Actor
from .versions import MetricValue

#: step buckets of each metric's chart; each gives its lowest and highest value (two points at most)
MAX_BUCKETS = 200
#: metrics summarised on the version page (the first ones by name)
MAX_KEYS = 50
#: the most recent steps shown in the table
MAX_TABLE_STEPS = 100
MAX_HISTORY_PER_PAGE = 1000


@dataclasses.dataclass(frozen=True)
class MetricPoint:
    step: int
    value: float


@dataclasses.dataclass(frozen=True)
class MetricSummary:
    key: str
    count: int
    minimum: float | None
    maximum: float | None
    last: MetricValue
    first_step: int
    last_step: int
    #: at most 2 * MAX_BUCKETS points, in step order
    series: list[MetricPoint]


@dataclasses.dataclass(frozen=True)
class RunMetricsSummary:
    metrics: list[MetricSummary]
    #: metrics the run has in all (only the first MAX_KEYS are summarised)
    total_keys: int
    #: (key, step) -> the last value logged at that step, for the most recent MAX_TABLE_STEPS steps
    recent: dict[tuple[str, int], float]
    recent_steps: list[int]
    total_steps: int


def history_page(project: str, actor: Actor, run: Run, *, key: t.Any = None, page: int = 1,
                 per_page: int = 100) -> Page[MetricValue]:
    """One page of the run's logged values (of ``key``), by key, step and time, paged in SQL."""
    authorize(project, actor, "read")
    if page < 1 or per_page < 1:
        raise Invalid("page and per_page must be 1 or more", fields={"page": "Must be 1 or more."})
    per_page = min(per_page, MAX_HISTORY_PER_PAGE)
    stmt = sa.select(RunMetric).where(RunMetric.run_id == run.id)
    if key is not None:
        stmt = stmt.where(RunMetric.key == check_key(key, "key"))
    total = count(stmt)
    rows = session().scalars(stmt.order_by(RunMetric.key, RunMetric.step, RunMetric.timestamp, RunMetric.id)
                             .offset((page - 1) * per_page).limit(per_page))
    items = [MetricValue(r.key, math.nan if r.is_nan else r.value, r.step, r.timestamp) for r in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)


def _bucket(offset: t.Any, span: t.Any) -> t.Any:
    """``floor(offset / span * MAX_BUCKETS)`` in the database's own arithmetic (doubles, so huge
    steps cannot overflow a bigint)."""
    ratio = sa.cast(offset, sa.Float) / sa.cast(span, sa.Float) * MAX_BUCKETS
    if session().get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.floor(ratio), sa.BigInteger)
    return sa.cast(ratio, sa.Integer)  # SQLite truncates, and the ratio is never negative


def summarise(project: str, actor: Actor, run: Run) -> RunMetricsSummary:
    """The version page's view of a run's metrics, in six queries whose answers are bounded."""
    authorize(project, actor, "read")
    s = session()
    m = RunMetric
    of_run = m.run_id == run.id
    total_keys = s.scalar(sa.select(sa.func.count(sa.distinct(m.key))).where(of_run)) or 0
    stats = (sa.select(m.key, sa.func.count().label("n"),
                       sa.func.min(sa.case((m.is_nan.is_(False), m.value))).label("lo"),
                       sa.func.max(sa.case((m.is_nan.is_(False), m.value))).label("hi"),
                       sa.func.min(m.step).label("first"), sa.func.max(m.step).label("last"))
             .where(of_run).group_by(m.key).order_by(m.key).limit(MAX_KEYS))
    stat_rows = s.execute(stats).all()
    if not stat_rows:
        return RunMetricsSummary([], 0, {}, [], 0)
    keys = [r.key for r in stat_rows]
    in_keys = sa.and_(of_run, m.key.in_(keys))

    # the last value of each metric, and the last value at each of the most recent steps
    ranked = sa.select(m.key, m.step, m.value, m.is_nan, m.timestamp,
                       sa.func.row_number().over(partition_by=(m.key, m.step),
                                                 order_by=(m.timestamp.desc(), m.id.desc())).label("rank"))
    steps = sa.select(m.step.label("step")).distinct().where(in_keys).order_by(m.step.desc()) \
        .limit(MAX_TABLE_STEPS).subquery()
    recent_q = ranked.where(in_keys, m.step.in_(sa.select(steps.c.step))).subquery()
    recent_rows = s.execute(sa.select(recent_q).where(recent_q.c.rank == 1)).all()
    total_steps = s.scalar(sa.select(sa.func.count(sa.distinct(m.step))).where(in_keys)) or 0
    last_q = ranked.add_columns(sa.func.row_number().over(
        partition_by=m.key, order_by=(m.step.desc(), m.timestamp.desc(), m.id.desc())).label("last_rank")
    ).where(in_keys).subquery()
    last = {r.key: MetricValue(r.key, math.nan if r.is_nan else r.value, r.step, r.timestamp)
            for r in s.execute(sa.select(last_q).where(last_q.c.last_rank == 1)).all()}

    # the series: per step bucket (at most MAX_BUCKETS per metric), its lowest and its highest value,
    # so that the chart keeps every spike and both ends while reading at most 2 * MAX_BUCKETS rows
    bounds = sa.select(m.key.label("key"), sa.func.min(m.step).label("first"),
                       (sa.func.max(m.step) - sa.func.min(m.step) + 1).label("span")) \
        .where(in_keys).group_by(m.key).subquery()
    bucketed = (sa.select(m.id, m.key, m.step, m.value, _bucket(m.step - bounds.c.first, bounds.c.span).label("bucket"))
                .join(bounds, bounds.c.key == m.key).where(in_keys, m.is_nan.is_(False)).subquery())
    b = bucketed.c
    extremes = sa.select(
        b.key, b.step, b.value, b.id,
        sa.func.row_number().over(partition_by=(b.key, b.bucket), order_by=(b.value.asc(), b.step, b.id)).label("lo"),
        sa.func.row_number().over(partition_by=(b.key, b.bucket), order_by=(b.value.desc(), b.step, b.id)).label("hi"),
    ).subquery()
    e = extremes.c
    series: dict[str, list[MetricPoint]] = {}
    for r in s.execute(sa.select(e.key, e.step, e.value).where(sa.or_(e.lo == 1, e.hi == 1))
                       .order_by(e.key, e.step, e.id)):
        series.setdefault(r.key, []).append(MetricPoint(int(r.step), float(r.value)))

    summaries = [MetricSummary(key=r.key, count=r.n, minimum=r.lo, maximum=r.hi, last=last[r.key],
                               first_step=r.first, last_step=r.last, series=series.get(r.key, []))
                 for r in stat_rows]
    recent = {(r.key, r.step): (math.nan if r.is_nan else r.value) for r in recent_rows}
    return RunMetricsSummary(summaries, total_keys, recent, sorted({r.step for r in recent_rows}), total_steps)
