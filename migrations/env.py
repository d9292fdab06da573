"""Alembic environment of the registry's own migration branch."""
from __future__ import annotations

from alembic import context

from flask_modelregistry.migrate import VERSION_TABLE
from flask_modelregistry.models import metadata

config = context.config


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    # Only the registry's tables: the host's tables belong to the host's migrations.
    if type_ == "table":
        return bool(name and name.startswith("mr_")) and name != VERSION_TABLE
    return True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from flask import current_app

        with current_app.extensions["model_registry"].db.engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run them against a database")
run_migrations_online()
