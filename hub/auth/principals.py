"""Who is calling, and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass

from hub.sdk.actors import Actor

#: What each role may do. Views name a permission, never a role, so a role can change
#: without touching views; tests/hub/api/test_authorization.py checks the whole matrix.
#: Every permission here is checked by some view (tests/hub/test_permissions.py). Events
#: from other systems need none: a webhook carries its instance's own signature or token.
#: ``customers:*`` is the people tickets come from (not a connector's: it needs tickets only);
#: ``privacy`` exports and erases a person's data. ``profile`` is one's own display name,
#: time zone and language (a user's token or session).
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"tickets:read", "tickets:create", "tickets:write", "org:read", "org:write", "admin",
                        "profile", "customers:read", "customers:write", "privacy"}),
    "agent": frozenset({"tickets:read", "tickets:create", "tickets:write", "org:read", "profile",
                        "customers:read", "customers:write"}),
    "connector": frozenset({"tickets:read", "tickets:create", "tickets:write", "org:read", "profile"}),
    "requester": frozenset({"tickets:create", "tickets:read:own", "org:read", "profile"}),
}
ROLE_ORDER = ("requester", "connector", "agent", "admin")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user (through a session or a token) or a bare token."""

    role: str
    name: str
    user_id: int | None = None
    token_id: int | None = None
    email: str | None = None
    via: str = "token"
    """``token`` or ``session``."""
    timezone: str = "UTC"
    """The user's IANA zone: pages show times in it."""
    language: str = "en"
    """The user's language tag: the agents' pages speak it where they have a catalogue for it."""

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def actor(self, origin: str) -> Actor:
        if self.user_id is not None:
            return Actor(type="user", name=self.name, origin=origin, id=str(self.user_id),
                         user_id=self.user_id, role=self.role)
        return Actor(type="token", name=self.name, origin=origin, id=f"token:{self.token_id}", role=self.role)
