"""Runs and what is logged to them. A version's run carries the version's metrics and parameters."""
from __future__ import annotations

import math
import time
import typing as t
import uuid

import sqlalchemy as sa

from ..errors import Invalid, NotFound
from ..models import Experiment, Run, RunDataset, RunMetric, RunParam, RunTag, utcnow
from . import audit, batches, metric_aggregates, metric_summary
from .access import authorize
from .common import (check_double, check_key, check_name, check_string_map, lock_run, session, storable_text,
                     unit_of_work, upsert)
from .identity import Actor
from .search import check_max_results
from .versions import MetricValue

MAX_METRICS_PER_CALL = 10_000
#: values of a get-history page at most, and without max_results (as MLflow's client asks)
HISTORY_PAGE_MAX = 25_000
DATASET_ROLES = ("training", "validation", "test", "evaluation")


def now_ms() -> int:
    return int(time.time() * 1000)


@unit_of_work
def get_or_create_experiment(project: str, name: str) -> Experiment:
    s = session()
    stmt = sa.select(Experiment).where(Experiment.project == project, Experiment.name == name)
    exp = s.scalar(stmt)
    if exp is not None:
        return exp
    # one statement that leaves a concurrently created experiment of that name as it is
    upsert(Experiment, [{"project": project, "name": name, "tags": {}}], keys=("project", "name"))
    return s.scalar(stmt)


def get_run(project: str, actor: Actor, run_id: t.Any) -> Run:
    authorize(project, actor, "read")
    run = session().get(Run, str(run_id)[:64]) if run_id else None
    if run is None or run.project != project:
        raise NotFound(f"Run with id={run_id} not found")
    return run


@unit_of_work
def create_run(project: str, actor: Actor, experiment: Experiment, *, name: str = "",
               start_time: int | None = None, tags: t.Mapping[str, str] | None = None) -> Run:
    authorize(project, actor, "write")
    run = Run(id=uuid.uuid4().hex, project=project, experiment_id=experiment.id,
              name=check_name(name or "", "run_name", required=False) or f"run-{uuid.uuid4().hex[:8]}",
              status="RUNNING", start_time=start_time or now_ms(), user_id=actor.login_name)
    tag_map = check_string_map(dict(tags or {}), "tags")
    s = session()
    s.add(run)
    s.flush()
    s.add_all(RunTag(run_id=run.id, key=key, value=value) for key, value in tag_map.items())
    s.flush()
    return run


def check_metrics(metrics: t.Any) -> list[dict[str, t.Any]]:
    """Validate ``[{"key", "value", "step"?, "timestamp"?}]``; NaN and infinities are kept as MLflow does."""
    if not isinstance(metrics, (list, tuple)):
        raise Invalid("metrics must be a list", fields={"metrics": "Must be a list of {key, value, step, timestamp}."})
    if len(metrics) > MAX_METRICS_PER_CALL:
        raise Invalid("too many metrics", fields={"metrics": f"At most {MAX_METRICS_PER_CALL} per call."})
    out = []
    default_ts = now_ms()
    for i, m in enumerate(metrics):
        where = f"metrics[{i}]"
        if not isinstance(m, t.Mapping):
            raise Invalid("bad metric", fields={where: "Must be an object with key and value."})
        key = check_key(m.get("key"), f"{where}.key")
        value = m.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise Invalid("bad metric value", fields={f"{where}.value": "Must be a number."})
        value = check_double(value, f"{where}.value")
        step = m.get("step", 0)
        ts = m.get("timestamp", default_ts)
        for name, num in (("step", step), ("timestamp", ts)):
            if num is None:
                continue
            if isinstance(num, bool) or not isinstance(num, int) or not -2**63 <= num < 2**63:
                raise Invalid(f"bad metric {name}", fields={f"{where}.{name}": "Must be an integer."})
        row = {"key": key.strip(), "value": value, "step": step or 0, "timestamp": default_ts if ts is None else ts}
        for name, limit in (("model_id", 64), ("dataset_name", 500), ("dataset_digest", 255)):
            given = m.get(name)
            if given in (None, ""):
                continue
            if not isinstance(given, str) or len(given) > limit or not storable_text(given):
                raise Invalid(f"bad metric {name}", fields={f"{where}.{name}": f"At most {limit} characters."})
            row[name] = given
        out.append(row)
    return out


def check_metric_models(project: str, actor: Actor, rows: t.Sequence[t.Mapping[str, t.Any]]) -> None:
    """Metrics logged for a logged model (MLflow 3's ``model_id``) name one of the project's."""
    from .logged_models import get_logged_model

    for model_id in {r["model_id"] for r in rows if r.get("model_id")}:
        get_logged_model(project, actor, model_id)


