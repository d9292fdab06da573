"""Webhooks, their outbox of deliveries, and each delivery's attempts.

A delivery row is written in the same transaction as the change it reports, so a change that
rolls back sends nothing and one that commits is never lost; deliverers claim due rows with a
lease (``claimed_by``/``claimed_until``) and record every attempt.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Webhook(Base):
    __tablename__ = "mr_webhooks"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    project: Mapped[str] = mapped_column(sa.String(255), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(63), nullable=False)
    url: Mapped[str] = mapped_column(sa.String(2048), nullable=False)
    #: event names ("model_version.created", ...)
    events: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    #: the signing secret, Fernet-encrypted with a key derived from the host's configuration
    secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="ACTIVE")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_name: Mapped[str | None] = mapped_column(sa.String(255))

    __table_args__ = (
        sa.CheckConstraint("status IN ('ACTIVE', 'DISABLED')", name="status"),
    )


class WebhookDelivery(Base):
    """One event for one webhook: the outbox row, sent until the receiver accepts it."""

    __tablename__ = "mr_webhook_deliveries"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("mr_webhooks.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    event: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    #: the exact JSON body sent on every attempt: {"entity", "action", "timestamp", "data"}
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False)
    #: X-MLflow-Delivery-Id, the same on every attempt
    delivery_id: Mapped[str] = mapped_column(sa.String(36), nullable=False, unique=True)
    #: pending (to send), delivered, failed (gave up)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(sa.Integer)
    #: sent by "Send test" (not by a change)
    is_test: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)

    webhook: Mapped[Webhook] = relationship()
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="WebhookAttempt.id")

    __table_args__ = (
        sa.CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),
        sa.Index(None, "state", "next_attempt_at"),
    )


class WebhookAttempt(Base):
    """One POST of a delivery: when, the answer's status and first bytes, or the error."""

    __tablename__ = "mr_webhook_attempts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("mr_webhook_deliveries.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    #: the first bytes of the answer, as text
    response_head: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
