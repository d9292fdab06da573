"""Experiments, runs and what is logged to them: metrics, parameters, tags, datasets, artifacts.

Every model version has one run (``ModelVersion.run_id``): the run it came from, shared by every
version that came from it, or a run made for it. Metrics, parameters and artifacts logged to that
run, through the JSON API, the pages or ``MlflowClient`` with ``mv.run_id``, are the version's
metrics, parameters and artifacts.
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
    #: made by the registry for a version (or a project's artifact root), not by a client: it goes
    #: with the last version that uses it, where a client's run stays, as in MLflow
    made_for_version: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                                   server_default=sa.false())
    #: distinct steps at which any metric was logged (the rows of ``RunMetricStep``), kept on write
    metric_step_count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0, server_default="0")
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
    #: MLflow 3: the logged model the value was logged for, and the dataset it was measured on
    model_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    dataset_name: Mapped[str | None] = mapped_column(sa.String(500))
    dataset_digest: Mapped[str | None] = mapped_column(sa.String(255))

    #: one seek finds the last value logged at a step (``step = s ORDER BY timestamp DESC, id DESC``)
    __table_args__ = (sa.Index("ix_mr_run_metrics_run_id_key_step_time", "run_id", "key", "step", "timestamp", "id"),)


class RunMetricAggregate(Base):
    """What the version page shows of one metric of a run, kept in the transaction of every write
    that adds values (see :mod:`..services.metric_aggregates`), so reading it costs one row however
    often the metric was logged. ``min_value`` and ``max_value`` are over the non-NaN values (None
    when every value is NaN); ``latest_*`` is the row MLflow calls the latest: highest step, then
    timestamp, then id."""

    __tablename__ = "mr_run_metric_aggregates"

    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(250), primary_key=True)
    #: every value logged, NaN included; ``nan_count`` of them are NaN
    value_count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    nan_count: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    min_value: Mapped[float | None] = mapped_column(sa.Float)
    max_value: Mapped[float | None] = mapped_column(sa.Float)
    first_step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    last_step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    latest_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    latest_value: Mapped[float] = mapped_column(sa.Float, nullable=False)
    latest_is_nan: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    latest_step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    latest_timestamp: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class RunMetricStep(Base):
    """The distinct steps at which a run logged any metric, so the most recent steps are one index
    range and their number is ``Run.metric_step_count``."""

    __tablename__ = "mr_run_metric_steps"

    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)


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
    #: the source exactly as MLflow logged it (JSON text such as ``{"uri": ...}``); ``uri`` is its address
    source: Mapped[str | None] = mapped_column(sa.Text)
    #: the input's tags as logged, ``[{"key", "value"}, ...]`` (``mlflow.data.context`` among them)
    tags: Mapped[list | None] = mapped_column(sa.JSON)
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
    #: a ``source_run_id`` this server does not know, kept as given (the files are in ``run_id``)
    given_run_id: Mapped[str | None] = mapped_column(sa.String(255))
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


class RunModelLink(Base):
    """A logged model a run used (``input``, MLflow's ``model_inputs``) or produced (``output``)."""

    __tablename__ = "mr_run_model_links"

    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    step: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)

    __table_args__ = (sa.CheckConstraint("direction IN ('input', 'output')", name="direction"),)


class ArtifactRoot(Base):
    """A project's artifact root: files the ``mlflow-artifacts`` proxy keeps at paths that are no
    run's or logged model's, stored as the files of a run made for it."""

    __tablename__ = "mr_artifact_roots"

    project: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.ForeignKey("mr_runs.id", ondelete="CASCADE"), nullable=False,
                                        unique=True)
