"""Personal access tokens: shown once, stored as SHA-256, with a scope and an expiry."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from ..errors import Invalid
from ..models import AccessToken, utcnow
from .common import row_id, session, unit_of_work

TOKEN_PREFIX = "mrt_"
SCOPES = ("api", "read_api")
_TOUCH_EVERY = dt.timedelta(minutes=5)


@dataclasses.dataclass(frozen=True)
class TokenGrant:
    """What a valid token grants: acting as its user, within its scope."""

    user_id: str
    scope: str


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@unit_of_work
def create_token(user_id: str, *, name: str = "", scope: str = "api",
                 expires_in_days: int | None = None) -> tuple[AccessToken, str]:
    """Create a token; the secret is returned once and never stored."""
    if scope not in SCOPES:
        raise Invalid("unknown scope", fields={"scope": "Must be api or read_api."})
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise Invalid("bad expiry", fields={"expires_in_days": "Must be between 1 and 3650."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    token = AccessToken(user_id=str(user_id), name=name[:255], token_hash=hash_token(secret), scope=scope,
                        expires_at=expires)
    s = session()
    s.add(token)
    return token, secret


def find_token(secret: str) -> TokenGrant | None:
    """What the valid token with this secret grants, or None (unknown, expired or revoked)."""
    if not secret or len(secret) > 512:
        return None
    token = session().scalar(sa.select(AccessToken).where(AccessToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    grant = TokenGrant(user_id=token.user_id, scope=token.scope)
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        token.last_used_at = now
        try:
            session().commit()
        except Exception:  # a busy database must not fail the request for a timestamp
            session().rollback()
    return grant


def list_tokens(user_id: str) -> list[AccessToken]:
    return list(session().scalars(sa.select(AccessToken).where(AccessToken.user_id == str(user_id))
                                  .order_by(AccessToken.id.desc())))


@unit_of_work
def revoke_token(user_id: str, token_id: int) -> bool:
    """Revoke one of the user's tokens; False when the user has no such active token."""
    number = row_id(token_id)
    if number is None:  # no token has it (and PostgreSQL refuses an id beyond its integer column)
        return False
    s = session()
    token = s.get(AccessToken, number)
    if token is None or token.user_id != str(user_id) or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True
