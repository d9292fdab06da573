"""Experiments, runs and what is logged to them: metrics, parameters, tags, datasets, artifacts.

Every model version has exactly one run (``ModelVersion.run_id``). Metrics, parameters and
artifacts logged to that run, through the JSON API, the pages or ``MlflowClient`` with
``mv.run_id``, are the version's metrics, parameters and artifacts.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Experiment(Base):
    __tablename__ = "mr_experiments"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    project: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    lifecycle_stage: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    tags: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("project", "name"),)


class Run(Base):
    __tablename__ = "mr_runs"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    project: Mapped[str] = mapped_column(sa.String(255), nullable=False, index=True)
    experiment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mr_experiments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="FINISHED")
    lifecycle_stage: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    start_time: Mapped[int | None] = mapped_column(sa.BigInteger)
    end_time: Mapped[int | None] = mapped_column(sa.BigInteger)
    user_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    experiment: Mapped[Experiment] = relationship()
    params: Mapped[list[RunParam]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RunParam.key"
    )
    tags: Mapped[list[RunTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RunTag.key"
    )


class RunMetric(Base):
    """Every logged value is kept; the latest per key is the one with the highest (step, timestamp, id)."""

    __tablename__ = "mr_run_metrics"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(250), nullable=False)
    value: Mapped[float] = mapped_column(sa.Float, nullable=False)
    is_nan: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    timestamp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)

    __table_args__ = (sa.Index(None, "run_id", "key", "step"),)


class RunParam(Base):
    __tablename__ = "mr_run_params"

    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")


class RunTag(Base):
    __tablename__ = "mr_run_tags"

    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")


class RunDataset(Base):
    """Data lineage: a dataset a run (and so a version) was trained or evaluated on."""

    __tablename__ = "mr_run_datasets"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    digest: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    uri: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    source_type: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    role: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="training")
    schema: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    profile: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("run_id", "name", "digest", "role"),)


class LoggedModel(Base):
    """An MLflow 3 logged model. Its files are stored among its run's artifacts, under ``artifact_path``."""

    __tablename__ = "mr_logged_models"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    project: Mapped[str] = mapped_column(sa.String(255), nullable=False, index=True)
    experiment_id: Mapped[int] = mapped_column(sa.ForeignKey("mr_experiments.id", ondelete="CASCADE"), nullable=False)
    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    artifact_path: Mapped[str] = mapped_column(sa.String(1024), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="LOGGED_MODEL_PENDING")
    model_type: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    tags: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    params: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Artifact(Base):
    """A stored file of a run. ``storage_key`` is unique per upload, so a failed or racing
    upload never overwrites another one's object."""

    __tablename__ = "mr_artifacts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), nullable=False)
    path: Mapped[str] = mapped_column(sa.String(1024), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="application/octet-stream")
    storage_key: Mapped[str] = mapped_column(sa.String(1024), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_name: Mapped[str | None] = mapped_column(sa.String(255))

    __table_args__ = (sa.UniqueConstraint("run_id", "path"),)
