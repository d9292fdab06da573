"""The services' read models: frozen values, built in the same number of queries for a page of
two versions as for a page of twenty, and what the JSON API answers is what they hold."""
from __future__ import annotations

import contextlib
import dataclasses
import typing as t

import pytest
import sqlalchemy as sa

from flask_modelregistry.services import aliases, read_models
from flask_modelregistry.services import registered_models as model_service
from flask_modelregistry.services import versions as version_service
from flask_modelregistry.services.identity import Actor
from flask_modelregistry.state import current_state

PROJECT = "proj"
SYSTEM = Actor.system("test")


@contextlib.contextmanager
def counted() -> t.Iterator[list[str]]:
    statements: list[str] = []
    engine = current_state().db.engine

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _model_with_versions(name: str, count: int):
    model = model_service.create_model(PROJECT, SYSTEM, name=name, tags={"team": "a"})
    for i in range(count):
        version = version_service.create_version(
            PROJECT, SYSTEM, model, version=f"{i + 1}.0.0", params={"epochs": str(i)}, metadata={"owner": "x"},
            metrics=[{"key": "accuracy", "value": 0.5 + i / 100, "step": 1}, {"key": "loss", "value": float("nan")}],
            datasets=[{"name": f"train-{i}", "role": "training"}])
        if i == 0:
            aliases.set_alias(PROJECT, SYSTEM, model, "champion", version)
    return model


def test_version_and_model_views_take_the_same_queries_for_any_page_size(app_ctx):
    small = _model_with_versions("small", 2)
    large = _model_with_versions("large", 20)
    per_size = []
    for model in (small, large):
        current_state().db.session.expire_all()
        with counted() as statements:
            page = read_models.list_versions(PROJECT, SYSTEM, model, per_page=100)
        assert page.total == len(page.items)
        per_size.append(len(statements))
    assert per_size[0] == per_size[1] <= 15, per_size

    per_size = []
    for per_page in (1, 2):
        with counted() as statements:
            models = read_models.list_models(PROJECT, SYSTEM, per_page=per_page)
        assert len(models.items) == per_page
        per_size.append(len(statements))
    assert per_size[0] == per_size[1] <= 10, per_size


def test_views_are_frozen_and_hold_what_a_version_shows(app_ctx):
    model = _model_with_versions("shown", 1)
    view = read_models.list_versions(PROJECT, SYSTEM, model).items[0]
    assert isinstance(view, read_models.VersionView)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.version = "9.9.9"  # type: ignore[misc]
    assert (view.version, view.number, view.model_name, view.package_name) == ("1.0.0", 1, "shown", "shown/1.0.0")
    assert view.params == {"epochs": "0"} and view.metadata == {"owner": "x"}
    assert {m.key for m in view.metrics} == {"accuracy", "loss"}
    assert view.aliases == ("champion",) and view.artifact_count == 0
    assert [d.name for d in view.datasets] == ["train-0"]
    model_view = read_models.model_view(model)
    assert (model_view.latest_version, model_view.version_count, model_view.tags) == ("1.0.0", 1, {"team": "a"})
    assert model_view.aliases == {"champion": "1.0.0"}


def test_the_json_api_answers_the_read_model(client, rita):
    model = client.post("/api/v1/projects/proj/models", json={"name": "api"}, headers=rita.headers).json
    created = client.post(f"/api/v1/projects/proj/models/{model['id']}/versions", headers=rita.headers,
                          json={"version": "1.0.0", "metrics": [{"key": "loss", "value": "NaN"}],
                                "datasets": [{"name": "d", "role": "test"}]}).json
    with client.application.app_context():
        orm_model = model_service.get_model(PROJECT, SYSTEM, model["id"])
        view = read_models.version_view(orm_model, version_service.get_version(PROJECT, SYSTEM, orm_model,
                                                                                 created["id"]))
    assert created["package_name"] == view.package_name and created["number"] == view.number
    assert created["metrics"] == [{"key": "loss", "value": None, "step": 0, "timestamp": view.metrics[0].timestamp,
                                   "is_nan": True}]
    assert created["datasets"] == [dataclasses.asdict(d) for d in view.datasets]
