"""An artifact (a stored file of a version) as the JSON API and the package API show it."""
from __future__ import annotations

import typing as t

from marshmallow import EXCLUDE, Schema, fields
from ..services.artifacts import ArtifactView


class ArtifactSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True

    path = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    content_type = fields.String()
    created_at = fields.DateTime(format="iso")
    created_by = fields.String(allow_none=True)


_artifact_schema = ArtifactSchema()


def artifact_json(a: ArtifactView) -> dict[str, t.Any]:
    return _artifact_schema.dump({"path": a.path, "size": a.size, "sha256": a.sha256, "content_type": a.content_type,
                                  "created_at": a.created_at, "created_by": a.created_by_name})
