"""Register the registry's blueprints, CLI and template global on an app (once, from ``init_app``)."""
from __future__ import annotations

from flask import Flask

from .config import config_value


def register_blueprints(app: Flask) -> None:
    """The front doors: the JSON API, the package-files API, the MLflow API and the pages. The
    token-authenticated ones are exempted from the host's CSRFProtect: they authenticate by
    token, or check the CSRF header themselves for browser sessions."""
    from . import packages
    from .api import create_api_blueprint
    from .cli import registry_cli
    from .nav import nav_items

    prefix = config_value("URL_PREFIX", app)
    token_doors = [create_api_blueprint(app, prefix), packages.create_blueprint(app, prefix)]
    if config_value("ENABLE_MLFLOW", app):
        from . import mlflow

        token_doors.append(mlflow.create_blueprint(app, prefix))
    csrf = app.extensions.get("csrf")
    for bp in token_doors:
        if csrf is not None:
            csrf.exempt(bp)
        app.register_blueprint(bp)
    if config_value("ENABLE_PAGES", app):
        from . import web

        app.register_blueprint(web.create_blueprint(app, prefix))
    app.cli.add_command(registry_cli)
    app.add_template_global(nav_items, "model_registry_nav")
