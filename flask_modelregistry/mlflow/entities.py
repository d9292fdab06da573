"""MLflow's JSON entities, written from the services' MLflow read models (``services.mlflow_views``).

Nothing here reads a row or runs a query: each function writes one view (or a page of them) as
MLflow's server writes the entity, with timestamps in milliseconds and empty fields left out.
"""
from __future__ import annotations

import typing as t

from ..services.mlflow_views import ExperimentView, LoggedModelView, MlflowModel, MlflowVersion, RunInfo, RunView
from .protocol import compact, number, pairs, to_millis


def model_version(v: MlflowVersion) -> dict[str, t.Any]:
    return compact({
        "name": v.name, "version": str(v.number),
        "creation_timestamp": to_millis(v.created_at), "last_updated_timestamp": to_millis(v.updated_at),
        "user_id": v.user_id, "current_stage": v.stage, "description": v.description,
        "source": v.source, "run_id": v.run_id, "status": "READY", "tags": pairs(v.tags),
        "aliases": list(v.aliases), "model_id": v.logged_model_id,
    })


def model_versions(items: t.Iterable[MlflowVersion]) -> list[dict[str, t.Any]]:
    return [model_version(v) for v in items]


def registered_model(m: MlflowModel) -> dict[str, t.Any]:
    return compact({
        "name": m.name, "creation_timestamp": to_millis(m.created_at),
        "last_updated_timestamp": to_millis(m.updated_at), "user_id": m.user_id,
        "description": m.description, "tags": pairs(m.tags),
        "aliases": [{"alias": a, "version": str(n)} for a, n in m.aliases],
        "latest_versions": model_versions(m.latest_versions),
    })


def registered_models(items: t.Iterable[MlflowModel]) -> list[dict[str, t.Any]]:
    return [registered_model(m) for m in items]


def experiment(e: ExperimentView) -> dict[str, t.Any]:
    return compact({
        "experiment_id": e.experiment_id, "name": e.name, "artifact_location": e.artifact_location,
        "lifecycle_stage": e.lifecycle_stage, "creation_time": to_millis(e.created_at),
        "last_update_time": to_millis(e.updated_at), "tags": pairs(e.tags),
    })


def run_info(info: RunInfo) -> dict[str, t.Any]:
    return compact({
        "run_id": info.run_id, "run_uuid": info.run_id, "run_name": info.name, "experiment_id": info.experiment_id,
        "user_id": info.user_id, "status": info.status, "start_time": info.start_time, "end_time": info.end_time,
        "artifact_uri": info.artifact_uri, "lifecycle_stage": info.lifecycle_stage,
    })


def run(r: RunView) -> dict[str, t.Any]:
    return {
        "info": run_info(r.info),
        "data": compact({
            "metrics": [{"key": m.key, "value": number(m.value), "timestamp": m.timestamp, "step": m.step}
                        for m in r.metrics],
            "params": pairs(r.params), "tags": pairs(r.tags),
        }),
        "inputs": compact({"dataset_inputs": [{
            "tags": list(d.tags),
            "dataset": compact({"name": d.name, "digest": d.digest, "source_type": d.source_type,
                                "source": d.source, "schema": d.schema, "profile": d.profile}),
        } for d in r.datasets], "model_inputs": [{"model_id": m} for m in r.model_inputs]}),
        "outputs": compact({"model_outputs": [{"model_id": m, "step": step} for m, step in r.model_outputs]}),
    }


def logged_model(m: LoggedModelView) -> dict[str, t.Any]:
    return {
        "info": compact({
            "model_id": m.model_id, "experiment_id": m.experiment_id, "name": m.name,
            "creation_timestamp_ms": to_millis(m.created_at),
            "last_updated_timestamp_ms": to_millis(m.updated_at),
            "artifact_uri": m.artifact_uri, "status": m.status,
            "model_type": m.model_type, "source_run_id": m.source_run_id,
            "tags": pairs(m.tags),
            "registrations": [{"name": n, "version": str(v)} for n, v in m.registrations],
        }),
        "data": compact({"params": pairs(m.params), "metrics": [compact({
            "key": r.key, "value": number(r.value), "timestamp": r.timestamp,
            "step": r.step, "run_id": r.run_id, "model_id": r.model_id, "dataset_name": r.dataset_name,
            "dataset_digest": r.dataset_digest}) for r in m.metrics]}),
    }


def logged_model_list(items: t.Iterable[LoggedModelView]) -> list[dict[str, t.Any]]:
    return [logged_model(m) for m in items]
