"""Send the outbox: claim due deliveries with a lease, POST them, record each attempt, retry with
exponential backoff until the receiver accepts (any 2xx) or the attempts run out.

* Claiming: on PostgreSQL ``SELECT ... FOR UPDATE SKIP LOCKED`` then a lease
  (``claimed_by``, ``claimed_until``), so several deliverers (threads of every app process,
  ``flask model-registry webhooks worker`` processes) never send one delivery at the same time;
  elsewhere (SQLite) a conditional ``UPDATE`` per row does the same. A deliverer that dies
  mid-send leaves its lease to expire, and the delivery is sent again (at least once).
* Every attempt sends the stored body with the delivery's own id and a fresh timestamp and
  signature. A delivery of a disabled webhook waits until the webhook is enabled again.
* Each app process runs one deliverer thread (``MODEL_REGISTRY_WEBHOOK_DELIVERER = "thread"``),
  started by its first request (when the project has webhooks) or by the first event it records.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import typing as t
import uuid

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from ..config import config_value
from ..state import current_state
from ..models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from . import secrets, sender, signing

log = logging.getLogger(__name__)


def worker_name(kind: str = "thread") -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{kind}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int, app: Flask | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    base = float(config_value("WEBHOOK_RETRY_BASE", app))
    cap = float(config_value("WEBHOOK_RETRY_MAX", app))
    return min(cap, base * 2 ** max(0, attempts - 1))


def _session():
    return current_state().db.session


def _due(now: dt.datetime) -> t.Any:
    active = sa.select(Webhook.id).where(Webhook.status == "ACTIVE")
    return sa.and_(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now,
                   sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
                   WebhookDelivery.webhook_id.in_(active))


def claim(worker: str, limit: int = 10, only: t.Sequence[int] | None = None) -> list[int]:
    """Take up to ``limit`` due deliveries for ``worker``; returns their row ids (committed)."""
    s = _session()
    now = utcnow()
    until = now + dt.timedelta(seconds=float(config_value("WEBHOOK_LEASE")))
    due = _due(now)
    if only is not None:
        due = sa.and_(due, WebhookDelivery.id.in_(list(only)))
    stmt = (sa.select(WebhookDelivery.id).where(due)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    try:
        if s.get_bind().dialect.name == "postgresql":
            ids = list(s.scalars(stmt.with_for_update(skip_locked=True, of=WebhookDelivery)))
            if ids:
                s.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                          .values(claimed_by=worker, claimed_until=until)
                          .execution_options(synchronize_session=False))
            s.commit()
            return ids
        candidates = list(s.scalars(stmt))
        s.commit()  # no read transaction held while writing (SQLite upgrades badly)
        ids = []
        for row_id in candidates:
            taken = s.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id == row_id, _due(now))
                              .values(claimed_by=worker, claimed_until=until)
                              .execution_options(synchronize_session=False))
            s.commit()
            if taken.rowcount == 1:
                ids.append(row_id)
        return ids
    except BaseException:
        s.rollback()
        raise


def send(row_id: int, worker: str) -> sender.Outcome | None:
    """Send one claimed delivery once and record the attempt; None when it is gone."""
    s = _session()
    delivery = s.get(WebhookDelivery, row_id)
    if delivery is None:
        s.commit()
        return None
    hook = delivery.webhook
    url, body, delivery_id = hook.url, delivery.payload, delivery.delivery_id
    secret_token, is_test = hook.secret_encrypted, delivery.is_test
    s.commit()  # nothing held while the receiver answers
    try:
        secret = secrets.decrypt(secret_token) if secret_token else None
    except secrets.SecretUnreadable as exc:
        outcome = sender.Outcome(None, 0, "", str(exc))
    else:
        outcome = sender.post(url, body, signing.headers(delivery_id, body, secret),
                              timeout=float(config_value("WEBHOOK_TIMEOUT")),
                              allow_private=bool(config_value("WEBHOOK_ALLOW_PRIVATE_TARGETS")))
    record_attempt(row_id, outcome, is_test=is_test)
    return outcome


def record_attempt(row_id: int, outcome: sender.Outcome, *, is_test: bool = False) -> None:
    s = _session()
    try:
        delivery = s.get(WebhookDelivery, row_id)
        if delivery is None:
            s.commit()
            return
        now = utcnow()
        s.add(WebhookAttempt(delivery_id=row_id, attempted_at=now, status=outcome.status,
                             duration_ms=outcome.duration_ms, response_head=outcome.head, error=outcome.error[:2000]))
        delivery.attempts += 1
        delivery.last_status = outcome.status
        delivery.claimed_by = None
        delivery.claimed_until = None
        if outcome.ok:
            delivery.state = "delivered"
            delivery.delivered_at = now
        elif is_test or delivery.attempts >= int(config_value("WEBHOOK_MAX_ATTEMPTS")):
            delivery.state = "failed"
        else:
            delivery.next_attempt_at = now + dt.timedelta(seconds=backoff(delivery.attempts))
        s.commit()
    except BaseException:
        s.rollback()
        raise


def deliver_due(worker: str, limit: int = 10) -> int:
    """Claim and send what is due now; returns how many were sent (for loops and cron jobs)."""
    ids = claim(worker, limit)
    for row_id in ids:
        send(row_id, worker)
    return len(ids)


def deliver(delivery_row_id: int) -> sender.Outcome | None:
    """Send one delivery now if it is due and nobody holds it: what a host's Celery or RQ task
    calls with an id its ``webhook_dispatcher`` was given. None when it is not due (already
    delivered, claimed by another deliverer, or waiting for its next attempt)."""
    worker = worker_name("task")
    if not claim(worker, 1, only=[delivery_row_id]):
        return None
    return send(delivery_row_id, worker)


# -- the deliverer thread of an app process -------------------------------------------------------

class DelivererThread(threading.Thread):
    """Loops: send what is due, else sleep until woken or the poll interval passes."""

    def __init__(self, app: Flask, kind: str = "thread") -> None:
        super().__init__(name=f"model-registry-webhooks-{kind}", daemon=True)
        self.app = app
        self.worker = worker_name(kind)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.pid = os.getpid()

    def run(self) -> None:
        poll = float(config_value("WEBHOOK_POLL_INTERVAL", self.app))
        while not self.stopping.is_set():
            sent = 0
            try:
                with self.app.app_context():
                    try:
                        sent = deliver_due(self.worker)
                    finally:
                        current_state().db.session.remove()
            except Exception:  # the database may be down for a while: keep trying
                log.exception("webhook deliverer %s failed; trying again", self.worker)
            if not sent:
                self.wake.wait(poll)
                self.wake.clear()

    def stop(self, timeout: float = 10) -> None:
        self.stopping.set()
        self.wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)


_LOCK = threading.Lock()
_THREADS: dict[int, DelivererThread] = {}


def ensure_thread(app: Flask) -> DelivererThread | None:
    """Start this process's deliverer thread for ``app`` unless it runs (or is configured off)."""
    if config_value("WEBHOOK_DELIVERER", app) != "thread":
        return None
    with _LOCK:
        thread = _THREADS.get(id(app))
        if thread is not None and thread.is_alive() and thread.pid == os.getpid() and thread.app is app:
            return thread
        thread = DelivererThread(app)
        _THREADS[id(app)] = thread
        thread.start()
        return thread


