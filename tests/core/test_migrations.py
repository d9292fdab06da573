"""The migrated schema is exactly what the models declare, on SQLite and PostgreSQL, and the
registry's branch keeps its own version table beside the host's."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from flask_modelregistry import migrate as registry_migrate
from flask_modelregistry.models import metadata


def test_migrated_schema_equals_the_models(database_url):
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to:
                    type_ != "table" or (name.startswith("mr_") and name != registry_migrate.VERSION_TABLE),
            })
            diff = compare_metadata(ctx, metadata)
        assert diff == [], diff
        assert registry_migrate.current_revisions(engine) == registry_migrate.head_revisions()
        tables = set(sa.inspect(engine).get_table_names())
        assert {"mr_alembic_version", "alembic_version", "portal_users", "mr_models"} <= tables
    finally:
        engine.dispose()


def test_downgrade_removes_every_registry_table_and_upgrade_restores_them(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        registry_migrate.upgrade(engine)
        assert {t for t in sa.inspect(engine).get_table_names() if t.startswith("mr_")} >= set(metadata.tables)
        registry_migrate.downgrade(engine, "base")
        assert [t for t in sa.inspect(engine).get_table_names() if t.startswith("mr_") and t != "mr_alembic_version"] == []
        registry_migrate.upgrade(engine)
        assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_cli_upgrade_reports_the_revision(app):
    result = app.test_cli_runner().invoke(args=["model-registry", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    head, = registry_migrate.head_revisions()
    assert head in result.output
    current = app.test_cli_runner().invoke(args=["model-registry", "db", "current"])
    assert f"current: {head}" in current.output
