"""Marshmallow schemas of the JSON API: they shape every response, parse every request body
and query, and generate the OpenAPI document. Semantic rules live in the service layer."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ..kit.artifact_json import ArtifactSchema


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True


class ErrorDetail(_Base):
    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields")


class Error(_Base):
    error = fields.Nested(ErrorDetail, required=True)


class Metric(_Base):
    key = fields.String(required=True, validate=validate.Length(min=1, max=250))
    value = fields.Float(required=True, allow_nan=True, allow_none=True,
                         metadata={"description": "null when the logged value was NaN (see is_nan)"})
    step = fields.Integer(load_default=0)
    is_nan = fields.Boolean(dump_only=True)
    timestamp = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "Milliseconds since the epoch; defaults to now."})


class CIJob(_Base):
    id = fields.String()
    url = fields.String(allow_none=True)
    log_url = fields.String(allow_none=True)
    pipeline_url = fields.String(allow_none=True)
    ref = fields.String(allow_none=True)
    merge_request_url = fields.String(allow_none=True)


class Dataset(_Base):
    name = fields.String(required=True)
    uri = fields.String(load_default="")
    digest = fields.String(load_default="")
    role = fields.String(load_default="training",
                         validate=validate.OneOf(["training", "validation", "test", "evaluation"]))
    source_type = fields.String(load_default="")


class Model(_Base):
    id = fields.Integer()
    project = fields.String()
    name = fields.String()
    description = fields.String()
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    created_by = fields.String(allow_none=True)
    latest_version = fields.String(allow_none=True, metadata={
        "description": "The highest release by semantic version order (the highest prerelease when there is no release)."})
    latest_version_id = fields.Integer(allow_none=True)
    version_count = fields.Integer()
    tags = fields.Dict(keys=fields.String(), values=fields.String())
    aliases = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "alias -> semantic version"})
    metric_goals = fields.Dict(keys=fields.String(), values=fields.String(),
                               metadata={"description": "metric -> max or min, for comparisons"})


class Version(_Base):
    id = fields.Integer()
    model_id = fields.Integer()
    number = fields.Integer(metadata={"description": "The version's number within its model (MLflow's version)."})
    version = fields.String(metadata={"example": "1.2.0"})
    description = fields.String()
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    created_by = fields.String(allow_none=True)
    stage = fields.String()
    run_id = fields.String()
    source = fields.String()
    parent_version_id = fields.Integer(allow_none=True)
    package_name = fields.String(metadata={"example": "my-model/1.2.0"})
    aliases = fields.List(fields.String())
    metrics = fields.List(fields.Nested(Metric), metadata={"description": "The latest value of each metric."})
    params = fields.Dict(keys=fields.String(), values=fields.String())
    metadata = fields.Dict(keys=fields.String(), values=fields.String())
    artifact_count = fields.Integer()
    ci_job = fields.Nested(CIJob, allow_none=True)
    datasets = fields.List(fields.Nested(Dataset))


def page_of(item: type[Schema], name: str) -> type[Schema]:
    return type(name, (_Base,), {
        "items": fields.List(fields.Nested(item)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    })


ModelPage = page_of(Model, "ModelPage")
VersionPage = page_of(Version, "VersionPage")


class ArtifactList(_Base):
    items = fields.List(fields.Nested(ArtifactSchema))
    total = fields.Integer()


class ModelListQuery(_Base):
    search = fields.String(load_default=None)
    sort = fields.String(load_default="created_at", validate=validate.OneOf(["name", "created_at", "updated_at"]))
    order = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1),
                              metadata={"description": "At most 100; larger values are capped."})


class VersionListQuery(ModelListQuery):
    sort = fields.String(load_default="version", validate=validate.OneOf(["version", "created_at", "number"]))


class ModelCreate(_Base):
    name = fields.String(required=True, metadata={"example": "fraud-detector"})
    description = fields.String(load_default="")
    tags = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)


class ModelUpdate(_Base):
    name = fields.String()
    description = fields.String()
    metric_goals = fields.Dict(keys=fields.String(), values=fields.String())


class VersionCreate(_Base):
    version = fields.String(load_default=None, allow_none=True, metadata={
        "description": "A semantic version; omitted: the next major version.", "example": "1.0.0"})
    description = fields.String(load_default="")
    metadata = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    params = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    metrics = fields.List(fields.Dict(), load_default=list)
    parent_version_id = fields.Integer(load_default=None, allow_none=True)
    datasets = fields.List(fields.Dict(), load_default=list)


class VersionUpdate(_Base):
    description = fields.String()
    stage = fields.String(validate=validate.OneOf(["None", "Staging", "Production", "Archived"]))
    parent_version_id = fields.Integer(allow_none=True)


class DeleteArtifacts(_Base):
    paths = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=1000))


class Settings(_Base):
    project = fields.String(dump_only=True)
    enabled = fields.Boolean()
    visibility = fields.String(validate=validate.OneOf(["public", "private"]))


class StringMap(_Base):
    """An object of string keys and string values."""


class MetricList(_Base):
    items = fields.List(fields.Nested(Metric))


class AuditEventSchema(_Base):
    id = fields.Integer()
    created_at = fields.DateTime(format="iso")
    action = fields.String(metadata={"example": "version.delete"})
    target_type = fields.String()
    target_id = fields.String()
    target_name = fields.String()
    actor = fields.String(allow_none=True)
    via = fields.String(metadata={"description": "session, token or system"})
    details = fields.Dict()


class AuditPage(_Base):
    items = fields.List(fields.Nested(AuditEventSchema))
    next_before_id = fields.Integer(allow_none=True, metadata={
        "description": "Pass as before_id to get the next (older) page; null on the last page."})


class AuditQuery(_Base):
    before_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ResolveQuery(_Base):
    range = fields.String(required=True, metadata={"example": "^1.2", "description":
        "A semantic-version range: ^1.2, ~1.2.3, >=1.0,<2, 1.x; '||' between alternatives."})
    prereleases = fields.Boolean(load_default=False, metadata={"description": "Let prereleases match too."})


class SemverCheckSchema(_Base):
    status = fields.String(metadata={"description": "ok, warning, or unknown (nothing to compare)"})
    message = fields.String()
    previous_version = fields.String(allow_none=True)
    bump = fields.String(allow_none=True, metadata={"description": "major, minor, patch or none"})
    breaking = fields.List(fields.String())
    additions = fields.List(fields.String())
