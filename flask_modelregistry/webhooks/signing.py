"""MLflow's webhook headers and signature, so a receiver written for MLflow verifies ours unchanged.

``X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret, "{delivery_id}.{timestamp}.{body}")>``, with
``X-MLflow-Delivery-Id`` (the same on every attempt of a delivery) and ``X-MLflow-Timestamp``
(Unix seconds of this attempt, so receivers that refuse old timestamps accept a late retry).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
SIGNATURE_HEADER = "X-MLflow-Signature"
SIGNATURE_VERSION = "v1"


def signature(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    signed = f"{delivery_id}.{timestamp}.{body}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def headers(delivery_id: str, body: str, secret: str | None, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    out = {"Content-Type": "application/json", DELIVERY_ID_HEADER: delivery_id, TIMESTAMP_HEADER: timestamp,
           "User-Agent": "flask-modelregistry-webhooks"}
    if secret:
        out[SIGNATURE_HEADER] = signature(secret, delivery_id, timestamp, body)
    return out


def verify(secret: str, delivery_id: str, timestamp: str, body: str, header: str) -> bool:
    """What a receiver does (used by the tests and shown in the README)."""
    return hmac.compare_digest(signature(secret, delivery_id, timestamp, body), header)
