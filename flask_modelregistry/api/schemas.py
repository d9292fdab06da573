"""Marshmallow schemas of the JSON API: they shape every response, parse every request body
and query (the route table loads each request with the schema it documents), and generate the
OpenAPI document. Their limits are the columns' and the services'; semantic rules (semver,
uniqueness, roles) live in the service layer."""
from __future__ import annotations

import typing as t

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from ..kit.artifact_json import ArtifactSchema
from ..text import DOUBLE_RANGE, as_double, nfc

INT64 = validate.Range(min=-2**63, max=2**63 - 1)
#: names of models (the ``name`` columns), metric and map keys, texts: the services' limits
NAME = validate.Length(min=1, max=255)
KEY = validate.Length(min=1, max=250)
TEXT = validate.Length(max=100_000)
#: the services' rule for model names (``registered_models.check_model_name``); they strip spaces first
MODEL_NAME = validate.Regexp(r"^\s*\w[\w.+@ -]*\s*$",
                             error="Use letters, digits, spaces and . _ - + @; start with a letter or digit.")


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True


class Scalar(fields.String):
    """A string; a number is taken as its text (``{"epochs": 3}`` stores ``"3"``)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> t.Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                as_double(value)  # 1e400 is no number to keep as the text "inf"
            except OverflowError:
                raise ValidationError(DOUBLE_RANGE) from None
            value = str(value)
        return super()._deserialize(value, attr, data, **kwargs)


class Name(fields.String):
    """A name compared in Unicode NFC (``café`` composed or decomposed is one name)."""

    def _deserialize(self, value: t.Any, attr: str | None, data: t.Any, **kwargs: t.Any) -> t.Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        return nfc(text)


class Double(fields.Float):
    """A number stored as a double: a finite number beyond a double's range (``1e400``) is refused;
    NaN and infinities are kept."""

    def _validated(self, value: t.Any) -> float | None:
        try:
            as_double(value)
        except OverflowError:
            raise self.make_error("range") from None
        except (TypeError, ValueError):
            pass  # the Float field says what is wrong
        return super()._validated(value)

    default_error_messages = {"range": DOUBLE_RANGE}


def string_map(max_items: int = 1000, value_max: int = 5000, **kwargs: t.Any) -> fields.Dict:
    """An object of string keys and values, as params, metadata and tags are."""
    kwargs.setdefault("metadata", {}).setdefault(
        "description", f"string keys of 1 to {KEY.max} characters and string values (numbers are kept as their text)")
    return fields.Dict(keys=fields.String(validate=KEY), values=Scalar(validate=validate.Length(max=value_max)),
                       validate=validate.Length(max=max_items), **kwargs)


class ErrorDetail(_Base):
    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields")


class Error(_Base):
    error = fields.Nested(ErrorDetail, required=True)


class Metric(_Base):
    key = fields.String(required=True, validate=KEY)
    value = Double(required=True, allow_nan=True, allow_none=True,
                         metadata={"description": "null when the logged value was NaN (see is_nan)"})
    step = fields.Integer(load_default=0, validate=INT64)
    is_nan = fields.Boolean(dump_only=True)
    timestamp = fields.Integer(load_default=None, allow_none=True, validate=INT64,
                               metadata={"description": "Milliseconds since the epoch; defaults to now."})


class CIJob(_Base):
    id = fields.String()
    url = fields.String(allow_none=True)
    log_url = fields.String(allow_none=True)
    pipeline_url = fields.String(allow_none=True)
    ref = fields.String(allow_none=True)
    merge_request_url = fields.String(allow_none=True)


class Dataset(_Base):
    name = fields.String(required=True, validate=validate.Length(min=1, max=500))
    uri = fields.String(load_default="", allow_none=True, validate=validate.Length(max=4000))
    digest = fields.String(load_default="", allow_none=True, validate=validate.Length(max=255))
    role = fields.String(load_default="training", allow_none=True,
                         validate=validate.OneOf(["training", "validation", "test", "evaluation"]))
    source_type = fields.String(load_default="", allow_none=True, validate=validate.Length(max=64))
    schema = fields.String(load_only=True, allow_none=True, validate=TEXT)
    profile = fields.String(load_only=True, allow_none=True, validate=TEXT)


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
    run_id = fields.String(metadata={"description": "The run the version came from, as MLflow clients see it "
                                                    "(a run id this server does not know stays as given)."})
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
    search = fields.String(load_default=None, validate=validate.Length(max=255))
    sort = fields.String(load_default="created_at", validate=validate.OneOf(["name", "created_at", "updated_at"]))
    order = fields.String(load_default="desc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1),
                              metadata={"description": "At most 100; larger values are capped."})


class VersionListQuery(ModelListQuery):
    sort = fields.String(load_default="version", validate=validate.OneOf(["version", "created_at", "number"]))


class ModelCreate(_Base):
    name = Name(required=True, validate=[NAME, MODEL_NAME], metadata={"example": "fraud-detector"})
    description = fields.String(load_default="", validate=TEXT)
    tags = string_map(load_default=dict)


class ModelUpdate(_Base):
    name = Name(validate=[NAME, MODEL_NAME])
    description = fields.String(validate=TEXT)
    metric_goals = fields.Dict(keys=fields.String(validate=KEY), values=fields.String(
        validate=validate.OneOf(["max", "min"])), validate=validate.Length(max=1000), metadata={
        "description": "metric -> max (higher is better) or min; the goals become exactly these"})


class VersionCreate(_Base):
    version = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255), metadata={
        "description": "A semantic version; omitted: the next major version.", "example": "1.0.0"})
    description = fields.String(load_default="", validate=TEXT)
    metadata = string_map(load_default=dict)
    params = string_map(load_default=dict)
    metrics = fields.List(fields.Nested(Metric), load_default=list, validate=validate.Length(max=10_000))
    parent_version_id = fields.Integer(load_default=None, allow_none=True)
    datasets = fields.List(fields.Nested(Dataset), load_default=list, validate=validate.Length(max=1000))


class VersionUpdate(_Base):
    description = fields.String(validate=TEXT)
    stage = fields.String(validate=validate.OneOf(["None", "Staging", "Production", "Archived"]))
    parent_version_id = fields.Integer(allow_none=True)


class DeleteArtifacts(_Base):
    paths = fields.List(fields.String(validate=validate.Length(min=1, max=1024)), required=True,
                        validate=validate.Length(min=1, max=1000))


class Settings(_Base):
    project = fields.String(dump_only=True)
    enabled = fields.Boolean()
    visibility = fields.String(validate=validate.OneOf(["public", "private"]))


#: the body of ``PUT .../params`` and ``PUT .../metadata``
STRING_MAP = string_map()


class MetricList(_Base):
    items = fields.List(fields.Nested(Metric))


class MetricPage(MetricList):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "Values logged in all (of `key`, when given)."})
    next_page_token = fields.String(allow_none=True, metadata={
        "description": "Pass as `page_token` for the next page; null on the last page."})


class MetricHistoryQuery(_Base):
    key = fields.String(load_default=None, validate=KEY, metadata={"description": "Only this metric's values."})
    page_token = fields.String(load_default=None, validate=validate.Length(max=4096), metadata={
        "description": "The `next_page_token` of the page before (with the same `key`): the page after it, "
                       "found by an index seek, so every page costs the same. Takes precedence over `page`."})
    page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1_000_000), metadata={
        "description": "Jump to this page (default 1); its cost grows with the values before it. "
                       "Follow `next_page_token` to read a history through."})
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1), metadata={
        "description": "At most 1000; larger values are capped."})


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
    range = fields.String(required=True, validate=validate.Length(min=1, max=1000), metadata={
        "example": "^1.2", "description":
        "A semantic-version range: ^1.2, ~1.2.3, >=1.0,<2, 1.x; '||' between alternatives."})
    prereleases = fields.Boolean(load_default=False, metadata={"description": "Let prereleases match too."})


class SemverCheckSchema(_Base):
    status = fields.String(metadata={"description": "ok, warning, or unknown (nothing to compare)"})
    message = fields.String()
    previous_version = fields.String(allow_none=True)
    bump = fields.String(allow_none=True, metadata={"description": "major, minor, patch or none"})
    breaking = fields.List(fields.String())
    additions = fields.List(fields.String())
