"""Personal access tokens and the audit trail."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AccessToken(Base):
    """A personal token. Only the SHA-256 of the secret is stored."""

    __tablename__ = "mr_access_tokens"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(255), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    scope: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="api")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("scope IN ('api', 'read_api')", name="scope"),)


class AuditEvent(Base):
    """Who changed what, when: one row per create, change or delete."""

    __tablename__ = "mr_audit_events"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    project: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    target_type: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    target_id: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    target_name: Mapped[str] = mapped_column(sa.String(1024), nullable=False, default="")
    actor_id: Mapped[str | None] = mapped_column(sa.String(255))
    actor_name: Mapped[str | None] = mapped_column(sa.String(255))
    via: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="")
    details: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.Index(None, "project", "created_at"),)
