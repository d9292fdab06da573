"""Who is acting: a host user through a session or a token, the CLI, or nobody."""
from __future__ import annotations

import dataclasses
import typing as t

from ..state import MAX_NAME_LENGTH, current_state


@dataclasses.dataclass(frozen=True)
class Actor:
    #: the host's user object, or None
    user: t.Any
    user_id: str | None
    name: str | None
    #: "session", "token", "anonymous" or "system" (CLI, seed: every check passes)
    via: str
    #: "api" or "read_api" for tokens; None for sessions (full access)
    scope: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def login_name(self) -> str | None:
        """The name the user logs in with (what MLflow shows as a run's ``user_id``)."""
        username = getattr(self.user, "username", None)
        return str(username)[:MAX_NAME_LENGTH] if username else self.name

    @property
    def is_system(self) -> bool:
        return self.via == "system"

    @property
    def read_only(self) -> bool:
        return self.scope == "read_api"

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user=None, user_id=None, name=None, via="anonymous")

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(user=None, user_id=None, name=name, via="system")


def display_name(user: t.Any) -> str:
    """The name shown as author, as the host's callbacks give it (:meth:`HostCallbacks.display_name`)."""
    return current_state().host.display_name(user)


def actor_for_user(user: t.Any, *, via: str, scope: str | None = None) -> Actor:
    return Actor(user=user, user_id=str(user.get_id()), name=display_name(user), via=via, scope=scope)