def stop_thread(app: Flask) -> None:
    with _LOCK:
        thread = _THREADS.pop(id(app), None)
    if thread is not None:
        thread.stop()


def announce(delivery_ids: list[int]) -> None:
    """Called after a commit that queued deliveries: hand them to the host's dispatcher, wake
    (or start) this process's deliverer."""
    if not has_app_context() or "model_registry" not in current_app.extensions:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    dispatcher = current_state().host.webhook_dispatcher
    if dispatcher is not None:
        try:
            dispatcher(list(delivery_ids))
        except Exception:  # the rows are safe in the outbox; a deliverer still sends them
            log.exception("the host's webhook dispatcher failed")
    thread = ensure_thread(app)
    if thread is not None:
        thread.wake.set()


def _webhooks_exist(app: Flask) -> bool | None:
    """Whether the database holds a webhook; None while it cannot tell (no tables yet, or the
    database cannot be reached)."""
    with app.app_context():
        s = current_state().db.session
        try:
            return s.scalar(sa.select(Webhook.id).limit(1)) is not None
        except Exception:  # before init-db, or the database is away: the first request checks again
            s.rollback()
            return None
        finally:
            s.remove()


def start_if_pending(app: Flask) -> DelivererThread | None:
    """Start this process's deliverer now when webhooks exist (not in tests: ``TESTING`` apps start
    it with their first request or event), so deliveries left pending by a stopped process go out
    without waiting for a request."""
    if app.testing or config_value("WEBHOOK_DELIVERER", app) != "thread":
        return None
    if not _webhooks_exist(app):
        return None
    return ensure_thread(app)


def start_on_first_request(app: Flask) -> None:
    """Install a hook that starts the deliverer with the first request, when webhooks exist
    (so an app restarted with deliveries pending sends them without further action)."""
    checked: dict[str, bool] = {}

    @app.before_request
    def _start_deliverer() -> None:
        if checked.get("done") or config_value("WEBHOOK_DELIVERER", app) != "thread":
            return
        checked["done"] = True
        try:
            s = current_state().db.session
            any_hook = s.scalar(sa.select(Webhook.id).limit(1)) is not None
        except Exception:  # no tables yet (before init-db): try again with the next request
            current_state().db.session.rollback()
            checked["done"] = False
            return
        if any_hook:
            ensure_thread(app)
