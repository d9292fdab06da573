"""A run's metrics read in bounded pieces: a page of one metric's history, and the summary the
version page draws (per metric: count, min, max, last value, and a series thinned in SQL to the
first value of each of at most :data:`MAX_BUCKETS` step buckets and the last one; plus the last
steps for the table).

Every query here reads a number of rows bounded by the page size, the number of metrics shown
(:data:`MAX_KEYS`), :data:`MAX_TABLE_STEPS` and :data:`MAX_BUCKETS`, never by how often a metric
was logged: the counts, min, max, first and last steps and latest values come from the aggregates
kept on write (:mod:`.metric_aggregates`), so a version with a million values renders like one
with ten.
"""
from __future__ import annotations

import dataclasses
import json
import math
import typing as t

import sqlalchemy as sa

from ..errors import BadRequest, Invalid
from ..models import Run, RunMetric, RunMetricAggregate, RunMetricStep
from .access import authorize
from .common import Page, check_key, session
from .identity import Actor
from .search import decode_seek_token, encode_seek_token, seek
from .versions import MetricValue

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


@dataclasses.dataclass(frozen=True)
class HistoryPage(Page[MetricValue]):
    #: the token of the page after this one; None on the last
    next_page_token: str | None = None


def seek_page(listing: str, run_id: str, key: str | None, page_token: str | None, limit: int, *,
              page: int | None = None, numbered: bool = False) -> tuple[list[MetricValue], str | None, int]:
    """``limit`` values of the run (of ``key``) by key, step, time and id, the token of the page
    after them (None on the last) and the page's number. ``listing`` names the listing the tokens
    page (one door's tokens are refused by the other). With ``page_token`` the page starts past
    the value it names: one seek in the ``(run_id, key, step, timestamp, id)`` index, so a page
    reads as many rows however many values come before it. Without one it starts at ``page``
    (the first by default), past the values of the pages before it, which are read too. The
    tokens of a ``numbered`` listing carry the number of the page they start."""
    m = RunMetric
    stmt = sa.select(m).where(m.run_id == run_id)
    order = [m.step, m.timestamp, m.id]
    if key is None:
        order.insert(0, m.key)
    else:
        stmt = stmt.where(m.key == key)
    scope = (listing, run_id, "" if key is None else key)
    position = decode_seek_token(page_token, scope, width=len(order))
    after, number = position if position is not None else (None, page or 1)
    if after is None and number > 1:
        rows = list(session().scalars(stmt.order_by(*order).offset((number - 1) * limit).limit(limit + 1)))
    else:
        rows = list(session().scalars(seek(stmt, order, after, limit + 1)))
    token = None
    if len(rows) > limit:
        last = [getattr(rows[limit - 1], column.key) for column in order]
        token = encode_seek_token(scope, last, page=number + 1 if numbered else None)
    return [metric_value(r) for r in rows[:limit]], token, number


def metric_value(row: RunMetric) -> MetricValue:
    return MetricValue(row.key, math.nan if row.is_nan else row.value, row.step, row.timestamp)


def history_page(project: str, actor: Actor, run_id: str, *, key: t.Any = None, page: int | None = None,
                 per_page: int = 100, page_token: str | None = None) -> HistoryPage:
    """One page of the run's logged values (of ``key``), by key, step and time. With ``page_token``
    (the previous page's ``next_page_token``) the page starts past the last value that page
    showed: an index seek. ``page`` alone jumps to that page by counting the values before it,
    which costs as many rows as there are; following the tokens reads a history through at the
    cost of its pages alone, and sees each value once while values are being logged."""
    authorize(project, actor, "read")
    if (page is not None and page < 1) or per_page < 1:
        raise Invalid("page and per_page must be 1 or more", fields={"page": "Must be 1 or more."})
    per_page = min(per_page, MAX_HISTORY_PER_PAGE)
    agg = RunMetricAggregate
    counted = sa.select(sa.func.coalesce(sa.func.sum(agg.value_count), 0)).where(agg.run_id == run_id)
    if key is not None:
        key = check_key(key, "key")
        counted = counted.where(agg.key == key)
    try:
        items, token, page = seek_page("metric-values", run_id, key, page_token, per_page, page=page, numbered=True)
    except BadRequest as exc:
        raise BadRequest(exc.message, fields={"page_token": "Must be a next_page_token of this listing."}) from None
    # the number of values is kept on write: counting them would read every one
    total = int(session().scalar(counted) or 0)
    return HistoryPage(items=items, page=page, per_page=per_page, total=total, next_page_token=token)


