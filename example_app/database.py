"""Upgrade the portal's tables (its own Alembic folder) and the registry's (its own branch)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from flask_modelregistry import migrate as registry_migrate

HOST_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def host_alembic_config(connection=None) -> Config:  # noqa: ANN001
    cfg = Config()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("script_location", str(HOST_MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_all(engine) -> list[str]:  # noqa: ANN001
    """Bring both schemas to their newest revision; returns a line per thing done."""
    with engine.begin() as connection:
        command.upgrade(host_alembic_config(connection), "head")
    registry_migrate.upgrade(engine)
    return [f"Portal tables upgraded to the newest migration ({engine.url.render_as_string(hide_password=True)})",
            f"Registry tables at revision {', '.join(registry_migrate.current_revisions(engine))}"]
