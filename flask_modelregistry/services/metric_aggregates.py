"""Per-metric aggregates of a run, kept in the transaction of every write that adds values.

Every logged value goes through :func:`record` (called by ``tracking.add_metrics``, the one place
logged values are inserted, used by MLflow's log-metric and log-batch, the JSON API and version
creation). It updates, in the same unit of work:

* ``RunMetricAggregate`` (one row per run and key): the count of values and of NaNs, the min and
  max of the non-NaN values, the first and last step, and the latest value by MLflow's rule
  (highest step, then timestamp, then id);
* ``RunMetricStep`` (one row per run and distinct step) and ``Run.metric_step_count``.

Concurrency: the aggregates are written with ``INSERT ... ON CONFLICT DO UPDATE`` whose update
combines the stored row with the batch's own aggregate. On PostgreSQL that statement locks the
conflicting row and re-reads its last committed version, so concurrent writers to one run and key
queue on that row and each adds its batch to what the one before it committed: the result equals
an aggregate over all rows. Keys are written in order, so two batches never wait for each other
in a cycle (a deadlock would be retried by the unit of work anyway). A step is counted by the
writer whose ``INSERT ... ON CONFLICT DO NOTHING`` inserted it (PostgreSQL makes a concurrent
inserter of the same step wait for the first one's outcome), so the count is exact too. SQLite
runs one writer at a time (``BEGIN IMMEDIATE``).

Values inserted around :func:`record` (:func:`bulk_load`, the operations bench) have their aggregates
rebuilt from the rows by :func:`recompute`.

Deleting a run deletes both (foreign keys with ``ON DELETE CASCADE``, and explicitly where runs
are purged).
"""
from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..models import Run, RunMetric, RunMetricAggregate, RunMetricStep
from .common import session

#: rows per statement: 13 parameters each stays under PostgreSQL's 65,535
CHUNK = 1000


def _delta(run_id: str, key: str, rows: t.Sequence[RunMetric]) -> dict[str, t.Any]:
    numbers = [r.value for r in rows if not r.is_nan]
    latest = max(rows, key=lambda r: (r.step, r.timestamp, r.id))
    return {"run_id": run_id, "key": key, "value_count": len(rows), "nan_count": len(rows) - len(numbers),
            "min_value": min(numbers) if numbers else None, "max_value": max(numbers) if numbers else None,
            "first_step": min(r.step for r in rows), "last_step": max(r.step for r in rows),
            "latest_id": latest.id, "latest_value": latest.value, "latest_is_nan": latest.is_nan,
            "latest_step": latest.step, "latest_timestamp": latest.timestamp}


def _insert(dialect: str) -> t.Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"metric aggregates need PostgreSQL or SQLite, not {dialect}")
    return insert


def _lower(old: t.Any, new: t.Any) -> t.Any:
    """The smaller of two nullable values, NULL only when both are."""
    return sa.case((old.is_(None), new), (new.is_(None), old), (new < old, new), else_=old)


def _higher(old: t.Any, new: t.Any) -> t.Any:
    return sa.case((old.is_(None), new), (new.is_(None), old), (new > old, new), else_=old)


