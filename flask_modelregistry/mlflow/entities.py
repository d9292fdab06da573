"""The registry's rows as MLflow's JSON entities, a whole page at a time in a few queries."""
from __future__ import annotations

import typing as t

from ..models import Experiment, LoggedModel, ModelVersion, RegisteredModel, Run
from ..models.base import to_millis
from ..services import aliases, batches, logged_models, registration, tracking, versions
from ..services.artifact_locations import experiment_artifact_location, logged_model_artifact_uri, run_artifact_uri
from ..services.experiments import external_id, external_ids
from .protocol import compact, number, pairs


def model_versions(items: t.Sequence[ModelVersion]) -> list[dict[str, t.Any]]:
    ids = [v.id for v in items]
    names = batches.model_names([v.model_id for v in items])
    tags = batches.tags_by_version(ids)
    alias_map = aliases.aliases_by_version(ids)
    parents = batches.version_labels(v.parent_version_id for v in items)
    out = []
    for v in items:
        shown = registration.shown_tags(v, tags.get(v.id, {}), parents.get(v.parent_version_id or -1))
        out.append(compact({
            "name": names.get(v.model_id), "version": str(v.number),
            "creation_timestamp": to_millis(v.created_at), "last_updated_timestamp": to_millis(v.updated_at),
            "user_id": v.created_by_name, "current_stage": v.stage, "description": v.description,
            "source": v.source, "run_id": v.mlflow_run_id, "status": "READY", "tags": pairs(shown),
            "aliases": alias_map.get(v.id, []), "model_id": v.logged_model_id,
        }))
    return out


def model_version(version: ModelVersion) -> dict[str, t.Any]:
    return model_versions([version])[0]


def registered_models(items: t.Sequence[RegisteredModel]) -> list[dict[str, t.Any]]:
    ids = [m.id for m in items]
    tags = batches.tags_by_model(ids)
    alias_map = aliases.aliases_by_model(ids)
    latest = batches.latest_by_stage(ids)
    latest_json = iter(model_versions([v for m in items for v in latest.get(m.id, [])]))
    out = []
    for m in items:
        out.append(compact({
            "name": m.name, "creation_timestamp": to_millis(m.created_at),
            "last_updated_timestamp": to_millis(m.updated_at), "user_id": m.created_by_name,
            "description": m.description, "tags": pairs(tags.get(m.id, {})),
            "aliases": [{"alias": a, "version": str(n)} for a, n in alias_map.get(m.id, [])],
            "latest_versions": [next(latest_json) for _ in latest.get(m.id, [])],
        }))
    return out


def registered_model(model: RegisteredModel) -> dict[str, t.Any]:
    return registered_models([model])[0]


def experiment(exp: Experiment) -> dict[str, t.Any]:
    ext = external_id(exp)
    return compact({
        "experiment_id": ext, "name": exp.name, "artifact_location": experiment_artifact_location(ext),
        "lifecycle_stage": exp.lifecycle_stage, "creation_time": to_millis(exp.created_at),
        "last_update_time": to_millis(exp.updated_at), "tags": pairs(exp.tags or {}),
    })


def run_info(run: Run) -> dict[str, t.Any]:
    ext = external_id(run.experiment)
    return compact({
        "run_id": run.id, "run_uuid": run.id, "run_name": run.name, "experiment_id": ext,
        "user_id": run.user_id, "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "artifact_uri": run_artifact_uri(ext, run.id), "lifecycle_stage": run.lifecycle_stage,
    })


def run(run: Run) -> dict[str, t.Any]:
    metrics = versions.latest_metrics([run.id]).get(run.id, [])
    tags = tracking.tags_of(run.id)
    tags.setdefault("mlflow.runName", run.name)
    datasets = tracking.datasets_of([run.id]).get(run.id, [])
    inputs = logged_models.links_of_run(run.id, "input")
    outputs = logged_models.links_of_run(run.id, "output")
    return {
        "info": run_info(run),
        "data": compact({
            "metrics": [{"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}
                        for m in metrics],
            "params": pairs(tracking.params_of(run.id)), "tags": pairs(tags),
        }),
        "inputs": compact({"dataset_inputs": [{
            # as logged through MLflow; a dataset set on the pages or the JSON API shows its role
            "tags": d.tags if d.tags is not None else [{"key": "mlflow.data.context", "value": d.role}],
            "dataset": compact({"name": d.name, "digest": d.digest, "source_type": d.source_type,
                                "source": d.source if d.source is not None else d.uri, "schema": d.schema,
                                "profile": d.profile}),
        } for d in datasets], "model_inputs": [{"model_id": m.model_id} for m in inputs]}),
        "outputs": compact({"model_outputs": [{"model_id": m.model_id, "step": m.step} for m in outputs]}),
    }


def logged_model_list(items: t.Sequence[LoggedModel]) -> list[dict[str, t.Any]]:
    registered = logged_models.registrations([m.id for m in items])
    experiments = external_ids(m.experiment_id for m in items)
    metrics = logged_models.metrics_of([m.id for m in items])
    out = []
    for m in items:
        ext = experiments.get(m.experiment_id, str(m.experiment_id))
        out.append({
            "info": compact({
                "model_id": m.id, "experiment_id": ext, "name": m.name,
                "creation_timestamp_ms": to_millis(m.created_at),
                "last_updated_timestamp_ms": to_millis(m.updated_at),
                "artifact_uri": logged_model_artifact_uri(ext, m.id), "status": m.status,
                "model_type": m.model_type, "source_run_id": m.given_run_id or m.run_id,
                "tags": pairs(m.tags or {}),
                "registrations": [{"name": n, "version": str(v)} for n, v in registered.get(m.id, [])],
            }),
            "data": compact({"params": pairs(m.params or {}), "metrics": [compact({
                "key": r.key, "value": number(float("nan") if r.is_nan else r.value), "timestamp": r.timestamp,
                "step": r.step, "run_id": r.run_id, "model_id": r.model_id, "dataset_name": r.dataset_name,
                "dataset_digest": r.dataset_digest}) for r in metrics.get(m.id, [])]}),
        })
    return out


def logged_model(model: LoggedModel) -> dict[str, t.Any]:
    return logged_model_list([model])[0]
