"""A run's metrics read in bounded pieces: a page of one metric's history, and the summary the
version page draws (per metric: count, min, max, last value, and a series thinned in SQL to the
first value of each of at most :data:`MAX_BUCKETS` step buckets and the last one; plus the last
steps for the table).

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
from .versions import MetricValue, latest_metrics

#: points of each metric's chart at most: the first value of each step bucket (and the last value)
MAX_BUCKETS = 399
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
    #: at most MAX_BUCKETS + 1 points, in step order
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


def summarise(project: str, actor: Actor, run: Run) -> RunMetricsSummary:
    """The version page's view of a run's metrics: a few queries per metric shown, whose answers are
    bounded; only the per-metric count, min and max scan the values."""
    authorize(project, actor, "read")
    s = session()
    m = RunMetric
    of_run = m.run_id == run.id
    stats = (sa.select(m.key, sa.func.count().label("n"),
                       sa.func.min(sa.case((m.is_nan.is_(False), m.value))).label("lo"),
                       sa.func.max(sa.case((m.is_nan.is_(False), m.value))).label("hi"),
                       sa.func.min(m.step).label("first"), sa.func.max(m.step).label("last"))
             .where(of_run).group_by(m.key).order_by(m.key).limit(MAX_KEYS + 1))
    stat_rows = s.execute(stats).all()
    total_keys = len(stat_rows)
    if total_keys > MAX_KEYS:  # only then are the metrics counted
        total_keys = s.scalar(sa.select(sa.func.count(sa.distinct(m.key))).where(of_run)) or 0
        stat_rows = stat_rows[:MAX_KEYS]
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
    last = {v.key: v for v in latest_metrics([run.id]).get(run.id, [])}

    # the series: the value at the start of each of at most MAX_BUCKETS step buckets, and at the last
    # step; each found by one seek in the (run_id, key, step) index, so the chart reads the same
    # few hundred rows whether the metric was logged ten times or a million
    series: dict[str, list[MetricPoint]] = {}
    other = sa.orm.aliased(RunMetric)
    for r in stat_rows:
        span = r.last - r.first + 1
        starts = sorted({r.first + span * i // MAX_BUCKETS for i in range(MAX_BUCKETS)} | {r.last})
        # a UNION of literals: SQLite takes no column names on a VALUES list
        bucket = sa.union_all(*[sa.select(sa.literal(x, sa.BigInteger).label("start")) for x in starts]) \
            .subquery("bucket_starts")
        first_at = (sa.select(other.id).where(other.run_id == run.id, other.key == r.key, other.step >= bucket.c.start)
                    .order_by(other.step, other.timestamp.desc(), other.id.desc()).limit(1)
                    .correlate(bucket).scalar_subquery())
        points = s.execute(sa.select(m.step, m.value, m.is_nan).where(m.id.in_(sa.select(first_at).select_from(bucket)))
                           .order_by(m.step))
        series[r.key] = [MetricPoint(int(p.step), float(p.value)) for p in points if not p.is_nan]

    summaries = [MetricSummary(key=r.key, count=r.n, minimum=r.lo, maximum=r.hi, last=last[r.key],
                               first_step=r.first, last_step=r.last, series=series.get(r.key, []))
                 for r in stat_rows]
    recent = {(r.key, r.step): (math.nan if r.is_nan else r.value) for r in recent_rows}
    return RunMetricsSummary(summaries, total_keys, recent, sorted({r.step for r in recent_rows}), total_steps)
