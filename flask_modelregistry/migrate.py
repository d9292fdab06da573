"""Run the registry's own Alembic branch.

The registry's revisions carry ``branch_labels=("model_registry",)`` and, when run from here
(``flask model-registry db upgrade`` or :func:`upgrade`), record their state in their own version
table, ``mr_alembic_version``, so they never collide with the host's migrations.

Hosts on Flask-Migrate may instead add :func:`migrations_dir` ``/versions`` to their
``version_locations`` and run ``flask db upgrade heads``.
"""
from __future__ import annotations

import typing as t

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .resources import migrations_dir

VERSION_TABLE = "mr_alembic_version"


def alembic_config(connection: t.Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("version_locations", str(migrations_dir() / "versions"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: t.Any, revision: str = "heads") -> None:
    """Upgrade the registry's tables on ``engine`` (the host's ``db.engine``)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: t.Any, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current_revisions(engine: t.Any) -> tuple[str, ...]:
    with engine.connect() as connection:
        ctx = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return tuple(ctx.get_current_heads())


def head_revisions() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())
