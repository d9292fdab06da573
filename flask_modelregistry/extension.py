"""The :class:`ModelRegistry` extension: one object, mounted with ``init_app``."""
from __future__ import annotations

import os
import typing as t

from flask import Flask

from . import config as cfg
from .models import metadata as registry_metadata
from .state import (ROLES, CIJobResolver, HostCallbacks, LocaleSelector, NameLoader, ProjectLoader, RegistryState,
                    RoleLoader, UserLoader, current_state)
from .storage import ArtifactStore, store_from_uri

if t.TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

__all__ = ["ROLES", "ModelRegistry", "RegistryState", "current_state"]


class ModelRegistry:
    """A machine-learning model registry mounted into a Flask app.

    ::

        db = SQLAlchemy(app)
        login = LoginManager(app)
        registry = ModelRegistry(app, db=db)

        @registry.role_loader
        def role_of(user, project):  # "guest" ... "owner", or None
            return memberships.get((user.id, project))

    The host provides login (Flask-Login), the database (its Flask-SQLAlchemy ``db``, where
    the registry's ``mr_*`` tables live) and optionally a configured artifact store. Register
    the extension after Flask-SQLAlchemy and Flask-Login.

    Configuration keys (defaults in :mod:`flask_modelregistry.config`):

    ``MODEL_REGISTRY_STORAGE_URI``, ``MODEL_REGISTRY_WRITE_ROLE``, ``MODEL_REGISTRY_ADMIN_ROLE``,
    ``MODEL_REGISTRY_MAX_FILE_SIZE``, ``MODEL_REGISTRY_BASE_TEMPLATE``, ``MODEL_REGISTRY_URL_PREFIX``,
    ``MODEL_REGISTRY_DEFAULT_ENABLED``, ``MODEL_REGISTRY_DEFAULT_VISIBILITY``, ``MODEL_REGISTRY_PER_PAGE``,
    ``MODEL_REGISTRY_GCS_CHUNK_SIZE``, ``MODEL_REGISTRY_SIGNED_URL_DOWNLOADS``,
    ``MODEL_REGISTRY_SIGNED_URL_EXPIRY``, ``MODEL_REGISTRY_MULTIPART_UPLOADS``,
    ``MODEL_REGISTRY_MULTIPART_EXPIRY``, ``MODEL_REGISTRY_GCS_SIGNING_KEY``,
    ``MODEL_REGISTRY_DIRECT_UPLOADS``, ``MODEL_REGISTRY_ENABLE_PAGES``, ``MODEL_REGISTRY_ENABLE_MLFLOW``,
    ``MODEL_REGISTRY_STORAGE_GRACE_PERIOD``, ``MODEL_REGISTRY_SWEEP_INTERVAL``,
    ``MODEL_REGISTRY_WEBHOOK_ALLOW_PRIVATE_TARGETS``, ``MODEL_REGISTRY_WEBHOOK_DELIVERER``,
    ``MODEL_REGISTRY_WEBHOOK_TIMEOUT``, ``MODEL_REGISTRY_WEBHOOK_RETRY_BASE``, ``MODEL_REGISTRY_WEBHOOK_RETRY_MAX``,
    ``MODEL_REGISTRY_WEBHOOK_MAX_ATTEMPTS``, ``MODEL_REGISTRY_WEBHOOK_POLL_INTERVAL``,
    ``MODEL_REGISTRY_WEBHOOK_LEASE``, ``MODEL_REGISTRY_WEBHOOK_SECRET_KEY``.
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy,
                 storage: ArtifactStore | None = None) -> None:
        self.db = db
        self._storage = storage
        #: the host's callbacks, which the services consult through :class:`~.state.HostCallbacks`
        self.callbacks = HostCallbacks()
        if app is not None:
            self.init_app(app)

    # -- host callbacks, registered like Flask-Login's user_loader ---------------------------

    def role_loader(self, callback: RoleLoader) -> RoleLoader:
        """Register ``callback(user, project) -> role | None``; ``user`` is never anonymous."""
        self.callbacks.role_loader = callback
        return callback

    def project_loader(self, callback: ProjectLoader) -> ProjectLoader:
        """Register ``callback(project) -> object | None``; ``None`` means no such project (404).
        Without one, every project name exists."""
        self.callbacks.project_loader = callback
        return callback

    def user_loader(self, callback: UserLoader) -> UserLoader:
        """Register ``callback(user_id) -> user | None`` for API tokens. Defaults to the host's
        Flask-Login ``user_loader``."""
        self.callbacks.user_loader = callback
        return callback

    def display_name_loader(self, callback: NameLoader) -> NameLoader:
        """Register ``callback(user) -> str``, the name shown as author. Defaults to the user's
        ``username``, ``name`` or id."""
        self.callbacks.display_name_loader = callback
        return callback

    def username_lookup(self, callback: UserLoader) -> UserLoader:
        """Register ``callback(username) -> user | None``, used by ``flask model-registry tokens``."""
        self.callbacks.username_lookup = callback
        return callback

    def ci_job_resolver(self, callback: CIJobResolver) -> CIJobResolver:
        """Register ``callback(project, job_id, tags) -> dict | None`` that checks a CI job id
        linked to a version and returns its links (``job_url``, ``pipeline_url``, ``ref``,
        ``merge_request_url``, ``log_url``); ``None`` refuses the id."""
        self.callbacks.ci_job_resolver = callback
        return callback

    def locale_selector(self, callback: LocaleSelector) -> LocaleSelector:
        """Register ``callback() -> "en" | "ja" | None``, the language of the registry's pages for
        the current request. Without one (or when it answers None), the host's Flask-Babel
        selection applies, else the browser's Accept-Language (see :mod:`flask_modelregistry.i18n`)."""
        self.callbacks.locale_selector = callback
        return callback

    def webhook_dispatcher(self, callback: t.Callable[[list[int]], None]) -> t.Callable[[list[int]], None]:
        """Register ``callback(delivery_ids)``, called after each commit that queued webhook
        deliveries, to hand them to the host's own queue (Celery, RQ). The task calls
        ``flask_modelregistry.webhooks.deliverer.deliver(delivery_id)`` in an app context;
        retries are picked up by any deliverer (see README, "Webhooks")."""
        self.callbacks.webhook_dispatcher = callback
        return callback

    # -- mounting ------------------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        if "model_registry" in app.extensions:
            raise RuntimeError(
                "A ModelRegistry is already registered on this app. Import and use that instance instead."
            )
        if app.extensions.get("sqlalchemy") is not self.db:
            raise RuntimeError(
                "ModelRegistry needs the host's Flask-SQLAlchemy: call db.init_app(app) first and pass"
                " ModelRegistry(db=db) the same db."
            )
        if getattr(app, "login_manager", None) is None:
            raise RuntimeError("ModelRegistry needs Flask-Login: call LoginManager().init_app(app) first.")

        cfg.apply_defaults(app.config)
        self._check_config(app)

        for table in registry_metadata.sorted_tables:
            if table.name not in self.db.metadata.tables:
                table.to_metadata(self.db.metadata)

        store = self._storage or self._store_from_config(app)
        app.extensions["model_registry"] = RegistryState(registry=self, db=self.db, store=store,
                                                           host=self.callbacks)

        from .i18n import install_jinja
        from .mounting import register_blueprints

        install_jinja(app)

        register_blueprints(app)
        self._start_sweeper(app)

    @staticmethod
    def _start_sweeper(app: Flask) -> None:
        """The storage sweeper and the webhook deliverer run in every serving process: started now
        when the app serves (a WSGI server, or ``flask run``) rather than running another command
        line (``flask init-db``...), and on the first request of a process that has none (a worker
        forked from a master that loaded the app). The deliverer starts at once only where webhooks
        exist, so a restarted portal sends what was pending before any request arrives."""
        import click

        from .services.sweeper import ensure_background_sweeper

        def sweeper_of_this_process() -> None:
            ensure_background_sweeper(app)

        context = click.get_current_context(silent=True)
        serving = context is None or context.info_name == "run"
        if serving:
            ensure_background_sweeper(app)
        app.before_request(sweeper_of_this_process)

        from .webhooks.deliverer import start_if_pending, start_on_first_request

        if serving:
            start_if_pending(app)
        start_on_first_request(app)

    @staticmethod
    def _check_config(app: Flask) -> None:
        for key in ("WRITE_ROLE", "ADMIN_ROLE"):
            if app.config[cfg.PREFIX + key] not in ROLES:
                raise ValueError(f"{cfg.PREFIX + key} must be one of {', '.join(ROLES)}")
        if app.config[cfg.PREFIX + "DEFAULT_VISIBILITY"] not in ("public", "private"):
            raise ValueError(f"{cfg.PREFIX}DEFAULT_VISIBILITY must be 'public' or 'private'")
        if app.config[cfg.PREFIX + "WEBHOOK_DELIVERER"] not in ("thread", "none"):
            raise ValueError(f"{cfg.PREFIX}WEBHOOK_DELIVERER must be 'thread' or 'none'")
        prefix = app.config[cfg.PREFIX + "URL_PREFIX"]
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError(f"{cfg.PREFIX}URL_PREFIX must start with '/' and not end with one")

    @staticmethod
    def _store_from_config(app: Flask) -> ArtifactStore:
        uri = app.config[cfg.PREFIX + "STORAGE_URI"]
        if not uri:
            uri = os.path.join(app.instance_path, "model_registry_artifacts")
        return store_from_uri(uri, chunk_size=app.config[cfg.PREFIX + "GCS_CHUNK_SIZE"],
                              signing_key=app.config[cfg.PREFIX + "GCS_SIGNING_KEY"])

