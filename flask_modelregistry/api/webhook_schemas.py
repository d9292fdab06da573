"""Schemas of the JSON API's webhook routes."""
from __future__ import annotations

from marshmallow import fields, validate

from ..services.events import EVENTS
from .schemas import _Base

_EVENT = fields.String(validate=validate.OneOf(EVENTS))
_STATUS = fields.String(validate=validate.OneOf(("ACTIVE", "DISABLED")))


class WebhookCreate(_Base):
    name = fields.String(required=True, metadata={"description": "1-63 letters, digits, . _ - (MLflow's rule)",
                                                  "example": "deploy-on-champion"})
    url = fields.String(required=True, metadata={"description": "http or https URL of a public address",
                                                 "example": "https://ci.example.com/hooks/registry"})
    events = fields.List(_EVENT, required=True, validate=validate.Length(min=1),
                         metadata={"description": "Events to send: " + ", ".join(EVENTS)})
    secret = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "Signs each delivery (X-MLflow-Signature); never shown again"})
    description = fields.String(load_default="")
    status = _STATUS


class WebhookUpdate(_Base):
    name = fields.String()
    url = fields.String()
    events = fields.List(_EVENT, validate=validate.Length(min=1))
    secret = fields.String(allow_none=True, metadata={"description": "A new secret; \"\" or null removes it"})
    description = fields.String()
    status = _STATUS


class Webhook(_Base):
    id = fields.Integer()
    name = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String()
    status = _STATUS
    has_secret = fields.Boolean(metadata={"description": "Whether deliveries are signed (the secret is never shown)"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class WebhookPage(_Base):
    items = fields.List(fields.Nested(Webhook))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class PageQuery(_Base):
    page = fields.Integer(load_default=None, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1))


class TestRequest(_Base):
    event = _EVENT


class Attempt(_Base):
    attempted_at = fields.DateTime()
    status = fields.Integer(allow_none=True, metadata={"description": "The receiver's HTTP status; null when "
                                                                      "no answer came (see error)"})
    duration_ms = fields.Integer()
    response_head = fields.String(metadata={"description": "The first 1,024 bytes of the answer"})
    error = fields.String()


class Delivery(_Base):
    id = fields.Integer()
    delivery_id = fields.String(metadata={"description": "X-MLflow-Delivery-Id, the same on every attempt"})
    event = fields.String()
    state = fields.String(validate=validate.OneOf(("pending", "delivered", "failed")))
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    is_test = fields.Boolean()
    payload = fields.Raw(metadata={"description": "The body sent: {entity, action, timestamp, data}"})
    attempt_log = fields.List(fields.Nested(Attempt))


class DeliveryPage(_Base):
    items = fields.List(fields.Nested(Delivery))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class TestResult(_Base):
    success = fields.Boolean()
    response_status = fields.Integer(allow_none=True)
    response_body = fields.String()
    error_message = fields.String()
    duration_ms = fields.Integer()
    delivery = fields.Nested(Delivery)
