"""Mounting the extension: one way in, loud errors, host callbacks, templates a host can override."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from flask_modelregistry import ModelRegistry, current_state
from flask_modelregistry.storage import GCSArtifactStore, LocalArtifactStore


def _host(tmp_path, **config) -> tuple[Flask, SQLAlchemy]:
    app = Flask("host", instance_path=str(tmp_path / "instance"))
    # a host that serves would sweep its store in a thread of this process: not what these tests are about
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x", MODEL_REGISTRY_SWEEP_INTERVAL=0)
    app.config.update(config)
    db = SQLAlchemy(app)
    LoginManager(app)
    return app, db


def test_init_app_registers_state_defaults_and_tables(tmp_path):
    app, db = _host(tmp_path)
    registry = ModelRegistry(app, db=db)
    assert "mr_models" in db.metadata.tables  # the host's create_all and autogenerate see them
    with app.app_context():
        state = current_state()
        assert state.registry is registry and state.db is db
        assert isinstance(state.store, LocalArtifactStore)
        assert state.store.root == (tmp_path / "instance" / "model_registry_artifacts").resolve()
    assert app.config["MODEL_REGISTRY_WRITE_ROLE"] == "reporter"
    assert app.config["MODEL_REGISTRY_MAX_FILE_SIZE"] == 5 * 1024**3
    assert not hasattr(registry, "app")


def test_init_app_twice_fails_loudly(tmp_path):
    app, db = _host(tmp_path)
    registry = ModelRegistry(app, db=db)
    with pytest.raises(RuntimeError, match="already registered"):
        registry.init_app(app)


def test_missing_sqlalchemy_or_login_fails_loudly(tmp_path):
    app = Flask("bare")
    with pytest.raises(RuntimeError, match="Flask-SQLAlchemy"):
        ModelRegistry(app, db=SQLAlchemy())
    app2 = Flask("nologin")
    app2.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app2)
    with pytest.raises(RuntimeError, match="Flask-Login"):
        ModelRegistry(app2, db=db)


@pytest.mark.parametrize("key, value", [("MODEL_REGISTRY_WRITE_ROLE", "admin"),
                                        ("MODEL_REGISTRY_DEFAULT_VISIBILITY", "internal"),
                                        ("MODEL_REGISTRY_URL_PREFIX", "ml/")])
def test_bad_config_fails_at_startup(tmp_path, key, value):
    app, db = _host(tmp_path, **{key: value})
    with pytest.raises(ValueError):
        ModelRegistry(app, db=db)


def test_no_init_app_is_explained(tmp_path):
    app = Flask("x")
    with app.app_context():
        with pytest.raises(RuntimeError, match="init_app"):
            current_state()


def test_host_may_pass_its_own_store_and_a_gcs_uri(tmp_path, gcs_emulator, monkeypatch):
    app, db = _host(tmp_path)
    store = LocalArtifactStore(tmp_path / "mine")
    ModelRegistry(app, db=db, storage=store)
    with app.app_context():
        assert current_state().store is store
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.host)
    app2, db2 = _host(tmp_path, MODEL_REGISTRY_STORAGE_URI=f"gs://{gcs_emulator.bucket}/pre/fix")
    ModelRegistry(app2, db=db2)
    with app2.app_context():
        store2 = current_state().store
        assert isinstance(store2, GCSArtifactStore) and store2.prefix == "pre/fix"


def test_url_prefix_moves_every_route(tmp_path):
    app, db = _host(tmp_path, MODEL_REGISTRY_URL_PREFIX="/ml")
    ModelRegistry(app, db=db)
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("model_registry")]
    assert rules and all(rule.startswith("/ml/") for rule in rules)


def test_config_value_refuses_unknown_keys(tmp_path):
    from flask_modelregistry.config import config_value

    app, db = _host(tmp_path)
    ModelRegistry(app, db=db)
    with app.app_context():
        with pytest.raises(KeyError):
            config_value("MAX_FILESIZE")
