"""JSON API v1 views to compare versions, follow a model's metrics, set metric goals, and record
the datasets a version was trained and evaluated on."""
from __future__ import annotations

import dataclasses
import typing as t

from flask import Response, jsonify

from ..kit.auth import request_actor
from ..services import compare as compare_service
from ..services import evolution as evolution_service
from ..services import read_models
from ..services import tracking
from . import compare_schemas as cs
from .routing import route
from .schemas import Dataset, Model
from .serialize import models_json
from .views import M, V, _files_run_id, _model, _version

_comparison_schema = cs.Comparison()
_evolution_schema = cs.Evolution()
_dataset_list_schema = cs.DatasetList()


def _files_run_id_of(project: str, model_id: int, version_id: int) -> str:
    return _files_run_id(_version(project, model_id, version_id)[1])


def comparison_json(c: compare_service.Comparison) -> dict[str, t.Any]:
    versions = []
    for col in c.versions:
        v = col.version
        versions.append({
            "id": v.id, "version": v.version, "number": v.number, "is_prerelease": col.is_prerelease,
            "description": v.description, "created_at": v.created_at, "created_by": v.created_by,
            "stage": v.stage, "run_id": v.mlflow_run_id, "package_name": v.package_name,
            "artifact_count": v.artifact_count, "aliases": col.aliases,
            "parent": dataclasses.asdict(col.parent) if col.parent else None,
            "ci_job": col.ci_job, "datasets": col.datasets,
        })
    return _comparison_schema.dump({
        "model_id": c.model.id, "model_name": c.model.name, "metric_goals": c.model.metric_goals or {},
        "versions": versions, "metrics": c.metrics, "params": c.params, "metadata": c.metadata,
        "datasets": c.datasets, "lineage_changes": c.lineage_changes,
    })


@route(M + "/compare", "GET", summary="Compare versions side by side", tag="compare", query=cs.CompareQuery,
       response=cs.Comparison)
def compare_versions(project: str, model_id: int, query: dict[str, t.Any]):
    """Metrics (last value of each key, the best marked by the model's metric goals), parameters,
    metadata and datasets of two to ten versions, in semantic version order. `differs` flags the
    rows whose values are not all equal; a missing value counts as a difference."""
    comparison = compare_service.compare_versions(project, request_actor(), _model(project, model_id),
                                                  query["versions"])
    return jsonify(comparison_json(comparison))


@route(M + "/evolution", "GET", summary="A model's metrics across its versions", tag="compare",
       query=cs.EvolutionQuery, response=cs.Evolution)
def model_evolution(project: str, model_id: int, query: dict[str, t.Any]):
    """One point per version that logged the metric (its last value), oldest first, prereleases flagged."""
    evo = evolution_service.evolution(project, request_actor(), _model(project, model_id),
                                      metrics=query["metrics"], order=query["order"])
    return jsonify(_evolution_schema.dump({
        "model_id": evo.model.id, "model_name": evo.model.name, "order": evo.order, "truncated": evo.truncated,
        "available_metrics": evo.available_metrics, "versions": evo.versions, "series": evo.series,
    }))


@route(M + "/metric-goals/<path:metric>", "PUT", summary="Say whether higher or lower is better for a metric",
       tag="compare", body=cs.MetricGoal, response=Model)
def put_metric_goal(project: str, model_id: int, metric: str, body: dict[str, t.Any]):
    """Remembered per model; comparisons mark the best value by it."""
    model = compare_service.set_metric_goal(project, request_actor(), _model(project, model_id), metric,
                                            body["goal"])
    return jsonify(models_json([read_models.model_view(model)])[0])


@route(M + "/metric-goals/<path:metric>", "DELETE", summary="Forget a metric's goal", tag="compare", status=204)
def delete_metric_goal(project: str, model_id: int, metric: str):
    compare_service.set_metric_goal(project, request_actor(), _model(project, model_id), metric, None)
    return Response(status=204)


def _datasets_json(run_id: str) -> dict[str, t.Any]:
    items = [compare_service.dataset_ref(d) for d in tracking.datasets_of([run_id]).get(run_id, [])]
    return _dataset_list_schema.dump({"items": items, "total": len(items)})


@route(V + "/datasets", "GET", summary="The datasets a version was trained and evaluated on", tag="versions",
       response=cs.DatasetList)
def get_datasets(project: str, model_id: int, version_id: int):
    return jsonify(_datasets_json(_files_run_id_of(project, model_id, version_id)))


@route(V + "/datasets", "PUT", summary="Replace a version's datasets", tag="versions", body=Dataset,
       body_many=True, body_name="datasets", response=cs.DatasetList,
       description="A list of {name, uri, digest, role (training, validation, test, evaluation), source_type}; "
                   "the version's datasets become exactly these. The parent version is set with PATCH "
                   "`parent_version_id` on the version.")
def put_datasets(project: str, model_id: int, version_id: int, body: list[dict[str, t.Any]]):
    run_id = _files_run_id_of(project, model_id, version_id)
    tracking.replace_datasets(project, request_actor(), tracking.get_run(project, request_actor(), run_id), body)
    return jsonify(_datasets_json(run_id))
