"""An example company portal that mounts flask-modelregistry.

It brings what a real portal has: users with hashed passwords, projects, memberships with
roles, a login page, and its own database. The registry adds its pages, JSON API and MLflow API.

``create_app(config=None)`` reads, when ``config`` does not say otherwise:
``EXAMPLE_DATABASE_URL`` (default: SQLite in the instance folder), ``MODEL_REGISTRY_STORAGE_URI``
(default: a folder in the instance folder; ``gs://BUCKET/PREFIX`` for GCS, honouring
``STORAGE_EMULATOR_HOST``) and ``SECRET_KEY``; every other ``MODEL_REGISTRY_*`` variable sets
that setting, its value parsed as JSON where it parses (``MODEL_REGISTRY_SWEEP_INTERVAL=60``).
"""
from __future__ import annotations

import json
import os
import secrets
import typing as t
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from flask_modelregistry import ModelRegistry

from .models import Membership, Project, User, db

login_manager = LoginManager()
login_manager.login_view = "portal.login"
def N_(message: str) -> str:
    """Marks a string for the portal's catalogue; it is translated where it is shown."""
    return message


login_manager.login_message = N_("Please log in to see this page.")
csrf = CSRFProtect()
babel = Babel()
#: the portal's languages; the registry's pages follow the portal's choice (its Flask-Babel selection)
LANGUAGES = ("en", "ja")


def select_language() -> str:
    """The language the user picked with the portal's switch, else the browser's Accept-Language."""
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"
registry = ModelRegistry(db=db)


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one kept in the instance folder, so that every
    worker of the same deployment signs sessions alike."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # whoever reads it can sign sessions
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: the first worker wins, the others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def create_app(config: t.Mapping[str, t.Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    instance = Path(app.instance_path)
    config = dict(config or {})
    if "SQLALCHEMY_DATABASE_URI" not in config:
        config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
            "EXAMPLE_DATABASE_URL", f"sqlite:///{instance / 'example.db'}")
    for name, value in os.environ.items():  # every registry setting, as JSON where it parses
        if name.startswith("MODEL_REGISTRY_") and name not in config and value:
            try:
                config[name] = json.loads(value)
            except ValueError:
                config[name] = value
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(instance)
    app.config.update(
        MODEL_REGISTRY_BASE_TEMPLATE="portal/base.html",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config)
    instance.mkdir(parents=True, exist_ok=True)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.localize_callback = _translate_login_message
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_language,
                   default_translation_directories=str(Path(__file__).resolve().parent / "translations"))
    registry.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)

    from .commands import register_commands
    from .views import portal

    app.register_blueprint(portal)
    app.add_template_global(_portal_locale, "portal_locale")
    app.after_request(_refuse_frames)
    register_commands(app)
    return app


def _portal_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


def _translate_login_message(message: str) -> str:
    from flask_babel import gettext

    return gettext(message)


def _refuse_frames(response: Response) -> Response:
    """The portal is never shown in another page's frame (clickjacking); the registry's pages
    already say SAMEORIGIN and keep it."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    return response


def _sqlite_pragmas(dbapi_connection: t.Any, _record: t.Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe from corruption, one fsync per checkpoint
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None


@registry.role_loader
def role_of(user: User, project: str) -> str | None:
    return db.session.scalar(
        sa.select(Membership.role).join(Project, Project.id == Membership.project_id)
        .where(Membership.user_id == user.id, Project.slug == project))


@registry.project_loader
def find_project(slug: str) -> Project | None:
    return db.session.scalar(sa.select(Project).where(Project.slug == slug))


@registry.username_lookup
def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username))
