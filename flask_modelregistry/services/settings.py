"""Per-project registry settings: enabled or not, public or private."""
from __future__ import annotations

import dataclasses

from ..config import config_value
from ..errors import Invalid
from ..state import current_state
from ..models import ProjectSettings
from .common import after_commit, lock_row, unit_of_work, upsert


@dataclasses.dataclass(frozen=True)
class EffectiveSettings:
    project: str
    enabled: bool
    visibility: str


def effective_settings(project: str) -> EffectiveSettings:
    row = current_state().db.session.get(ProjectSettings, project)
    if row is None:
        return EffectiveSettings(project, bool(config_value("DEFAULT_ENABLED")),
                                 config_value("DEFAULT_VISIBILITY"))
    return EffectiveSettings(project, row.enabled, row.visibility)


def read_settings(project: str, actor) -> EffectiveSettings:
    """A project's settings, as its administrators (maintainers by default) see them to change them."""
    from .access import authorize

    authorize(project, actor, "admin")
    return effective_settings(project)


@unit_of_work
def update_settings(project: str, actor, *, enabled: bool | None = None,
                    visibility: str | None = None) -> EffectiveSettings:
    """Change a project's settings; maintainers (``MODEL_REGISTRY_ADMIN_ROLE``) and above."""
    from . import audit
    from .access import authorize, forget_cached_access

    authorize(project, actor, "admin")
    if visibility is not None and visibility not in ("public", "private"):
        raise Invalid("visibility must be public or private", fields={"visibility": "Must be public or private."})
    session = current_state().db.session
    defaults = effective_settings(project) if session.get(ProjectSettings, project) is None else None
    if defaults is not None:
        # the row is created once, even by concurrent first changes; then it is locked and changed
        upsert(ProjectSettings, [{"project": project, "enabled": defaults.enabled,
                                  "visibility": defaults.visibility}], keys=("project",))
    lock_row(ProjectSettings, project, "project not found")
    row = session.get(ProjectSettings, project, populate_existing=True)
    if enabled is not None:
        row.enabled = bool(enabled)
    if visibility is not None:
        row.visibility = visibility
    audit.record(project, actor, "settings.update", "project", project, project,
                 {"enabled": row.enabled, "visibility": row.visibility})
    session.flush()
    after_commit(forget_cached_access)
    return EffectiveSettings(project, row.enabled, row.visibility)
