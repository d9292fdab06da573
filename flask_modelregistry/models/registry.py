"""Models, versions, their tags and aliases, and each project's registry settings."""
from __future__ import annotations

import datetime as dt
import typing as t

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BinaryText, UTCDateTime, utcnow

if t.TYPE_CHECKING:
    from .tracking import Run


class ProjectSettings(Base):
    """Per-project switch and visibility. A project without a row uses the configured defaults."""

    __tablename__ = "mr_project_settings"

    project: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    visibility: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="private")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("visibility IN ('public', 'private')", name="visibility"),
    )


class RegisteredModel(Base):
    __tablename__ = "mr_models"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    project: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: per-metric direction for the compare page: {"accuracy": "max", "loss": "min"}
    metric_goals: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_name: Mapped[str | None] = mapped_column(sa.String(255))
    #: the highest version number ever given in this model: numbers are never reused, also
    #: after deletions (MLflow's ``version``); raised under the row's lock by each creation
    last_version_number: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    #: kept by every creation and deletion of a version in the same transaction, so a page of
    #: models reads them from its own rows (constant cost at any offset and model size)
    version_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    #: the latest version (highest release, else highest prerelease), as ``batches.latest_order``;
    #: no foreign key (the versions refer to the model), kept with ``version_count``
    latest_version_id: Mapped[int | None] = mapped_column(sa.Integer)
    latest_version: Mapped[str | None] = mapped_column(sa.String(255))

    versions: Mapped[list[ModelVersion]] = relationship(
        back_populates="model", cascade="all, delete-orphan", passive_deletes=True
    )
    tags: Mapped[list[ModelTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ModelTag.key"
    )
    aliases: Mapped[list[ModelAlias]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ModelAlias.alias"
    )

    __table_args__ = (
        sa.UniqueConstraint("project", "name"),
        sa.Index(None, "project", "created_at"),
        sa.Index(None, "project", "updated_at"),
    )


class ModelTag(Base):
    __tablename__ = "mr_model_tags"

    model_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mr_models.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")


class ModelVersion(Base):
    __tablename__ = "mr_model_versions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("mr_models.id", ondelete="CASCADE"), nullable=False)
    #: MLflow's version: the version's number within its model (1, 2, 3...)
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    version: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    semver_major: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    semver_minor: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    semver_patch: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    semver_prerelease: Mapped[str | None] = mapped_column(sa.String(255))
    semver_key: Mapped[str] = mapped_column(BinaryText, nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: the run whose metrics, parameters and files the version shows; versions may share one
    run_id: Mapped[str] = mapped_column(
        sa.ForeignKey("mr_runs.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    #: a run id the version was created with that this server does not know: MLflow clients see it
    #: as the version's ``run_id``, as given (the version's own files are in ``run_id``)
    given_run_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    #: the tag the semantic version was given with (``model_registry.version`` or
    #: ``gitlab.version``); None when the version got the next major
    semver_tag: Mapped[str | None] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    stage: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="None")
    parent_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mr_model_versions.id", ondelete="SET NULL")
    )
    logged_model_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_name: Mapped[str | None] = mapped_column(sa.String(255))

    model: Mapped[RegisteredModel] = relationship(back_populates="versions")
    run: Mapped[Run] = relationship(foreign_keys=[run_id])
    parent: Mapped[ModelVersion | None] = relationship(remote_side=[id])
    tags: Mapped[list[VersionTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="VersionTag.key"
    )

    @property
    def mlflow_run_id(self) -> str:
        """The ``run_id`` MLflow clients see: the run the version came from."""
        return self.given_run_id or self.run_id

    __table_args__ = (
        sa.UniqueConstraint("model_id", "number"),
        sa.UniqueConstraint("model_id", "version"),
        # versions that differ only in build metadata have equal precedence: one per model
        sa.UniqueConstraint("model_id", "semver_major", "semver_minor", "semver_patch", "semver_key",
                            name="uq_mr_model_versions_precedence"),
        sa.Index(None, "model_id", "created_at"),
        sa.CheckConstraint("stage IN ('None', 'Staging', 'Production', 'Archived')", name="stage"),
    )


class VersionTag(Base):
    """A version's metadata: MLflow model-version tags, string keys and values."""

    __tablename__ = "mr_version_tags"

    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mr_model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")


class ModelAlias(Base):
    __tablename__ = "mr_model_aliases"

    model_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mr_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mr_model_versions.id", ondelete="CASCADE"), nullable=False
    )

    version: Mapped[ModelVersion] = relationship()
