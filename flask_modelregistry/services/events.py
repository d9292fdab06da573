"""Registry events, written to the webhook outbox in the same transaction as the change.

Each service function that changes something calls :func:`record` once, inside the operation's
transaction: the delivery rows commit with the change or not at all, so a change that fails
sends nothing and one that commits is never lost. After the commit the process's deliverer is
woken (and the host's ``webhook_dispatcher``, if any, is handed the new deliveries).

Event names and payloads are MLflow 3's (``registered_model.created``, ``model_version.created``,
``model_version_tag.set``, ``model_version_tag.deleted``, ``model_version_alias.created``,
``model_version_alias.deleted``), plus the registry's own in the same style (see :data:`OUR_EVENTS`).
"""
from __future__ import annotations

import datetime as dt
import json
import typing as t
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Webhook, WebhookDelivery, utcnow
from .common import session

MLFLOW_EVENTS: tuple[str, ...] = (
    "registered_model.created", "model_version.created", "model_version_tag.set", "model_version_tag.deleted",
    "model_version_alias.created", "model_version_alias.deleted",
)
#: the registry's own events, for what MLflow has no name for
OUR_EVENTS: tuple[str, ...] = (
    "registered_model.deleted", "model_version.deleted", "model_version.published",
    "model_version_file.created", "model_version_file.deleted",
)
EVENTS: tuple[str, ...] = MLFLOW_EVENTS + OUR_EVENTS

#: example data of each event, sent by "Send test" / ``test_webhook`` (MLflow's own examples for its events)
EXAMPLES: dict[str, dict[str, t.Any]] = {
    "registered_model.created": {"name": "example_model", "tags": {"example_key": "example_value"},
                                 "description": "An example registered model"},
    "model_version.created": {"name": "example_model", "version": "1", "source": "runs:/abcd1234abcd5678/model",
                              "run_id": "abcd1234abcd5678", "tags": {"example_key": "example_value"},
                              "description": "An example model version"},
    "model_version_tag.set": {"name": "example_model", "version": "1", "key": "example_key",
                              "value": "example_value"},
    "model_version_tag.deleted": {"name": "example_model", "version": "1", "key": "example_key"},
    "model_version_alias.created": {"name": "example_model", "alias": "example_alias", "version": "1"},
    "model_version_alias.deleted": {"name": "example_model", "alias": "example_alias"},
    "registered_model.deleted": {"name": "example_model"},
    "model_version.deleted": {"name": "example_model", "version": "1", "semantic_version": "1.0.0"},
    "model_version.published": {"name": "example_model", "version": "1", "semantic_version": "1.0.0",
                                "prerelease": False},
    "model_version_file.created": {"name": "example_model", "version": "1", "path": "model/MLmodel",
                                   "size": 123, "sha256": "0" * 64},
    "model_version_file.deleted": {"name": "example_model", "version": "1", "path": "model/MLmodel"},
}

_PENDING = "model_registry.webhook_deliveries"


def body(entity: str, action: str, data: t.Mapping[str, t.Any], when: dt.datetime | None = None) -> str:
    """The JSON body MLflow sends: ``{"entity", "action", "timestamp", "data"}``."""
    return json.dumps({"entity": entity, "action": action, "timestamp": (when or utcnow()).isoformat(),
                       "data": dict(data)})


def record(project: str, entity: str, action: str, data: t.Mapping[str, t.Any]) -> int:
    """Queue the event for every active webhook of ``project`` subscribed to it, in the current
    transaction (the caller commits). Returns the number of deliveries queued."""
    event = f"{entity}.{action}"
    s = session()
    hooks = [h for h in s.scalars(sa.select(Webhook).where(Webhook.project == project, Webhook.status == "ACTIVE"))
             if event in (h.events or ())]
    if not hooks:
        return 0
    text = body(entity, action, data)
    rows = [WebhookDelivery(webhook_id=h.id, event=event, payload=text, delivery_id=str(uuid.uuid4()),
                            state="pending", attempts=0, next_attempt_at=utcnow(), is_test=False) for h in hooks]
    s.add_all(rows)
    s.info.setdefault(_PENDING, []).extend(rows)
    return len(rows)


