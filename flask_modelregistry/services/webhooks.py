"""Managing a project's webhooks (maintainers and above): create, list, change, disable, delete,
send a test, read the delivery log, redeliver. Every door (pages, JSON API, MLflow API) calls these.

A webhook belongs to one project and is invisible from every other. Its secret is stored
encrypted and never shown again after creation; answers say only whether one is set.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import typing as t
import uuid

import sqlalchemy as sa

from ..config import config_value
from ..errors import Invalid, NotFound
from ..models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from ..webhooks import secrets, targets
from . import audit, events
from .access import authorize
from .common import Page, check_text, clamp_page, row_id, session
from .identity import Actor
from .unit_of_work import unit_of_work

STATUSES = ("ACTIVE", "DISABLED")
#: MLflow's rule for webhook names
_NAME = re.compile(r"^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$", re.IGNORECASE)
MAX_SECRET_LENGTH = 1000


@dataclasses.dataclass(frozen=True)
class TestResult:
    success: bool
    status: int | None
    body: str
    error: str
    duration_ms: int
    delivery: DeliveryView


@dataclasses.dataclass(frozen=True)
class WebhookView:
    """A webhook as the doors show it: never its secret, only whether one is set."""

    id: int
    name: str
    url: str
    events: tuple[str, ...]
    description: str
    status: str
    has_secret: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class AttemptView:
    attempted_at: dt.datetime
    status: int | None
    duration_ms: int | None
    response_head: str | None
    error: str | None


@dataclasses.dataclass(frozen=True)
class DeliveryView:
    id: int
    delivery_id: str
    event: str
    state: str
    attempts: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    last_status: int | None
    is_test: bool
    #: the body sent, as JSON text
    payload: str
    attempt_log: tuple[AttemptView, ...]


def webhook_view(hook: Webhook) -> WebhookView:
    return WebhookView(id=hook.id, name=hook.name, url=hook.url, events=tuple(hook.events or ()),
                       description=hook.description, status=hook.status, has_secret=bool(hook.secret_encrypted),
                       created_at=hook.created_at, updated_at=hook.updated_at)


def delivery_view(d: WebhookDelivery) -> DeliveryView:
    """The delivery with its attempts (loaded with it by ``list_deliveries``)."""
    return DeliveryView(
        id=d.id, delivery_id=d.delivery_id, event=d.event, state=d.state, attempts=d.attempts,
        next_attempt_at=d.next_attempt_at, created_at=d.created_at, delivered_at=d.delivered_at,
        last_status=d.last_status, is_test=d.is_test, payload=d.payload,
        attempt_log=tuple(AttemptView(attempted_at=a.attempted_at, status=a.status, duration_ms=a.duration_ms,
                                      response_head=a.response_head, error=a.error) for a in d.attempt_log))


def check_name(value: t.Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise Invalid(f"Webhook name {value!r} is invalid. It must start and end with a letter or digit, be less "
                      "than 63 characters long, and contain only letters, digits, dots (.), underscores (_), and "
                      "hyphens (-).", fields={"name": "Use 1-63 letters, digits, . _ -; start and end with a letter or digit."})
    return value


def check_events(value: t.Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not value:
        raise Invalid("Webhook events must be a non-empty list of events.",
                      fields={"events": "Pick at least one event."})
    out: list[str] = []
    for item in value:
        if item not in events.EVENTS:
            raise Invalid(f"Unknown webhook event {item!r}.", fields={"events": f"Unknown event: {item}."})
        if item not in out:
            out.append(item)
    return out


def check_secret(value: t.Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > MAX_SECRET_LENGTH or "\x00" in value:
        raise Invalid("the secret must be a string of at most 1000 characters",
                      fields={"secret": f"At most {MAX_SECRET_LENGTH} characters."})
    return value


def check_status(value: t.Any) -> str:
    text = str(value).upper() if isinstance(value, str) else value
    if text not in STATUSES:
        raise Invalid(f"Invalid webhook status {value!r}; use ACTIVE or DISABLED.",
                      fields={"status": "Must be ACTIVE or DISABLED."})
    return text


def check_url(value: t.Any) -> str:
    target = targets.check_url(value, allow_private=bool(config_value("WEBHOOK_ALLOW_PRIVATE_TARGETS")))
    del target
    return value.strip()


def list_webhooks(project: str, actor: Actor, *, page: int | None = None,
                  per_page: int | None = None) -> Page[WebhookView]:
    authorize(project, actor, "admin")
    page, per_page = clamp_page(page, per_page, config_value("PER_PAGE"))
    where = Webhook.project == project
    total = session().scalar(sa.select(sa.func.count(Webhook.id)).where(where)) or 0
    items = [webhook_view(h) for h in session().scalars(
        sa.select(Webhook).where(where).order_by(Webhook.created_at.desc(), Webhook.id.desc())
        .limit(per_page).offset((page - 1) * per_page))]
    return Page(items=items, page=page, per_page=per_page, total=total)


def get_webhook(project: str, actor: Actor, webhook_id: t.Any) -> Webhook:
    authorize(project, actor, "admin")
    number = row_id(webhook_id)
    hook = session().get(Webhook, number) if number is not None else None
    if hook is None or hook.project != project:
        raise NotFound(f"Webhook with ID {webhook_id} not found.")
    return hook


@unit_of_work
def create_webhook(project: str, actor: Actor, *, name: t.Any, url: t.Any, events: t.Any,
                   secret: t.Any = None, description: t.Any = "", status: t.Any = "ACTIVE") -> WebhookView:
    authorize(project, actor, "admin")
    hook = Webhook(project=project, name=check_name(name), url=check_url(url), events=check_events(events),
                   description=check_text(description, "description", max_length=10_000),
                   status=check_status(status or "ACTIVE"), created_by_name=actor.name)
    plain = check_secret(secret)
    hook.secret_encrypted = secrets.encrypt(plain) if plain else None
    now = utcnow()
    hook.created_at = hook.updated_at = now
    s = session()
    s.add(hook)
    s.flush()
    audit.record(project, actor, "webhook.create", "webhook", hook.id, hook.name,
                 {"url": hook.url, "events": hook.events})
    return webhook_view(hook)


_UNSET: t.Any = object()


@unit_of_work
def update_webhook(project: str, actor: Actor, hook: Webhook, *, name: t.Any = None, url: t.Any = None,
                   events: t.Any = None, secret: t.Any = _UNSET, description: t.Any = None,
                   status: t.Any = None) -> WebhookView:
    """Change the given fields; ``secret=""`` removes the secret, an absent one keeps it."""
    authorize(project, actor, "admin")
    changes: dict[str, t.Any] = {}
    if name is not None:
        hook.name = check_name(name)
        changes["name"] = hook.name
    if url is not None:
        hook.url = check_url(url)
        changes["url"] = hook.url
    if events is not None:
        hook.events = check_events(events)
        changes["events"] = hook.events
    if description is not None:
        hook.description = check_text(description, "description", max_length=10_000)
        changes["description"] = True
    if status is not None:
        hook.status = check_status(status)
        changes["status"] = hook.status
    if secret is not _UNSET:
        plain = check_secret(secret)
        hook.secret_encrypted = secrets.encrypt(plain) if plain else None
        changes["secret"] = "set" if plain else "removed"
    hook.updated_at = utcnow()
    audit.record(project, actor, "webhook.update", "webhook", hook.id, hook.name, changes)
    session().flush()
    return webhook_view(hook)


@unit_of_work
def delete_webhook(project: str, actor: Actor, hook: Webhook) -> None:
    """Delete the webhook with its deliveries and their log."""
    authorize(project, actor, "admin")
    hook_id, name = hook.id, hook.name
    s = session()
    delivery_ids = sa.select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook_id)
    s.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
    s.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.webhook_id == hook_id))
    s.execute(sa.delete(Webhook).where(Webhook.id == hook_id).execution_options(synchronize_session=False))
    audit.record(project, actor, "webhook.delete", "webhook", hook_id, name)


def test_webhook(project: str, actor: Actor, hook: Webhook, event: t.Any = None) -> TestResult:
    """Send an example of ``event`` (default: the webhook's first) now, as MLflow's test does,
    and keep it in the delivery log (it is not retried; "Redeliver" sends it again)."""
    from ..webhooks import deliverer

    authorize(project, actor, "admin")
    event = event or (hook.events[0] if hook.events else "registered_model.created")
    if event not in events.EVENTS:
        raise Invalid(f"Unknown webhook event {event!r}.", fields={"event": "Unknown event."})
    row_id_ = _queue_test(hook, event)
    outcome = deliverer.send(row_id_, "test")
    delivery = session().get(WebhookDelivery, row_id_)
    session().refresh(delivery)
    assert outcome is not None
    return TestResult(success=outcome.ok, status=outcome.status, body=outcome.head, error=outcome.error,
                      duration_ms=outcome.duration_ms, delivery=delivery_view(delivery))


@unit_of_work
def _queue_test(hook: Webhook, event: str) -> int:
    """The test's delivery row, claimed by the test itself (no deliverer sends it meanwhile)."""
    entity, _, action = event.partition(".")
    delivery = WebhookDelivery(webhook_id=hook.id, event=event, payload=events.body(entity, action, events.EXAMPLES[event]),
                               delivery_id=str(uuid.uuid4()), state="pending", attempts=0,
                               next_attempt_at=utcnow(), is_test=True, claimed_by="test",
                               claimed_until=utcnow() + dt.timedelta(seconds=float(config_value("WEBHOOK_LEASE"))))
    s = session()
    s.add(delivery)
    s.flush()
    return delivery.id


def list_deliveries(project: str, actor: Actor, hook: Webhook, *, page: int | None = None,
                    per_page: int | None = None) -> Page[DeliveryView]:
    """The webhook's deliveries, newest first, each with its attempts (two queries)."""
    authorize(project, actor, "admin")
    page, per_page = clamp_page(page, per_page, config_value("PER_PAGE"))
    where = WebhookDelivery.webhook_id == hook.id
    total = session().scalar(sa.select(sa.func.count(WebhookDelivery.id)).where(where)) or 0
    items = [delivery_view(d) for d in session().scalars(
        sa.select(WebhookDelivery).where(where).order_by(WebhookDelivery.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
        .options(sa.orm.selectinload(WebhookDelivery.attempt_log)))]
    return Page(items=items, page=page, per_page=per_page, total=total)


def get_delivery(project: str, actor: Actor, hook: Webhook, delivery_id: t.Any) -> WebhookDelivery:
    authorize(project, actor, "admin")
    number = row_id(delivery_id)
    found = session().get(WebhookDelivery, number) if number is not None else None
    if found is None or found.webhook_id != hook.id:
        raise NotFound("delivery not found")
    return found


@unit_of_work
def redeliver(project: str, actor: Actor, hook: Webhook, delivery: WebhookDelivery) -> DeliveryView:
    """Send a delivery again (same delivery id, same body), with a fresh count of attempts."""
    authorize(project, actor, "admin")
    s = session()
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.claimed_by = None
    delivery.claimed_until = None
    delivery.is_test = False
    events.queue_in(s, [delivery])
    audit.record(project, actor, "webhook.redeliver", "webhook", hook.id, hook.name,
                 {"delivery_id": delivery.delivery_id})
    s.flush()
    return delivery_view(delivery)


def webhooks_slice(project: str, actor: Actor, *, offset: int, limit: int) -> tuple[list[WebhookView], int]:
    """``limit`` webhooks from ``offset``, newest first, and the total (MLflow's paging)."""
    authorize(project, actor, "admin")
    where = Webhook.project == project
    total = session().scalar(sa.select(sa.func.count(Webhook.id)).where(where)) or 0
    items = [webhook_view(h) for h in session().scalars(
        sa.select(Webhook).where(where).order_by(Webhook.created_at.desc(), Webhook.id.desc())
        .limit(limit).offset(offset))]
    return items, total