def record(run_id: str, rows: t.Sequence[RunMetric]) -> None:
    """Add the values ``rows`` (inserted and flushed in the current transaction, so with their ids)
    to the run's aggregates, steps and step count, in the current transaction."""
    if not rows:
        return
    s = session()
    insert = _insert(s.get_bind().dialect.name)
    by_key: dict[str, list[RunMetric]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    deltas = [_delta(run_id, key, by_key[key]) for key in sorted(by_key)]
    table = RunMetricAggregate.__table__
    for start in range(0, len(deltas), CHUNK):
        stmt = insert(table).values(deltas[start:start + CHUNK])
        new, old = stmt.excluded, table.c
        newer = sa.tuple_(new.latest_step, new.latest_timestamp, new.latest_id) > \
            sa.tuple_(old.latest_step, old.latest_timestamp, old.latest_id)
        latest = {name: sa.case((newer, new[name]), else_=old[name])
                  for name in ("latest_id", "latest_value", "latest_is_nan", "latest_step", "latest_timestamp")}
        s.execute(stmt.on_conflict_do_update(index_elements=["run_id", "key"], set_={
            "value_count": old.value_count + new.value_count,
            "nan_count": old.nan_count + new.nan_count,
            "min_value": _lower(old.min_value, new.min_value),
            "max_value": _higher(old.max_value, new.max_value),
            "first_step": sa.case((new.first_step < old.first_step, new.first_step), else_=old.first_step),
            "last_step": sa.case((new.last_step > old.last_step, new.last_step), else_=old.last_step),
            **latest,
        }))
    steps = sorted({row.step for row in rows})
    added = 0
    for start in range(0, len(steps), CHUNK):
        stmt = (insert(RunMetricStep.__table__)
                .values([{"run_id": run_id, "step": step} for step in steps[start:start + CHUNK]])
                .on_conflict_do_nothing(index_elements=["run_id", "step"])
                .returning(RunMetricStep.__table__.c.step))
        added += len(s.execute(stmt).all())
    if added:
        s.execute(sa.update(Run).where(Run.id == run_id)
                  .values(metric_step_count=Run.metric_step_count + added)
                  .execution_options(synchronize_session=False))


def recompute(run_ids: t.Sequence[str]) -> None:
    """Rebuild the aggregates, steps and step counts of ``run_ids`` from their values, in the
    current transaction: for values written around :func:`record` (a bulk load in SQL)."""
    if not run_ids:
        return
    s = session()
    ids = list(run_ids)
    for table in (RunMetricAggregate, RunMetricStep):
        s.execute(sa.delete(table).where(table.run_id.in_(ids)))
    m = RunMetric
    number = sa.case((m.is_nan.is_(False), m.value))
    groups = (sa.select(m.run_id, m.key, sa.func.count().label("n"),
                        sa.func.sum(sa.case((m.is_nan.is_(True), 1), else_=0)).label("nans"),
                        sa.func.min(number).label("lo"), sa.func.max(number).label("hi"),
                        sa.func.min(m.step).label("first"), sa.func.max(m.step).label("last"))
              .where(m.run_id.in_(ids)).group_by(m.run_id, m.key).subquery())
    other = sa.orm.aliased(RunMetric)
    newest = (sa.select(other.id).where(other.run_id == groups.c.run_id, other.key == groups.c.key)
              .order_by(other.step.desc(), other.timestamp.desc(), other.id.desc()).limit(1)
              .correlate(groups).scalar_subquery())
    latest = sa.orm.aliased(RunMetric)
    s.execute(sa.insert(RunMetricAggregate).from_select(
        ["run_id", "key", "value_count", "nan_count", "min_value", "max_value", "first_step", "last_step",
         "latest_id", "latest_value", "latest_is_nan", "latest_step", "latest_timestamp"],
        sa.select(groups.c.run_id, groups.c.key, groups.c.n, groups.c.nans, groups.c.lo, groups.c.hi,
                  groups.c.first, groups.c.last, latest.id, latest.value, latest.is_nan, latest.step,
                  latest.timestamp)
        .join(latest, latest.id == newest)))
    s.execute(sa.insert(RunMetricStep).from_select(
        ["run_id", "step"], sa.select(m.run_id, m.step).where(m.run_id.in_(ids)).distinct()))
    counted = (sa.select(sa.func.count()).select_from(RunMetricStep)
               .where(RunMetricStep.run_id == Run.id).scalar_subquery())
    s.execute(sa.update(Run).where(Run.id.in_(ids)).values(metric_step_count=counted)
              .execution_options(synchronize_session=False))


def bulk_load(run_id: str, n: int, *, key: str = "loss", per_step: int = 1) -> None:
    """Insert ``n`` made-up values of ``key`` into the run, generated by the database itself in one
    statement (value ``1 / (i + 1)``, step ``i // per_step``, timestamp ``1700000000000 + i`` for
    ``i`` in ``0..n-1``), then :func:`recompute` the run's aggregates from its rows, in the current
    transaction: a run with many values, for benchmarks and tests."""
    if n <= 0:
        return
    s = session()
    if s.get_bind().dialect.name == "postgresql":
        source = "SELECT s AS n FROM generate_series(0, :last) AS s"
    else:
        source = "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :last) SELECT n FROM seq"
    s.execute(sa.text(
        f"INSERT INTO {RunMetric.__tablename__} (run_id, key, value, is_nan, step, timestamp) "
        f"SELECT :run, :key, 1.0 / (n + 1), false, n / :per, 1700000000000 + n FROM ({source}) AS g"),
        {"run": run_id, "key": key, "last": n - 1, "per": per_step})
    recompute([run_id])
