"""Fixtures of the page tests: a model with versions, files, metrics, lineage and a CI job, made
through the service layer as the demo seed does, and test clients signed in as each role."""
from __future__ import annotations

import dataclasses
import io
import re

import pytest
import sqlalchemy as sa

from ..support import PROJECT, login

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclasses.dataclass(frozen=True)
class Seeded:
    model_id: int
    v1: int
    v2: int

    @property
    def model_url(self) -> str:
        return f"/projects/{PROJECT}/models/{self.model_id}"

    def version_url(self, version_id: int) -> str:
        return f"{self.model_url}/versions/{version_id}"


def actor_of(username: str):
    from example_app.models import User, db
    from flask_modelregistry.services.identity import actor_for_user

    user = db.session.scalar(sa.select(User).where(User.username == username))
    return actor_for_user(user, via="session")


FILES = {
    "model/weights.bin": b"\x00\x01weights" * 100,
    "config/params.json": b'{"learning_rate": 0.01}',
    "README.md": b"# churn 1.0.0\n",
}


@pytest.fixture
def seeded(app, people) -> Seeded:
    """Model ``churn``: 1.0.0 (three files in folders, metrics over three steps, parameters,
    metadata, datasets, a CI job) and 1.1.0 derived from it."""
    return seed_churn(app)


def seed_churn(app) -> Seeded:
    """What :func:`seeded` makes, for fixtures of a wider scope (the users must exist)."""
    from flask_modelregistry.services import artifacts, registered_models, tracking, versions

    with app.app_context():
        rita = actor_of("rita")
        model = registered_models.create_model(PROJECT, rita, name="churn",
                                               description="# Churn\n\nPredicts **churn** of customers.")
        metrics = [{"key": key, "value": value, "step": step}
                   for key, values in {"accuracy": [0.71, 0.82, 0.86], "loss": [0.61, 0.44, 0.39]}.items()
                   for step, value in enumerate(values)]
        v1 = versions.create_version(PROJECT, rita, model, version="1.0.0", description="First *release*.",
                                     metadata={"framework": "sklearn"}, params={"learning_rate": "0.01"},
                                     metrics=metrics)
        for path, content in FILES.items():
            artifacts.upload_artifact(PROJECT, rita, v1.run_id, path, io.BytesIO(content), content_length=len(content))
        tracking.replace_datasets(PROJECT, rita, v1.run, [
            {"name": "customers-train", "uri": "gs://data/customers/train.parquet", "digest": "sha256:abc123",
             "role": "training"}])
        tracking.log_batch(PROJECT, rita, v1.run, tags={
            "model_registry.ci_job_id": "4242", "model_registry.ci_job_url": "https://ci.example.com/jobs/4242",
            "model_registry.ci_pipeline_url": "https://ci.example.com/pipelines/77", "model_registry.ci_ref": "main"})
        v2 = versions.create_version(PROJECT, rita, model, version="1.1.0", parent_version_id=v1.id)
        return Seeded(model_id=model.id, v1=v1.id, v2=v2.id)


@pytest.fixture
def signed_in(app, people):
    """``signed_in("rita")``: a test client with rita's session; ``signed_in(None)``: nobody."""
    def make(username: str | None):
        client = app.test_client()
        if username:
            login(client, username)
        return client
    return make


def csrf_from(html: bytes) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1).decode()
