"""Organisation names that settings and configs hold: departments, groups, categories, items.

A plugin's settings (a routing rule's group) or a connector instance's config (a web form's
department choices) may name organisation items by slug. The schema says which values do,
with a classmethod ``org_references(values)`` on its :class:`hub.sdk.ConfigSchema`, given
the values as stored (the schema's data keys: ``{"rules": [{"set": {"group": ...}}]}``),
answering :class:`OrgReference` values whose ``path`` leads to each name. The hub then

- refuses to store a name that does not exist (a field error at ``settings.<path>`` or
  ``config.<path>``; a name stored before and gone since is left for the admin to fix);
- counts the reference as a use of the item: deleting it is refused while it is named;
- rewrites the name when the item is renamed or merged into another;
- warns admins about a name that disappeared anyway (``hub_services.missing_references``),
  with the tickets a plugin counted as meeting it (``hub_services.count_missing_reference``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The kinds of item a setting may name, as a sentence reads them.
KINDS = {"department": "department", "group": "group", "category": "category", "ci": "configuration item",
         "user": "user"}


@dataclass(frozen=True)
class OrgReference:
    """One name of an organisation item held in settings or a config."""

    kind: str
    """``department``, ``group``, ``category``, ``ci`` (by key) or ``user`` (by username)."""
    name: str
    path: str
    """Where the name is, dotted, list positions included: ``rules.2.set.group``,
    ``policies.0.departments.1``."""
    owner: str
    """What names it, as a sentence reads it: ``routing rule night-shift``."""
    effect: str | None = None
    """What tickets meet while the item is missing, after "N tickets": ``went to the default
    group``; None where none is counted (a condition that simply never matches)."""


@dataclass(frozen=True)
class MissingReference:
    """A reference whose item no longer exists, and the tickets counted as meeting it."""

    source: str
    """The plugin, or the connector instance's slug, whose settings hold it."""
    reference: OrgReference
    tickets: int
    since: datetime | None
    """The first ticket counted (None: none yet)."""

    def sentence(self) -> str:
        ref = self.reference
        text = f"{ref.owner[:1].upper()}{ref.owner[1:]} names {KINDS.get(ref.kind, ref.kind)} {ref.name!r}, " \
               "which no longer exists"
        if ref.effect and self.tickets:
            noun = "ticket" if self.tickets == 1 else "tickets"
            since = f" since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
            text += f"; {self.tickets} {noun} {ref.effect}{since}"
        elif ref.effect:
            text += "; no ticket has met it yet"
        return text + "."


def named(kind: str, names: Iterable[Any], path: str, owner: str, effect: str | None = None) -> list[OrgReference]:
    """A reference for each non-empty name of a list held at ``path`` (``rules.0.when.departments``)."""
    return [OrgReference(kind, str(name), f"{path}.{position}", owner, effect)
            for position, name in enumerate(names or []) if name]


def one(kind: str, name: Any, path: str, owner: str, effect: str | None = None) -> list[OrgReference]:
    """A reference for the single name at ``path``, or none when it is empty."""
    return [OrgReference(kind, str(name), path, owner, effect)] if name else []
