"""Alembic environment of the example portal's own tables."""
from __future__ import annotations

from alembic import context

from example_app.models import db

config = context.config


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    if type_ == "table":
        return bool(name and name.startswith("portal_"))
    return True


def _run(connection) -> None:  # noqa: ANN001
    context.configure(connection=connection, target_metadata=db.metadata, include_object=include_object,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    from flask import current_app

    with current_app.extensions["sqlalchemy"].engine.begin() as conn:
        _run(conn)
else:
    _run(connection)