def add_metrics(run_id: str, rows: t.Sequence[dict[str, t.Any]]) -> None:
    """Insert already-validated metrics into the current transaction, and add them to the run's
    metric aggregates in the same transaction (:mod:`.metric_aggregates`)."""
    if not rows:
        return
    s = session()
    added = []
    for m in rows:
        value = m["value"]
        is_nan = math.isnan(value)
        if math.isinf(value):
            value = 1.7976931348623157e308 if value > 0 else -1.7976931348623157e308
        added.append(RunMetric(run_id=run_id, key=m["key"], value=0.0 if is_nan else value, is_nan=is_nan,
                               step=m["step"], timestamp=m["timestamp"], model_id=m.get("model_id"),
                               dataset_name=m.get("dataset_name"), dataset_digest=m.get("dataset_digest")))
    s.add_all(added)
    s.flush()
    metric_aggregates.record(run_id, added)


def add_params(run_id: str, params: t.Mapping[str, str], *, replace: bool) -> None:
    """Set parameters in the current transaction. Without ``replace``, changing a logged
    parameter's value is refused, as MLflow does."""
    s = session()
    rows = [{"run_id": run_id, "key": k, "value": v} for k, v in params.items()]
    if replace:
        s.execute(sa.delete(RunParam).where(RunParam.run_id == run_id, RunParam.key.not_in(list(params))))
        upsert(RunParam, rows, keys=("run_id", "key"), update=("value",))
        return
    if not params:
        return
    upsert(RunParam, rows, keys=("run_id", "key"))  # a key logged before (or just now, concurrently) stays
    stored = dict(s.execute(sa.select(RunParam.key, RunParam.value).where(
        RunParam.run_id == run_id, RunParam.key.in_(list(params)))).all())
    for key, value in params.items():
        if stored[key] != value:  # the transaction rolls back: none of these params is kept
            raise Invalid(
                f"Changing param values is not allowed. Param with key='{key}' was already logged "
                f"with value='{stored[key]}' for run ID='{run_id}'. Attempted logging new value '{value}'.",
                fields={"params": f"{key} already has another value."})


def set_run_tags(run_id: str, tags: t.Mapping[str, str]) -> None:
    upsert(RunTag, [{"run_id": run_id, "key": k, "value": v} for k, v in tags.items()], keys=("run_id", "key"),
           update=("value",))


def audit_run(project: str, actor: Actor, run: Run, action: str, details: dict[str, t.Any]) -> None:
    """Record a change of ``run`` (its tags, parameters, metrics, datasets) in the audit trail, in
    the current transaction."""
    audit.record(project, actor, action, "run", run.id, run.name or "", details)


def shown_values(values: t.Mapping[str, str], limit: int = 200) -> dict[str, str]:
    """Tag or parameter values as the audit trail keeps them: cut to ``limit`` characters."""
    return {k: v if len(v) <= limit else v[:limit] + "..." for k, v in values.items()}


@unit_of_work
def log_metrics(project: str, actor: Actor, run: Run, metrics: t.Any) -> int:
    authorize(project, actor, "write")
    rows = check_metrics(metrics)
    check_metric_models(project, actor, rows)
    locked = lock_run(run.id, f"Run with id={run.id} not found")
    add_metrics(run.id, rows)
    locked.touch()
    audit_run(project, actor, run, "run.metrics", {"values": len(rows), "keys": sorted({r["key"] for r in rows})})
    return len(rows)


@unit_of_work
def log_params(project: str, actor: Actor, run: Run, params: t.Any, *, replace: bool = False) -> dict[str, str]:
    """Add parameters, or with ``replace`` make them exactly ``params``: the run's row is locked
    then, so concurrent replacements queue up and the last one's body is what stays, whole."""
    authorize(project, actor, "write")
    param_map = check_string_map(params, "params", value_max=6000)
    locked = lock_run(run.id, f"Run with id={run.id} not found", shared=not replace)
    add_params(run.id, param_map, replace=replace)
    locked.touch()
    audit_run(project, actor, run, "run.params" if replace else "run.param.log", {"params": shown_values(param_map)})
    return param_map


@unit_of_work
def log_batch(project: str, actor: Actor, run: Run, *, metrics: t.Any = (), params: t.Any = None,
              tags: t.Any = None) -> None:
    authorize(project, actor, "write")
    rows = check_metrics(list(metrics or []))
    check_metric_models(project, actor, rows)
    param_map = check_string_map(params or {}, "params", value_max=6000)
    tag_map = check_string_map(tags or {}, "tags", value_max=8000)
    locked = lock_run(run.id, f"Run with id={run.id} not found")
    add_params(run.id, param_map, replace=False)
    add_metrics(run.id, rows)
    set_run_tags(run.id, tag_map)
    locked.touch()
    audit_run(project, actor, run, "run.batch", {"metrics": len(rows), "metric_keys": sorted({r["key"] for r in rows}),
                                                 "params": shown_values(param_map), "tags": shown_values(tag_map)})