def summarise(project: str, actor: Actor, run_id: str) -> RunMetricsSummary:
    """The version page's view of a run's metrics. Nothing here reads every value: the per-metric
    figures are one row each of the aggregates kept on write (:mod:`.metric_aggregates`), the
    table's steps are one index range of the run's distinct steps, and every chart point and table
    cell is found by a seek in the ``(run_id, key, step, timestamp, id)`` index."""
    authorize(project, actor, "read")
    s = session()
    agg = RunMetricAggregate
    stat_rows = s.scalars(sa.select(agg).where(agg.run_id == run_id).order_by(agg.key).limit(MAX_KEYS + 1)).all()
    total_keys = len(stat_rows)
    if total_keys > MAX_KEYS:  # only then are the metrics counted (one index range of the aggregates)
        total_keys = s.scalar(sa.select(sa.func.count()).select_from(agg).where(agg.run_id == run_id)) or 0
        stat_rows = stat_rows[:MAX_KEYS]
    if not stat_rows:
        return RunMetricsSummary([], 0, {}, [], 0)
    keys = [r.key for r in stat_rows]
    m = RunMetric
    other = sa.orm.aliased(RunMetric)

    def last_at(key: t.Any, step: t.Any) -> t.Any:
        """The id of the last value of ``key`` logged at ``step``: one backward seek in the index."""
        return (sa.select(other.id).where(other.run_id == run_id, other.key == key, other.step == step)
                .order_by(other.timestamp.desc(), other.id.desc()).limit(1).scalar_subquery())

    # the table: the run's most recent distinct steps, and the last value of each metric at each
    total_steps = s.scalar(sa.select(Run.metric_step_count).where(Run.id == run_id)) or 0
    steps = (sa.select(RunMetricStep.step).where(RunMetricStep.run_id == run_id)
             .order_by(RunMetricStep.step.desc()).limit(MAX_TABLE_STEPS).subquery("recent_steps"))
    key_list = _literals(keys, sa.String, "key", "shown_keys")
    cells = (sa.select(last_at(key_list.c.key, steps.c.step).correlate(key_list, steps))
             .select_from(key_list.join(steps, sa.true())))
    recent_rows = s.execute(sa.select(m.key, m.step, m.value, m.is_nan).where(m.id.in_(cells))).all()
    recent_steps = sorted(s.scalars(sa.select(steps.c.step)))

    # the series: the value at the start of each of at most MAX_BUCKETS step buckets, and at the last
    # step; each found by two seeks (the first step at or after the bucket's start, then the last
    # value logged at it), so the chart reads the same few hundred rows whether the metric was
    # logged ten times or a million, at distinct steps or all at one
    series: dict[str, list[MetricPoint]] = {}
    for r in stat_rows:
        span = r.last_step - r.first_step + 1
        starts = sorted({r.first_step + span * i // MAX_BUCKETS for i in range(MAX_BUCKETS)} | {r.last_step})
        bucket = _literals(starts, sa.BigInteger, "start", "bucket_starts")
        step_at = (sa.select(sa.func.min(other.step))
                   .where(other.run_id == run_id, other.key == r.key, other.step >= bucket.c.start)
                   .correlate(bucket).scalar_subquery())
        first_at = last_at(r.key, step_at).correlate(bucket)
        # joined, not ``IN``: PostgreSQL would run the seeks twice, to hash them and to probe
        found = sa.select(first_at.label("id")).select_from(bucket).subquery("bucket_points")
        points = s.execute(sa.select(m.step, m.value, m.is_nan).join(found, m.id == found.c.id).order_by(m.step))
        seen: dict[int, MetricPoint] = {}  # two buckets may find the same value (no step in between)
        for p in points:
            if not p.is_nan:
                seen.setdefault(int(p.step), MetricPoint(int(p.step), float(p.value)))
        series[r.key] = list(seen.values())

    summaries = [MetricSummary(key=r.key, count=r.value_count, minimum=r.min_value, maximum=r.max_value,
                               last=MetricValue(r.key, math.nan if r.latest_is_nan else r.latest_value,
                                                r.latest_step, r.latest_timestamp),
                               first_step=r.first_step, last_step=r.last_step, series=series.get(r.key, []))
                 for r in stat_rows]
    recent = {(r.key, r.step): (math.nan if r.is_nan else r.value) for r in recent_rows}
    return RunMetricsSummary(summaries, total_keys, recent, recent_steps, total_steps)


def _literals(values: t.Sequence[t.Any], type_: t.Any, column: str, name: str) -> t.Any:
    """A subquery of one column holding ``values``, sent as one parameter: a PostgreSQL array
    unnested, a JSON array for SQLite's ``json_each``. (A UNION of one SELECT per value, which
    any database takes, costs PostgreSQL more to plan than the seeks it feeds cost to run.)"""
    dialect = session().get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return sa.select(sa.func.unnest(sa.literal(list(values), ARRAY(type_))).label(column)).subquery(name)
    if dialect == "sqlite":
        each = sa.func.json_each(json.dumps(list(values))).table_valued("value")
        return sa.select(sa.cast(each.c.value, type_).label(column)).select_from(each).subquery(name)
    return sa.union_all(*[sa.select(sa.literal(v, type_).label(column)) for v in values]).subquery(name)
