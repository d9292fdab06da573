"""A model version to put files into through the package registry API."""
from __future__ import annotations

import dataclasses

import pytest

PROJECT_API = "/api/v1/projects/proj"


@dataclasses.dataclass(frozen=True)
class Package:
    model_id: int
    version_id: int
    name: str

    @property
    def files(self) -> str:
        return f"{PROJECT_API}/packages/ml_models/{self.version_id}/files"

    @property
    def files_by_name(self) -> str:
        return f"{PROJECT_API}/packages/ml_models/{self.name}/files"


@pytest.fixture
def package(app) -> Package:
    from flask_modelregistry.services import registered_models, versions
    from flask_modelregistry.services.identity import Actor

    with app.app_context():
        model = registered_models.create_model("proj", Actor.system(), name="fraud-detector")
        mv = versions.create_version("proj", Actor.system(), model, version="1.2.0")
        return Package(model.id, mv.id, "fraud-detector/1.2.0")


def stored_paths(app, package: Package) -> list[str]:
    """What the registry kept, read through the service layer rather than the API under test."""
    from flask_modelregistry.services import artifacts
    from flask_modelregistry.services.identity import Actor
    from flask_modelregistry.models import ModelVersion
    from example_app.models import db

    with app.app_context():
        run_id = db.session.get(ModelVersion, package.version_id).run_id
        return [a.path for a in artifacts.list_artifacts("proj", Actor.system(), run_id)]