def queue_in(s: Session, rows: t.Sequence[WebhookDelivery]) -> None:
    """Announce deliveries added to ``s`` by other code (a redelivery) once ``s`` commits."""
    s.info.setdefault(_PENDING, []).extend(rows)


@sa.event.listens_for(Session, "after_commit")
def _announce(s: Session) -> None:
    rows = s.info.pop(_PENDING, None)
    if not rows:
        return
    ids = [ident[0] for ident in (sa.inspect(r).identity for r in rows) if ident]
    from ..webhooks.deliverer import announce

    announce(ids)


@sa.event.listens_for(Session, "after_rollback")
def _forget(s: Session) -> None:
    s.info.pop(_PENDING, None)


# -- payloads, one builder per kind of change, so every door sends the same ---------------------

def model_created(project: str, name: str, tags: t.Mapping[str, str], description: str) -> None:
    record(project, "registered_model", "created", {"name": name, "tags": dict(tags), "description": description})


def model_deleted(project: str, name: str) -> None:
    record(project, "registered_model", "deleted", {"name": name})


def version_created(project: str, name: str, number: int, semver: str, prerelease: bool, *, source: str,
                    run_id: str | None, tags: t.Mapping[str, str], description: str) -> None:
    shown = dict(tags)
    shown["model_registry.version"] = semver
    record(project, "model_version", "created", {
        "name": name, "version": str(number), "source": source or "", "run_id": run_id or None,
        "tags": shown, "description": description or None})
    record(project, "model_version", "published", {
        "name": name, "version": str(number), "semantic_version": semver, "prerelease": prerelease})


def version_deleted(project: str, name: str, number: int, semver: str) -> None:
    record(project, "model_version", "deleted", {"name": name, "version": str(number), "semantic_version": semver})


def version_tag_set(project: str, name: str, number: int, key: str, value: str) -> None:
    record(project, "model_version_tag", "set", {"name": name, "version": str(number), "key": key, "value": value})


def version_tag_deleted(project: str, name: str, number: int, key: str) -> None:
    record(project, "model_version_tag", "deleted", {"name": name, "version": str(number), "key": key})


def alias_created(project: str, name: str, alias: str, number: int) -> None:
    record(project, "model_version_alias", "created", {"name": name, "alias": alias, "version": str(number)})


def alias_deleted(project: str, name: str, alias: str) -> None:
    record(project, "model_version_alias", "deleted", {"name": name, "alias": alias})


def file_created(project: str, name: str, number: int, path: str, size: int, sha256: str) -> None:
    record(project, "model_version_file", "created",
           {"name": name, "version": str(number), "path": path, "size": size, "sha256": sha256})


def file_deleted(project: str, name: str, number: int, path: str) -> None:
    record(project, "model_version_file", "deleted", {"name": name, "version": str(number), "path": path})


def versions_of_run(run_id: str) -> list[tuple[str, int]]:
    """(model name, version number) of each version whose run is ``run_id``: its files are theirs."""
    from ..models import ModelVersion, RegisteredModel

    return [(row.name, row.number) for row in session().execute(
        sa.select(RegisteredModel.name, ModelVersion.number).join(ModelVersion.model)
        .where(ModelVersion.run_id == run_id))]


def catalog_markdown() -> str:
    """The events and their ``data``, for the OpenAPI document."""
    lines = ["Deliveries are `POST`s of `{\"entity\", \"action\", \"timestamp\", \"data\"}` with the headers "
             "`X-MLflow-Delivery-Id` (the same on every attempt), `X-MLflow-Timestamp` and, with a secret, "
             "`X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret, \"{delivery_id}.{timestamp}.{body}\")>`, "
             "exactly as MLflow 3 sends them. Events (MLflow's first, then the registry's own) and their `data`:", ""]
    for name in EVENTS:
        lines.append(f"* `{name}`: `{json.dumps(EXAMPLES[name])}`")
    return "\n".join(lines)
