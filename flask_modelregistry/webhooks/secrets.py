"""Webhook secrets, encrypted at rest with Fernet (AES-128-CBC and HMAC-SHA256, from ``cryptography``).

The key is derived with HKDF-SHA256 from ``MODEL_REGISTRY_WEBHOOK_SECRET_KEY``, or from the app's
``SECRET_KEY`` when that is not set, so a copy of the database alone does not reveal the secrets.
Every process of one deployment must share that setting; after a change of it the stored
secrets cannot be read, and their deliveries fail with a message saying so until each webhook
is given its secret again.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..config import config_value

_INFO = b"flask-modelregistry webhook secrets v1"


class SecretUnreadable(Exception):
    """The stored secret was encrypted with another key."""


def _fernet(app=None) -> Fernet:  # noqa: ANN001
    app = app or current_app
    material = config_value("WEBHOOK_SECRET_KEY", app) or app.config.get("SECRET_KEY")
    if not material:
        raise RuntimeError("Webhook secrets need SECRET_KEY or MODEL_REGISTRY_WEBHOOK_SECRET_KEY to be set.")
    if isinstance(material, str):
        material = material.encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt(token: str, app=None) -> str:  # noqa: ANN001
    try:
        return _fernet(app).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise SecretUnreadable("the webhook's secret cannot be decrypted with this app's key "
                               "(SECRET_KEY or MODEL_REGISTRY_WEBHOOK_SECRET_KEY changed); set the secret again") from None
