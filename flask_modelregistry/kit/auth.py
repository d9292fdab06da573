"""Identify the caller of a request: a token (Bearer, Basic, PRIVATE-TOKEN) or the host's session.

A request that presents a token is judged by the token alone: a bad token is refused even if a
session cookie is present. Session-authenticated writes to the APIs must carry a CSRF token
(the pages' scripts send it as ``X-CSRFToken``); token-authenticated ones need none.
"""
from __future__ import annotations

import base64
import binascii

from flask import request
from flask_login import current_user

from ..errors import Forbidden, Unauthenticated
from ..services import tokens as token_service
from ..services.identity import Actor, actor_for_user
from ..state import current_state

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_ACTOR_KEY = "model_registry.actor"


def token_from_headers() -> str | None:
    """The token the request presents, or None. Raises on a malformed Authorization header."""
    private = request.headers.get("PRIVATE-TOKEN")
    if private:
        return private.strip()
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return value
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise Unauthenticated("malformed Basic credentials") from None
        _user, sep, password = decoded.partition(":")
        if not sep or not password:
            raise Unauthenticated("Basic credentials need a token as the password")
        return password
    raise Unauthenticated("unsupported Authorization scheme; use Bearer, Basic or PRIVATE-TOKEN")


def request_actor() -> Actor:
    """The actor of this request, computed once."""
    cached = request.environ.get(_ACTOR_KEY)
    if cached is not None:
        return cached
    secret = token_from_headers()
    if secret is not None:
        token = token_service.find_token(secret)
        if token is None:
            raise Unauthenticated("invalid, expired or revoked token")
        user = current_state().host.load_user(token.user_id)
        if user is None or not getattr(user, "is_active", True):
            raise Unauthenticated("the token's user no longer exists or is inactive")
        actor = actor_for_user(user, via="token", scope=token.scope)
    elif current_user and current_user.is_authenticated:
        actor = actor_for_user(current_user._get_current_object(), via="session")
    else:
        actor = Actor.anonymous()
    request.environ[_ACTOR_KEY] = actor  # per request, even when tests share an app context
    return actor


def check_session_csrf(actor: Actor) -> None:
    """Unsafe API calls made with the browser session must prove they come from our pages."""
    if actor.via != "session" or request.method in SAFE_METHODS:
        return
    from flask_wtf.csrf import CSRFError, validate_csrf

    token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token")
    try:
        validate_csrf(token)
    except (CSRFError, Exception) as exc:  # ValidationError from wtforms
        raise Forbidden(f"CSRF token missing or invalid: {exc}") from None
