"""Who or what makes a change. Every audit event and every outbound echo check reads this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The author of a change and the channel it came through.

    ``instance_id`` is set when the change came from a connector instance; updates are
    never sent back to that instance (echo suppression).
    """

    type: str
    """``user``, ``token``, ``connector``, ``plugin``, ``requester`` or ``system``."""
    name: str
    origin: str
    """``api``, ``ui``, ``cli``, ``connector:<instance slug>``, ``plugin:<name>``, ``status-page``."""
    id: str | None = None
    user_id: int | None = None
    instance_id: int | None = None
    role: str | None = None

    @classmethod
    def system(cls, name: str = "system", origin: str = "system") -> Actor:
        return cls(type="system", name=name, origin=origin)

    @classmethod
    def plugin(cls, name: str) -> Actor:
        return cls(type="plugin", name=name, origin=f"plugin:{name}", id=name)

    @classmethod
    def connector(cls, *, instance_id: int, instance_slug: str, name: str | None = None) -> Actor:
        return cls(
            type="connector",
            name=name or instance_slug,
            origin=f"connector:{instance_slug}",
            id=str(instance_id),
            instance_id=instance_id,
        )

    @classmethod
    def requester(cls, name: str, origin: str = "status-page") -> Actor:
        return cls(type="requester", name=name, origin=origin)
