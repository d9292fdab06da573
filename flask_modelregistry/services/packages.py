"""A model version seen as a package of the package registry: ``<model_name>/<version>``.

The package API names a version by its id alone (as GitLab's ``ml_models`` packages do), or by
the package name. Either way the project's read access is checked before anything is looked up,
so a private project's versions are not revealed by probing ids.
"""
from __future__ import annotations

import dataclasses
import typing as t

import sqlalchemy as sa

from ..errors import NotFound
from ..models import ModelVersion, RegisteredModel
from .access import authorize
from .common import row_id, session
from .identity import Actor
from .registered_models import get_model_by_name
from .versions import find_version


@dataclasses.dataclass(frozen=True)
class PackageVersion:
    """A version as the package API shows it; ``run_id`` holds its files."""

    model_id: int
    model_name: str
    version_id: int
    version: str
    run_id: str

    @property
    def package_name(self) -> str:
        return f"{self.model_name}/{self.version}"


def _package(model: RegisteredModel, version: ModelVersion) -> PackageVersion:
    return PackageVersion(model_id=model.id, model_name=model.name, version_id=version.id, version=version.version,
                          run_id=version.run_id)


def version_by_id(project: str, actor: Actor, version_id: t.Any) -> PackageVersion:
    """The version with this id in ``project``."""
    authorize(project, actor, "read")
    vid = row_id(version_id)
    if vid is None:
        raise NotFound("package not found")
    row = session().execute(
        sa.select(ModelVersion, RegisteredModel).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(ModelVersion.id == vid, RegisteredModel.project == project)).first()
    if row is None:
        raise NotFound("package not found")
    return _package(row[1], row[0])


def version_by_name(project: str, actor: Actor, model_name: str, version: str) -> PackageVersion:
    """The version named by its package name ``<model_name>/<version>``."""
    model = get_model_by_name(project, actor, model_name)
    return _package(model, find_version(project, actor, model, version))
