"""JSON API v1 views of a project's webhooks (maintainers and above) and their delivery logs."""
from __future__ import annotations

import json
import typing as t

from flask import Response, jsonify

from ..kit.auth import request_actor
from ..services import webhooks as webhook_service
from . import webhook_schemas as ws
from .routing import route
from .views import P
from ..services.webhooks import DeliveryView, WebhookView

W = P + "/webhooks"
H = W + "/<int:webhook_id>"
_hook_schema = ws.Webhook()
_delivery_schema = ws.Delivery()


def webhook_json(view: WebhookView) -> dict[str, t.Any]:
    return _hook_schema.dump({
        "id": view.id, "name": view.name, "url": view.url, "events": list(view.events),
        "description": view.description, "status": view.status, "has_secret": view.has_secret,
        "created_at": view.created_at, "updated_at": view.updated_at})


def delivery_json(d: DeliveryView) -> dict[str, t.Any]:
    return _delivery_schema.dump({
        "id": d.id, "delivery_id": d.delivery_id, "event": d.event, "state": d.state, "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at if d.state == "pending" else None, "created_at": d.created_at,
        "delivered_at": d.delivered_at, "last_status": d.last_status, "is_test": d.is_test,
        "payload": json.loads(d.payload),
        "attempt_log": [{"attempted_at": a.attempted_at, "status": a.status, "duration_ms": a.duration_ms,
                         "response_head": a.response_head, "error": a.error} for a in d.attempt_log]})


def _hook(project: str, webhook_id: int):
    return webhook_service.get_webhook(project, request_actor(), webhook_id)


@route(W, "GET", summary="List webhooks", tag="webhooks", query=ws.PageQuery, response=ws.WebhookPage, need="admin")
def list_webhooks(project: str, query: dict[str, t.Any]):
    """The project's webhooks, newest first (maintainers and above)."""
    page = webhook_service.list_webhooks(project, request_actor(), **query)
    return jsonify({"items": [webhook_json(h) for h in page.items], "page": page.page,
                    "per_page": page.per_page, "total": page.total})


@route(W, "POST", summary="Create a webhook", tag="webhooks", body=ws.WebhookCreate, response=ws.Webhook, status=201,
       need="admin")
def create_webhook(project: str, body: dict[str, t.Any]):
    """The URL must be http(s) to a public address (unless private targets are allowed); the secret
    signs every delivery and is never shown again."""
    hook = webhook_service.create_webhook(project, request_actor(), **body)
    return jsonify(webhook_json(hook)), 201


@route(H, "GET", summary="Get a webhook", tag="webhooks", response=ws.Webhook, need="admin")
def get_webhook(project: str, webhook_id: int):
    return jsonify(webhook_json(webhook_service.webhook_view(_hook(project, webhook_id))))


@route(H, "PATCH", summary="Change a webhook (name, URL, events, secret, description, status)", tag="webhooks",
       body=ws.WebhookUpdate, response=ws.Webhook, need="admin")
def update_webhook(project: str, webhook_id: int, body: dict[str, t.Any]):
    """`status: DISABLED` stops deliveries (they wait); `ACTIVE` resumes them. `secret: ""` removes the secret."""
    data = dict(body)
    if "secret" in data and data["secret"] is None:
        data["secret"] = ""
    hook = webhook_service.update_webhook(project, request_actor(), _hook(project, webhook_id), **data)
    return jsonify(webhook_json(hook))


@route(H, "DELETE", summary="Delete a webhook and its delivery log", tag="webhooks", status=204, need="admin")
def delete_webhook(project: str, webhook_id: int):
    webhook_service.delete_webhook(project, request_actor(), _hook(project, webhook_id))
    return Response(status=204)


@route(H + "/test", "POST", summary="Send a test delivery now", tag="webhooks", body=ws.TestRequest,
       response=ws.TestResult, need="admin")
def test_webhook(project: str, webhook_id: int, body: dict[str, t.Any]):
    """Sends an example of `event` (default, with `{}`: the webhook's first event) and answers with
    the receiver's answer; the test is kept in the delivery log."""
    result = webhook_service.test_webhook(project, request_actor(), _hook(project, webhook_id), body.get("event"))
    answer = ws.TestResult(exclude=("delivery",)).dump({
        "success": result.success, "response_status": result.status, "response_body": result.body,
        "error_message": result.error, "duration_ms": result.duration_ms})
    answer["delivery"] = delivery_json(result.delivery)
    return jsonify(answer)


@route(H + "/deliveries", "GET", summary="The webhook's delivery log", tag="webhooks", query=ws.PageQuery,
       response=ws.DeliveryPage, need="admin")
def list_deliveries(project: str, webhook_id: int, query: dict[str, t.Any]):
    """Newest first; each delivery with its state and every attempt's time, status, duration and
    the first bytes of the answer."""
    page = webhook_service.list_deliveries(project, request_actor(), _hook(project, webhook_id), **query)
    return jsonify({"items": [delivery_json(d) for d in page.items], "page": page.page,
                    "per_page": page.per_page, "total": page.total})


@route(H + "/deliveries/<int:delivery>/redeliver", "POST", summary="Send a delivery again", tag="webhooks",
       response=ws.Delivery, status=202, need="admin")
def redeliver(project: str, webhook_id: int, delivery: int):
    """Queues the delivery again with the same delivery id and body; a deliverer sends it within seconds."""
    hook = _hook(project, webhook_id)
    found = webhook_service.get_delivery(project, request_actor(), hook, delivery)
    found = webhook_service.redeliver(project, request_actor(), hook, found)
    return jsonify(delivery_json(found)), 202
