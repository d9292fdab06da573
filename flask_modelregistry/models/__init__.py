"""The registry's tables, all prefixed ``mr_``."""
from __future__ import annotations

from .access import AccessToken, AuditEvent
from .base import Base, metadata, utcnow
from .registry import ModelAlias, ModelTag, ModelVersion, ProjectSettings, RegisteredModel, VersionTag
from .storage import PendingObject, StorageLease
from .tracking import (Artifact, ArtifactRoot, Experiment, LoggedModel, Run, RunDataset, RunMetric,
                       RunMetricAggregate, RunMetricStep, RunModelLink, RunParam, RunTag)
from .webhooks import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "AccessToken", "Artifact", "ArtifactRoot", "AuditEvent", "Base", "Experiment", "LoggedModel", "ModelAlias",
    "ModelTag", "ModelVersion", "PendingObject", "ProjectSettings", "RegisteredModel", "Run", "RunDataset",
    "RunMetric", "RunMetricAggregate", "RunMetricStep", "RunModelLink", "RunParam", "RunTag", "StorageLease",
    "VersionTag", "Webhook", "WebhookAttempt",
    "WebhookDelivery", "metadata", "utcnow",
]