def metric_history(project: str, actor: Actor, run: Run, key: str, *, max_results: t.Any = None,
                   page_token: str | None = None) -> tuple[list[MetricValue], str | None]:
    """A page of ``key``'s values (MLflow's get-history), by step, time and id, and the token of the
    next: it names the page's last value, and the next page is an index seek past it, so the
    last page of a million values reads as many rows as the first."""
    authorize(project, actor, "read")
    limit = check_max_results(max_results, default=HISTORY_PAGE_MAX, maximum=HISTORY_PAGE_MAX)
    values, token, _page = metric_summary.seek_page("metric-history", run.id, key, page_token, limit)
    return values, token


def params_of(run_id: str) -> dict[str, str]:
    return batches.params_by_run([run_id]).get(run_id, {})


def tags_of(run_id: str) -> dict[str, str]:
    return batches.tags_by_run([run_id]).get(run_id, {})


def datasets_of(run_ids: t.Sequence[str]) -> dict[str, list[RunDataset]]:
    out: dict[str, list[RunDataset]] = {}
    if not run_ids:
        return out
    for row in session().scalars(sa.select(RunDataset).where(RunDataset.run_id.in_(list(run_ids)))
                                 .order_by(RunDataset.role, RunDataset.name, RunDataset.id)):
        out.setdefault(row.run_id, []).append(row)
    return out


def check_dataset(d: t.Any, where: str = "datasets", *, as_logged: bool = False) -> dict[str, t.Any]:
    """A dataset row's fields. ``as_logged`` (MLflow's ``log_inputs``): any role the caller
    derived from the context, and the raw ``source`` and input ``tags`` kept as sent."""
    if not isinstance(d, t.Mapping):
        raise Invalid("bad dataset", fields={where: "Must be an object with name, uri, digest and role."})
    name = check_name(d.get("name"), f"{where}.name", max_length=500)
    role = d.get("role") or "training"
    if role not in DATASET_ROLES and not as_logged:
        raise Invalid("bad dataset role", fields={f"{where}.role": f"Must be one of {', '.join(DATASET_ROLES)}."})
    out: dict[str, t.Any] = {"name": name, "role": role}
    if as_logged:
        source = d.get("source") or ""
        if not isinstance(source, str) or len(source) > 100_000 or not storable_text(source):
            raise Invalid("bad dataset source", fields={f"{where}.source": "Must be a string of at most 100000 characters."})
        out["source"] = source
        out["tags"] = _input_tags(d.get("tags"), f"{where}.tags")
    for key, limit in (("uri", 4000), ("digest", 255), ("source_type", 64), ("schema", 100_000), ("profile", 100_000)):
        value = d.get(key) or ""
        if not isinstance(value, str) or len(value) > limit or not storable_text(value):
            raise Invalid(f"bad dataset {key}", fields={f"{where}.{key}": f"Must be a string of at most {limit} characters."})
        out[key] = value
    return out


def _input_tags(tags: t.Any, where: str) -> list[dict[str, str]]:
    """A dataset input's tags, ``[{"key", "value"}]`` in the order logged, strings only."""
    if not isinstance(tags, list) or len(tags) > 100:
        raise Invalid("bad dataset tags", fields={where: "Must be a list of at most 100 {key, value}."})
    out = []
    for tag in tags:
        key, value = (tag.get("key"), tag.get("value", "")) if isinstance(tag, t.Mapping) else (None, None)
        if not isinstance(key, str) or not key or len(key) > 255 or not isinstance(value, str) or len(value) > 5000 \
                or not storable_text(key) or not storable_text(value):
            raise Invalid("bad dataset tag", fields={where: "Each needs a string key (255) and value (5000)."})
        out.append({"key": key, "value": value})
    return out


def add_datasets(run_id: str, datasets: t.Sequence[dict[str, t.Any]]) -> None:
    """Add datasets a run does not have yet (by name, digest and role), in one statement."""
    unique = {(d["name"], d["digest"], d["role"]): d for d in datasets}
    upsert(RunDataset, [{"run_id": run_id, "created_at": utcnow(), **d} for d in unique.values()],
           keys=("run_id", "name", "digest", "role"))


@unit_of_work
def replace_datasets(project: str, actor: Actor, run: Run, datasets: t.Any) -> list[RunDataset]:
    authorize(project, actor, "write")
    if not isinstance(datasets, list):
        raise Invalid("datasets must be a list", fields={"datasets": "Must be a list."})
    rows = [check_dataset(d, f"datasets[{i}]") for i, d in enumerate(datasets)]
    s = session()
    # the run's row is locked: concurrent replacements queue up, the last one's list stays whole
    locked = lock_run(run.id, f"Run with id={run.id} not found", shared=False)
    s.execute(sa.delete(RunDataset).where(RunDataset.run_id == run.id))
    s.flush()
    add_datasets(run.id, rows)
    locked.touch()
    audit_run(project, actor, run, "run.datasets", {"datasets": [f"{d['name']} ({d['role']})" for d in rows]})
    return datasets_of([run.id]).get(run.id, [])
