"""The audit trail: one row per change, written in the same transaction as the change."""
from __future__ import annotations

import typing as t

import sqlalchemy as sa

from ..state import current_state
from ..models import AuditEvent
from .access import authorize
from .common import MAX_ROW_ID
from .identity import Actor


def record(project: str, actor: Actor, action: str, target_type: str, target_id: t.Any,
           target_name: str = "", details: dict | None = None) -> None:
    """Add an event to the current transaction; the caller commits."""
    current_state().db.session.add(AuditEvent(
        project=project, action=action, target_type=target_type, target_id=str(target_id),
        target_name=target_name[:1024], actor_id=actor.user_id, actor_name=actor.name,
        via=actor.via, details=details or {},
    ))


def list_events(project: str, actor: Actor, *, limit: int = 100,
                before_id: int | None = None) -> tuple[list[AuditEvent], int | None]:
    """A page of the project's events, newest first, for administrators (maintainers by default),
    and the ``before_id`` of the next, older page (None on the last one)."""
    authorize(project, actor, "admin")
    stmt = sa.select(AuditEvent).where(AuditEvent.project == project)
    if before_id and before_id <= MAX_ROW_ID:  # a larger one is after every event (and no int4)
        stmt = stmt.where(AuditEvent.id < before_id)
    events = list(current_state().db.session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    return events, (events[-1].id if more and events else None)
