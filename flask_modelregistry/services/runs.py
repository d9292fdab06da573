"""What MLflow clients do to runs beyond logging values: finish or rename them, tag them (with
the CI job check), and record the datasets they used.

A version's run is a run like any other, so a tag, a dataset or a status set here on
``mv.run_id`` is the version's: its CI job, its data lineage.
"""
from __future__ import annotations

import json
import typing as t

import sqlalchemy as sa

from ..errors import Invalid, NotFound
from ..models import Experiment, Run, RunTag
from . import ci, tracking
from .access import authorize
from .common import CONTROL_CHARS, check_name, check_string_map, lock_run, nfc_key, session, unit_of_work
from .identity import Actor

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
#: MLflow's ``mlflow.data.context`` values, and the dataset role each one records
CONTEXT_ROLES = {
    "training": "training", "train": "training",
    "validation": "validation", "valid": "validation", "val": "validation",
    "test": "test", "testing": "test",
    "evaluation": "evaluation", "eval": "evaluation",
}
CONTEXT_TAG = "mlflow.data.context"


def check_status(status: t.Any) -> str:
    if isinstance(status, int) and not isinstance(status, bool) and 1 <= status <= len(RUN_STATUSES):
        return RUN_STATUSES[status - 1]
    if status not in RUN_STATUSES:
        raise Invalid(f"Invalid run status: {status}", fields={"status": f"Must be one of {', '.join(RUN_STATUSES)}."})
    return status


def create_run(project: str, actor: Actor, experiment: Experiment, *, name: t.Any = None,
               start_time: int | None = None, tags: t.Mapping[str, t.Any] | None = None) -> Run:
    """A new run (``mlflow.start_run``); its name may also come from the ``mlflow.runName`` tag."""
    authorize(project, actor, "write")
    tag_map = check_string_map(dict(tags or {}), "tags", value_max=8000)
    tag_map = ci.resolve_ci_tags(project, tag_map)
    return tracking.create_run(project, actor, experiment, name=name or tag_map.get("mlflow.runName") or "",
                               start_time=start_time, tags=tag_map)


@unit_of_work
def update_run(project: str, actor: Actor, run: Run, *, status: t.Any = None, end_time: t.Any = None,
               name: t.Any = None) -> Run:
    """Change a run's status, end time or name (what ``mlflow.end_run`` sends)."""
    authorize(project, actor, "write")
    locked = lock_run(run.id, f"Run with id={run.id} not found")  # before the run's row is written
    if status is not None:
        run.status = check_status(status)
    if end_time is not None:
        if isinstance(end_time, bool) or not isinstance(end_time, int) or not 0 <= end_time < 2**63:
            raise Invalid("end_time must be a timestamp in milliseconds", fields={"end_time": "Must be an integer."})
        run.end_time = end_time
    if name:
        run.name = check_name(name, "run_name")
        tracking.set_run_tags(run.id, {"mlflow.runName": run.name})
    locked.touch()
    changes = {"status": run.status if status is not None else None, "end_time": end_time,
               "name": run.name if name else None}
    tracking.audit_run(project, actor, run, "run.update", {k: v for k, v in changes.items() if v is not None})
    return run


@unit_of_work
def set_tags(project: str, actor: Actor, run: Run, tags: t.Mapping[str, t.Any]) -> dict[str, str]:
    """Set tags on a run; tags naming a CI job go through the host's ``ci_job_resolver``."""
    authorize(project, actor, "write")
    tag_map = check_string_map(dict(tags), "tags", value_max=8000)
    tag_map = ci.resolve_ci_tags(project, tag_map, tracking.tags_of(run.id))
    locked = lock_run(run.id, f"Run with id={run.id} not found")
    tracking.set_run_tags(run.id, tag_map)
    if "mlflow.runName" in tag_map:
        run.name = check_name(tag_map["mlflow.runName"], "run_name")
    locked.touch()
    tracking.audit_run(project, actor, run, "run.tag.set", {"tags": tracking.shown_values(tag_map)})
    return tag_map


@unit_of_work
def delete_tag(project: str, actor: Actor, run: Run, key: t.Any) -> None:
    authorize(project, actor, "write")
    if not isinstance(key, str):
        raise Invalid("key must be a string", fields={"key": "Must be a string."})
    key = nfc_key(key)
    s = session()
    locked = lock_run(run.id, f"Run with id={run.id} not found")
    deleted = s.execute(sa.delete(RunTag).where(RunTag.run_id == run.id, RunTag.key == key))
    if not deleted.rowcount:
        raise NotFound(f"No tag with name: {key} in run with id {run.id}")
    locked.touch()
    tracking.audit_run(project, actor, run, "run.tag.delete", {"key": key})


@unit_of_work
def log_batch(project: str, actor: Actor, run: Run, *, metrics: t.Any = (), params: t.Any = None,
              tags: t.Any = None) -> None:
    """Metrics, parameters and tags at once; tags get the same CI job check as :func:`set_tags`."""
    authorize(project, actor, "write")
    tag_map = check_string_map(dict(tags or {}), "tags", value_max=8000)
    if tag_map:
        tag_map = ci.resolve_ci_tags(project, tag_map, tracking.tags_of(run.id))
    tracking.log_batch(project, actor, run, metrics=metrics, params=params, tags=tag_map)


def dataset_role(context: t.Any) -> str:
    """The dataset role an MLflow ``mlflow.data.context`` names (``training`` without one); a
    context of MLflow's that names none of the registry's roles is kept as the role itself."""
    if context in (None, ""):
        return "training"
    text = str(context).strip()
    role = CONTEXT_ROLES.get(text.lower())
    if role is None:
        if not text or len(text) > 32 or CONTROL_CHARS.search(text):
            raise Invalid(f"Invalid dataset context '{context}'",
                          fields={"datasets": "mlflow.data.context must be a name of at most 32 characters."})
        return text
    return role


def dataset_uri(source: t.Any) -> str:
    """MLflow sends a dataset's source as JSON (``{"uri": ...}``, ``{"url": ...}``, ...); keep its address."""
    if not isinstance(source, str):
        return ""
    try:
        parsed = json.loads(source)
    except (ValueError, RecursionError):
        return source
    if isinstance(parsed, dict):
        for key in ("uri", "url", "path", "table_name", "sql"):
            if isinstance(parsed.get(key), str):
                return parsed[key]
    return source


@unit_of_work
def log_inputs(project: str, actor: Actor, run: Run, datasets: t.Sequence[t.Mapping[str, t.Any]]) -> int:
    """Add the datasets a run used (MLflow's ``log_input``), each with the role its context names,
    its source and its input tags kept exactly as logged (``datasets[i]["tags"]``: ``[{key, value}]``)."""
    authorize(project, actor, "write")
    rows = []
    for i, d in enumerate(datasets):
        rows.append(tracking.check_dataset({
            "name": d.get("name"), "digest": d.get("digest") or "", "uri": dataset_uri(d.get("source")),
            "source_type": d.get("source_type") or "", "schema": d.get("schema") or "",
            "profile": d.get("profile") or "", "role": dataset_role(d.get("context")),
            "source": d.get("source") or "", "tags": d.get("tags") or [],
        }, f"datasets[{i}]", as_logged=True))
    locked = lock_run(run.id, f"Run with id={run.id} not found")
    tracking.add_datasets(run.id, rows)
    locked.touch()
    tracking.audit_run(project, actor, run, "run.inputs", {"datasets": [f"{d['name']} ({d['role']})" for d in rows]})
    return len(rows)

