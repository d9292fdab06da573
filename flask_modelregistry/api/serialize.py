"""Turn service results into the JSON API's shapes (see :mod:`.schemas`)."""
from __future__ import annotations

import typing as t

from ..models import ModelVersion, RegisteredModel
from ..services import aliases as alias_service
from ..services import batches, tracking
from ..services.ci import ci_job
from ..services.registered_models import ModelSummary
from ..services.versions import VersionDetails
from . import schemas

_model_schema = schemas.Model()
_version_schema = schemas.Version()


def models_json(summaries: t.Sequence[ModelSummary]) -> list[dict[str, t.Any]]:
    ids = [s.model.id for s in summaries]
    aliases = {model_id: dict(pairs) for model_id, pairs in
               alias_service.aliases_by_model(ids, label=ModelVersion.version).items()}
    tags = batches.tags_by_model(ids)
    out = []
    for s in summaries:
        m: RegisteredModel = s.model
        out.append(_model_schema.dump({
            "id": m.id, "project": m.project, "name": m.name, "description": m.description,
            "created_at": m.created_at, "updated_at": m.updated_at, "created_by": m.created_by_name,
            "latest_version": s.latest_version, "latest_version_id": s.latest_version_id,
            "version_count": s.version_count, "tags": tags.get(m.id, {}), "aliases": aliases.get(m.id, {}),
            "metric_goals": m.metric_goals or {},
        }))
    return out


def versions_json(model: RegisteredModel, items: t.Sequence[VersionDetails]) -> list[dict[str, t.Any]]:
    alias_rows = alias_service.aliases_by_version([d.version.id for d in items])
    datasets = tracking.datasets_of([d.version.run_id for d in items])
    out = []
    for d in items:
        v: ModelVersion = d.version
        out.append(_version_schema.dump({
            "id": v.id, "model_id": v.model_id, "number": v.number, "version": v.version,
            "description": v.description, "created_at": v.created_at, "updated_at": v.updated_at,
            "created_by": v.created_by_name, "stage": v.stage, "run_id": v.run_id, "source": v.source,
            "parent_version_id": v.parent_version_id, "package_name": f"{model.name}/{v.version}",
            "aliases": alias_rows.get(v.id, []),
            "metrics": [metric_json(m) for m in d.metrics],
            "params": d.params, "metadata": d.metadata, "artifact_count": d.artifact_count,
            "ci_job": ci_job(d.run_tags),
            "datasets": [{"name": x.name, "uri": x.uri, "digest": x.digest, "role": x.role,
                          "source_type": x.source_type} for x in datasets.get(v.run_id, [])],
        }))
    return out


def metric_json(m: t.Any) -> dict[str, t.Any]:
    """NaN is not JSON: it goes out as ``null`` with ``is_nan`` set."""
    nan = m.value != m.value
    return {"key": m.key, "value": None if nan else m.value, "step": m.step, "timestamp": m.timestamp,
            "is_nan": nan}
