"""The storage ledger: objects the store may hold that no artifact row names yet, or any more.

Every object in the store is named by exactly one of: an :class:`~.tracking.Artifact` row, or a
:class:`PendingObject` row. An upload records its key here (``purpose='upload'``) in a short
transaction of its own *before* its first byte is written, and the operation that records the
artifact removes that row in its own transaction; a delete records the keys it frees
(``purpose='delete'``) in the transaction that deletes their rows, and removes them once the
objects are gone. So an object that neither names is abandoned, and a pending upload whose
heartbeat is older than the grace period belongs to an upload that died.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class PendingObject(Base):
    """A storage key on its way into the store (``upload``) or out of it (``delete``)."""

    __tablename__ = "mr_pending_objects"

    storage_key: Mapped[str] = mapped_column(sa.String(1024), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="upload")
    project: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: refreshed while the upload's bytes flow; older than the grace period means abandoned
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: a direct upload's resumable session (GCS): the URI the client sends the bytes to, which the
    #: sweeper cancels once the upload is abandoned (a ``delete`` row keeping it: still to cancel)
    upload_session: Mapped[str | None] = mapped_column(sa.Text)
    #: the bytes that session had received when the sweeper last asked: more since means alive
    session_received: Mapped[int | None] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('upload', 'delete')", name="purpose"),
        sa.Index(None, "purpose", "heartbeat_at"),
    )


class StorageLease(Base):
    """A claim on a piece of storage work (the sweep of one store), held by one process at a
    time across workers and hosts until ``expires_at``."""

    __tablename__ = "mr_storage_leases"

    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
