"""MLflow's webhook API (``MlflowClient.create_webhook`` ... ``test_webhook``), answering as MLflow
3.17.2's server does, on the project's webhooks (maintainers and above: others get PERMISSION_DENIED).

MLflow names events ``{"entity": "MODEL_VERSION", "action": "CREATED"}`` and statuses ``ACTIVE`` /
``DISABLED``; a webhook's ``webhook_id`` is its id as a string. The registry's own events (which
the client's enums do not know) are left out of these answers and kept when the client changes
the event list.
"""
from __future__ import annotations

import typing as t

from ..errors import BadRequest, NotFound
from ..services import events as event_catalog
from ..services import webhooks as webhook_service
from ..services.search import decode_page_token, encode_page_token
from ..services.webhooks import WebhookView
from .protocol import Params, actor, compact, ok, project, to_millis
from .routing import API, route

HOOKS = API + "/webhooks"


def _event_name(item: t.Any) -> str:
    if isinstance(item, dict):
        entity, action = item.get("entity"), item.get("action")
        if isinstance(entity, str) and isinstance(action, str):
            name = f"{entity.lower()}.{action.lower()}"
            if name in event_catalog.MLFLOW_EVENTS:
                return name
    raise BadRequest(f"Invalid webhook event {item!r}")


def _events(p: Params) -> list[str] | None:
    if not p.has("events") or p.raw("events") in (None, []):
        return None
    items = p.raw("events")
    if not isinstance(items, list):
        raise BadRequest("Invalid value for parameter 'events' supplied: it must be a list")
    return [_event_name(item) for item in items]


def _status(p: Params) -> str | None:
    value = p.raw("status")
    if value in (None, ""):
        return None
    if value in (1, "1"):
        return "ACTIVE"
    if value in (2, "2"):
        return "DISABLED"
    return str(value)


def webhook_entity(hook: WebhookView) -> dict[str, t.Any]:
    shown = [e for e in hook.events if e in event_catalog.MLFLOW_EVENTS]
    return compact({
        "webhook_id": str(hook.id), "name": hook.name, "description": hook.description, "url": hook.url,
        "events": [{"entity": e.split(".")[0].upper(), "action": e.split(".")[1].upper()} for e in shown],
        "status": hook.status, "creation_timestamp": to_millis(hook.created_at),
        "last_updated_timestamp": to_millis(hook.updated_at)})


def _hook(webhook_id: str):
    """The webhook, a handle the door passes back to the services."""
    try:
        return webhook_service.get_webhook(project(), actor(), webhook_id)
    except NotFound:
        raise NotFound(f"Webhook with ID {webhook_id} not found.") from None


@route(HOOKS, "POST")
def create_webhook():
    p = Params.from_request()
    name, url = p.string("name", required=True), p.string("url", required=True)
    events = _events(p)
    if not events:
        raise BadRequest("Missing value for required parameter 'events'. "
                         "See the API docs for more information about request parameters.")
    hook = webhook_service.create_webhook(project(), actor(), name=name, url=url, events=events,
                                          secret=p.string("secret"), description=p.string("description") or "",
                                          status=_status(p) or "ACTIVE")
    return ok({"webhook": webhook_entity(hook)})


@route(HOOKS, "GET")
def list_webhooks():
    p = Params.from_request()
    max_results = p.integer("max_results") or 100
    if not 1 <= max_results <= 1000:
        raise BadRequest("max_results must be between 1 and 1000.")
    offset = decode_page_token(p.string("page_token"))
    hooks, total = webhook_service.webhooks_slice(project(), actor(), offset=offset, limit=max_results)
    token = None
    if offset + len(hooks) < total:
        token = encode_page_token(offset + max_results)
    shown = [webhook_entity(h) for h in hooks]
    return ok(compact({"webhooks": shown, "next_page_token": token}))


@route(HOOKS + "/<webhook_id>", "GET")
def get_webhook(webhook_id: str):
    return ok({"webhook": webhook_entity(webhook_service.webhook_view(_hook(webhook_id)))})


@route(HOOKS + "/<webhook_id>", "PATCH")
def update_webhook(webhook_id: str):
    p = Params.from_request()
    hook = _hook(webhook_id)
    events = _events(p)
    if events is not None:
        kept = webhook_service.webhook_view(hook).events
        events += [e for e in kept if e not in event_catalog.MLFLOW_EVENTS and e not in events]
    changes: dict[str, t.Any] = {}
    if p.has("secret") and p.raw("secret") is not None:
        changes["secret"] = p.string("secret") or ""
    hook = webhook_service.update_webhook(
        project(), actor(), hook, name=p.string("name") or None, url=p.string("url") or None, events=events,
        description=p.string("description") if p.has("description") else None, status=_status(p), **changes)
    return ok({"webhook": webhook_entity(hook)})


@route(HOOKS + "/<webhook_id>", "DELETE")
def delete_webhook(webhook_id: str):
    webhook_service.delete_webhook(project(), actor(), _hook(webhook_id))
    return ok()


@route(HOOKS + "/<webhook_id>/test", "POST")
def test_webhook(webhook_id: str):
    p = Params.from_request()
    hook = _hook(webhook_id)
    event = _event_name(p.raw("event")) if p.raw("event") else None
    result = webhook_service.test_webhook(project(), actor(), hook, event)
    error = result.error and f"Failed to test webhook: {result.error}"
    return ok({"result": compact({"success": result.success, "response_status": result.status,
                                  "response_body": result.body, "error_message": error})})
