"""Register the registry's blueprints and CLI on an app (called once by ``init_app``)."""
from __future__ import annotations

import importlib
import typing as t

from flask import Flask

from .config import config_value

#: Front doors beyond the JSON API, each a module with ``create_blueprint(app, prefix)``.
#: A module that is not there (yet) is skipped.
_OPTIONAL_DOORS: tuple[tuple[str, str | None], ...] = (
    ("flask_modelregistry.web", "ENABLE_PAGES"),
    ("flask_modelregistry.mlflow", "ENABLE_MLFLOW"),
    ("flask_modelregistry.packages", None),
)


def register_blueprints(app: Flask) -> None:
    from .api import create_api_blueprint
    from .cli import registry_cli

    prefix = config_value("URL_PREFIX", app)
    token_doors = [create_api_blueprint(app, prefix)]
    for module_name, switch in _OPTIONAL_DOORS:
        if switch and not config_value(switch, app):
            continue
        module = _optional(module_name)
        if module is None:
            continue
        bp = module.create_blueprint(app, prefix)
        if getattr(module, "TOKEN_AUTHENTICATED", False):
            token_doors.append(bp)
        else:
            app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    for bp in token_doors:
        if csrf is not None:
            # These blueprints authenticate by token or check the CSRF header themselves.
            csrf.exempt(bp)
        app.register_blueprint(bp)
    app.cli.add_command(registry_cli)

    from .nav import nav_items

    app.add_template_global(nav_items, "model_registry_nav")


def _optional(name: str) -> t.Any:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
    return module if hasattr(module, "create_blueprint") else None
