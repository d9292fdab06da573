"""The access policy: who may read, write and administer a project's registry.

* A disabled registry is hidden (404) from everyone; only its settings stay reachable,
  for administrators.
* Read: anyone on a public registry; a member (guest or above) on a private one.
* Write: ``MODEL_REGISTRY_WRITE_ROLE`` or above (default reporter), with a token scope that writes.
* Administer (settings): ``MODEL_REGISTRY_ADMIN_ROLE`` or above (default maintainer).
* Nobody signed in and no access: :class:`Unauthenticated`. Signed in but no read access:
  :class:`NotFound`, so a private project's existence is not revealed. Read access but a
  write is attempted: :class:`Forbidden`.

Every front door calls :func:`authorize`; the result is cached for the request.
"""
from __future__ import annotations

import dataclasses
import typing as t

from flask import has_request_context, request

from ..config import config_value
from ..errors import Forbidden, NotFound, Unauthenticated
from ..state import current_state, role_rank
from .common import CONTROL_CHARS
from .identity import Actor
from . import settings as settings_service

Need = t.Literal["read", "write", "admin"]
_CACHE_KEY = "model_registry.access"
#: the length of the ``project`` columns: a longer name cannot have a registry
MAX_PROJECT_LENGTH = 255


@dataclasses.dataclass(frozen=True)
class ProjectAccess:
    project: str
    actor: Actor
    role: str | None
    exists: bool
    enabled: bool
    visibility: str

    @property
    def can_read(self) -> bool:
        if self.actor.is_system:
            return True
        if not self.exists or not self.enabled:
            return False
        return self.visibility == "public" or role_rank(self.role) >= 0

    @property
    def can_write(self) -> bool:
        if self.actor.is_system:
            return True
        return (self.can_read and not self.actor.read_only
                and role_rank(self.role) >= role_rank(config_value("WRITE_ROLE")))

    @property
    def can_admin(self) -> bool:
        if self.actor.is_system:
            return True
        return (self.exists and not self.actor.read_only
                and role_rank(self.role) >= role_rank(config_value("ADMIN_ROLE")))


def project_access(project: str, actor: Actor) -> ProjectAccess:
    """Compute (and cache for this request) what ``actor`` may do in ``project``."""
    cache: dict | None = None
    key = (project, actor.via, actor.user_id, actor.scope)
    if has_request_context():
        cache = request.environ.setdefault(_CACHE_KEY, {})
        if key in cache:
            return cache[key]
    if not _could_name_a_project(project):
        access = ProjectAccess(project=project, actor=actor, role=None, exists=False, enabled=False,
                               visibility="private")
    else:
        access = _load_access(project, actor)
    if cache is not None:
        cache[key] = access
    return access


def _could_name_a_project(project: t.Any) -> bool:
    """False for names no project can have: a control character (PostgreSQL refuses NUL in a
    query, so the host's loaders and our settings are never asked), or longer than the column."""
    return isinstance(project, str) and 0 < len(project) <= MAX_PROJECT_LENGTH and not CONTROL_CHARS.search(project)


def _load_access(project: str, actor: Actor) -> ProjectAccess:
    host = current_state().host
    exists = host.project_exists(project)
    role = host.role_of(actor.user, project) if exists and actor.is_authenticated else None
    settings = settings_service.effective_settings(project)
    return ProjectAccess(project=project, actor=actor, role=role, exists=exists,
                         enabled=settings.enabled, visibility=settings.visibility)


def forget_cached_access() -> None:
    if has_request_context():
        request.environ.pop(_CACHE_KEY, None)


def authorize(project: str, actor: Actor, need: Need = "read") -> ProjectAccess:
    """Return the actor's access, or raise the error the policy above prescribes."""
    access = project_access(project, actor)
    if actor.is_system:
        return access
    if need == "admin":
        if access.can_admin:
            return access
        if not actor.is_authenticated:
            raise Unauthenticated("sign in to change the registry's settings")
        if access.can_read or (access.exists and role_rank(access.role) >= 0):
            raise Forbidden("only maintainers may change the registry's settings")
        raise NotFound("project not found")
    if not access.can_read:
        if access.exists and not access.enabled:
            # members may learn why; to anyone else it looks like a project that does not exist
            raise NotFound("the model registry of this project is disabled" if role_rank(access.role) >= 0
                           else "project not found")
        if not actor.is_authenticated:
            raise Unauthenticated("authentication required")
        raise NotFound("project not found")
    if need == "write" and not access.can_write:
        if not actor.is_authenticated:
            raise Unauthenticated("authentication required to make changes")
        if actor.read_only:
            raise Forbidden("this token has the read_api scope and cannot make changes")
        raise Forbidden(f"the {config_value('WRITE_ROLE')} role or above is needed to make changes")
    return access
