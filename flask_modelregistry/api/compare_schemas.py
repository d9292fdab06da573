"""Marshmallow schemas of the comparison, evolution, metric-goal and lineage routes of the JSON API."""
from __future__ import annotations

from marshmallow import fields, validate

from .schemas import CIJob, _Base


class CompareQuery(_Base):
    versions = fields.String(required=True, metadata={
        "description": "Two to ten version ids separated by commas (semantic versions are accepted too).",
        "example": "3,4,7"})


class EvolutionQuery(_Base):
    metrics = fields.String(load_default=None, metadata={
        "description": "Metric keys separated by commas; omitted: every metric.", "example": "accuracy,loss"})
    order = fields.String(load_default="version", validate=validate.OneOf(["version", "created_at"]), metadata={
        "description": "Semantic version order (default) or creation date, oldest first."})


class MetricGoal(_Base):
    goal = fields.String(required=True, validate=validate.OneOf(["max", "min"]), metadata={
        "description": "max: higher is better; min: lower is better."})


class DatasetRef(_Base):
    role = fields.String(metadata={"example": "training"})
    name = fields.String()
    uri = fields.String()
    digest = fields.String()
    source_type = fields.String()


class DatasetList(_Base):
    items = fields.List(fields.Nested(DatasetRef))
    total = fields.Integer()


class ParentRef(_Base):
    id = fields.Integer()
    version = fields.String()
    model_id = fields.Integer()
    model_name = fields.String()


class ComparedVersion(_Base):
    id = fields.Integer()
    version = fields.String()
    number = fields.Integer()
    is_prerelease = fields.Boolean()
    description = fields.String()
    created_at = fields.DateTime(format="iso")
    created_by = fields.String(allow_none=True)
    stage = fields.String()
    run_id = fields.String()
    package_name = fields.String()
    artifact_count = fields.Integer()
    aliases = fields.List(fields.String())
    parent = fields.Nested(ParentRef, allow_none=True, metadata={"description": "The version it derives from."})
    ci_job = fields.Nested(CIJob, allow_none=True)
    datasets = fields.List(fields.Nested(DatasetRef))


class MetricCell(_Base):
    version_id = fields.Integer()
    value = fields.Float(allow_none=True, metadata={"description": "The last logged value; null when NaN."})
    is_nan = fields.Boolean()
    step = fields.Integer()
    timestamp = fields.Integer()
    delta = fields.Float(allow_none=True, metadata={"description": "value minus the first column's value."})
    is_best = fields.Boolean()


class MetricRow(_Base):
    key = fields.String()
    goal = fields.String(allow_none=True, metadata={"description": "max, min, or null when no goal is set."})
    differs = fields.Boolean()
    best_version_ids = fields.List(fields.Integer())
    cells = fields.List(fields.Nested(MetricCell, allow_none=True), metadata={
        "description": "One per compared version, in the order of `versions`; null where the version has no value."})


class ValueRow(_Base):
    key = fields.String()
    differs = fields.Boolean()
    values = fields.List(fields.String(allow_none=True), metadata={
        "description": "One per compared version; null where the version does not have the key."})


class DatasetRow(_Base):
    role = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "same, changed (another digest) or missing (not in every version)."})
    differs = fields.Boolean()
    cells = fields.List(fields.List(fields.Nested(DatasetRef)))


class DatasetChange(_Base):
    role = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "added, removed or changed"})
    before = fields.List(fields.Nested(DatasetRef))
    after = fields.List(fields.Nested(DatasetRef))


class LineageChange(_Base):
    from_version_id = fields.Integer()
    to_version_id = fields.Integer()
    changes = fields.List(fields.Nested(DatasetChange))


class Comparison(_Base):
    model_id = fields.Integer()
    model_name = fields.String()
    metric_goals = fields.Dict(keys=fields.String(), values=fields.String())
    versions = fields.List(fields.Nested(ComparedVersion), metadata={
        "description": "The compared versions in semantic version order, oldest first."})
    metrics = fields.List(fields.Nested(MetricRow))
    params = fields.List(fields.Nested(ValueRow))
    metadata = fields.List(fields.Nested(ValueRow))
    datasets = fields.List(fields.Nested(DatasetRow))
    lineage_changes = fields.List(fields.Nested(LineageChange), metadata={
        "description": "How each version's data differs from the previous column's."})


class EvolutionVersion(_Base):
    id = fields.Integer()
    version = fields.String()
    number = fields.Integer()
    created_at = fields.DateTime(format="iso")
    is_prerelease = fields.Boolean()


class EvolutionPoint(_Base):
    version_id = fields.Integer()
    version = fields.String()
    created_at = fields.DateTime(format="iso")
    is_prerelease = fields.Boolean()
    value = fields.Float(allow_none=True)
    is_nan = fields.Boolean()
    step = fields.Integer()


class MetricSeries(_Base):
    key = fields.String()
    goal = fields.String(allow_none=True)
    best_version_id = fields.Integer(allow_none=True)
    points = fields.List(fields.Nested(EvolutionPoint))


class Evolution(_Base):
    model_id = fields.Integer()
    model_name = fields.String()
    order = fields.String()
    truncated = fields.Boolean()
    available_metrics = fields.List(fields.String())
    versions = fields.List(fields.Nested(EvolutionVersion))
    series = fields.List(fields.Nested(MetricSeries))
