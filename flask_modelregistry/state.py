"""The registry's per-app state, the roles, and the host's callbacks: the bottom of the registry.

The services read what they need from here (the host's ``db``, the artifact store, the answers of
the host's callbacks) and never import :mod:`flask_modelregistry.extension`, as Flask-SQLAlchemy's
session receives ``db`` instead of importing the extension. :class:`ModelRegistry` fills a
:class:`HostCallbacks` through its decorators (``@registry.role_loader`` ...) and puts a
:class:`RegistryState` into ``app.extensions["model_registry"]``.
"""
from __future__ import annotations

import dataclasses
import typing as t

from flask import current_app

from .storage import ArtifactStore

if t.TYPE_CHECKING:
    from flask_sqlalchemy import SQLAlchemy

#: the host's roles, weakest first
ROLES: tuple[str, ...] = ("guest", "reporter", "developer", "maintainer", "owner")
#: the length of the ``created_by_name`` and ``actor_name`` columns
MAX_NAME_LENGTH = 255

RoleLoader = t.Callable[[t.Any, str], "str | None"]
ProjectLoader = t.Callable[[str], t.Any]
UserLoader = t.Callable[[str], t.Any]
NameLoader = t.Callable[[t.Any], str]
CIJobResolver = t.Callable[[str, str, dict], "dict | None"]
LocaleSelector = t.Callable[[], "str | None"]


def role_rank(role: str | None) -> int:
    """The position of ``role`` in :data:`ROLES`; -1 for no role."""
    return ROLES.index(role) if role in ROLES else -1


class HostCallbacks:
    """The callbacks a host registers, and the questions the registry asks them.

    Each attribute is the host's callable or None; the methods give the registry's default
    when the host registered nothing, and check what the host answers.
    """

    def __init__(self) -> None:
        self.role_loader: RoleLoader | None = None
        self.project_loader: ProjectLoader | None = None
        self.user_loader: UserLoader | None = None
        self.display_name_loader: NameLoader | None = None
        self.username_lookup: UserLoader | None = None
        self.ci_job_resolver: CIJobResolver | None = None
        #: the language of the pages for the current request (:mod:`flask_modelregistry.i18n`)
        self.locale_selector: LocaleSelector | None = None
        #: ``callback(delivery_ids)`` handing new webhook deliveries to the host's queue, or None
        self.webhook_dispatcher: t.Callable[[list[int]], None] | None = None

    def role_of(self, user: t.Any, project: str) -> str | None:
        """The role of ``user`` (never anonymous) in ``project``, or None without one."""
        if self.role_loader is None:
            return None
        role = self.role_loader(user, project)
        if role is not None and role not in ROLES:
            raise RuntimeError(f"role_loader returned {role!r}; expected one of {ROLES} or None")
        return role

    def project_exists(self, project: str) -> bool:
        """Whether the host knows ``project``; every name exists when it registered no loader."""
        return self.project_loader is None or self.project_loader(project) is not None

    def load_user(self, user_id: str) -> t.Any:
        """The user a token belongs to: the registry's ``user_loader``, else Flask-Login's."""
        loader = self.user_loader or current_app.login_manager.user_callback
        if loader is None:
            raise RuntimeError("no user loader: register one with @registry.user_loader or Flask-Login")
        return loader(user_id)

    def find_user(self, username: str) -> t.Any:
        """The user named ``username`` or None; raises LookupError when the host cannot look up names."""
        if self.username_lookup is None:
            raise LookupError("the host registered no way to find users by name (@registry.username_lookup)")
        return self.username_lookup(username)

    def display_name(self, user: t.Any) -> str:
        """The name shown as author, cut to the columns that keep it (a host's name may be longer)."""
        if self.display_name_loader is not None:
            return str(self.display_name_loader(user))[:MAX_NAME_LENGTH]
        for attr in ("username", "name", "email"):
            value = getattr(user, attr, None)
            if value:
                return str(value)[:MAX_NAME_LENGTH]
        return str(user.get_id())[:MAX_NAME_LENGTH]

    @property
    def resolves_ci_jobs(self) -> bool:
        return self.ci_job_resolver is not None

    def ci_job(self, project: str, job_id: str, tags: t.Mapping[str, str]) -> t.Mapping[str, t.Any] | None:
        """The links of CI job ``job_id`` of ``project`` as the host resolves them, None for an id
        it does not know (or when it registered no resolver)."""
        if self.ci_job_resolver is None:
            return None
        links = self.ci_job_resolver(project, job_id, dict(tags))
        if links is not None and not isinstance(links, t.Mapping):
            raise TypeError(f"ci_job_resolver returned {type(links).__name__}; expected a dict or None")
        return links


@dataclasses.dataclass
class RegistryState:
    """What the registry keeps per app, in ``app.extensions["model_registry"]``."""

    #: the :class:`~flask_modelregistry.ModelRegistry` mounted on the app (for the host's own use)
    registry: t.Any
    db: SQLAlchemy
    store: ArtifactStore
    host: HostCallbacks
    #: this process's storage sweeper thread (:mod:`.services.sweeper`), once started
    sweeper: t.Any = None


def current_state() -> RegistryState:
    """The registry state of the current app; fails clearly when ``init_app`` was not called."""
    try:
        return current_app.extensions["model_registry"]
    except KeyError:
        raise RuntimeError(
            "The model registry is not registered on this app. Did you forget to call init_app?"
        ) from None
