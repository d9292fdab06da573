"""A model version seen as a package of the package registry: ``<model_name>/<version>``.

The package API names a version by its id alone (as GitLab's ``ml_models`` packages do), or by
the package name. Either way the project's read access is checked before anything is looked up,
so a private project's versions are not revealed by probing ids.
"""
from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..errors import NotFound
from ..models import ModelVersion, RegisteredModel
from .access import authorize
from .common import row_id, session
from .identity import Actor
from .registered_models import get_model_by_name
from .versions import find_version


def package_name(model: RegisteredModel, version: ModelVersion) -> str:
    return f"{model.name}/{version.version}"


def version_by_id(project: str, actor: Actor, version_id: t.Any) -> tuple[RegisteredModel, ModelVersion]:
    """The version with this id in ``project``, with its model."""
    authorize(project, actor, "read")
    vid = row_id(version_id)
    if vid is None:
        raise NotFound("package not found")
    row = session().execute(
        sa.select(ModelVersion, RegisteredModel).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(ModelVersion.id == vid, RegisteredModel.project == project)).first()
    if row is None:
        raise NotFound("package not found")
    return row[1], row[0]


def version_by_name(project: str, actor: Actor, model_name: str, version: str) -> tuple[RegisteredModel, ModelVersion]:
    """The version named by its package name ``<model_name>/<version>``."""
    model = get_model_by_name(project, actor, model_name)
    return model, find_version(project, actor, model, version)
