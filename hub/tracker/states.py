"""The lifecycles of incidents, changes and problems, as data, checked by one mechanism."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.sdk.tracker_errors import IllegalTransition


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


Guard = Callable[[Any], str | None]
"""Looks at the ticket; returns why the move is refused, or None to allow it."""


@dataclass(frozen=True)
class StateMachine:
    kind: str
    initial: str
    moves: Mapping[str, tuple[str, ...]]
    """For each state, the states it may move to, in the order a UI offers them."""
    guards: Mapping[tuple[str, str], Guard] = field(default_factory=dict)
    open_states: frozenset[str] = frozenset()
    """States in which the work is not finished (for backlog and correlation)."""

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.moves)

    @property
    def final_states(self) -> tuple[str, ...]:
        return tuple(state for state, targets in self.moves.items() if not targets)

    def allowed(self, current: str, ticket: Any = None) -> list[str]:
        targets = self.moves.get(current, ())
        if ticket is None:
            return list(targets)
        return [to for to in targets if self._refusal(current, to, ticket) is None]

    def _refusal(self, current: str, to: str, ticket: Any) -> str | None:
        guard = self.guards.get((current, to))
        return guard(ticket) if guard else None

    def check(self, current: str, to: str, ticket: Any = None) -> None:
        """Raise IllegalTransition unless ``current -> to`` is allowed for this ticket."""
        if to not in self.moves:
            raise IllegalTransition(
                self.kind, current, to, self.allowed(current, ticket),
                reason=f"'{to}' is not {article(self.kind)} {self.kind} state. States: {', '.join(self.states)}.",
            )
        if to not in self.moves.get(current, ()):
            raise IllegalTransition(self.kind, current, to, self.allowed(current, ticket))
        refusal = self._refusal(current, to, ticket) if ticket is not None else None
        if refusal:
            raise IllegalTransition(self.kind, current, to, self.allowed(current, ticket), reason=refusal)


INCIDENT = StateMachine(
    kind="incident",
    initial="new",
    moves={
        "new": ("acknowledged", "in_progress", "on_hold", "resolved", "cancelled"),
        "acknowledged": ("in_progress", "on_hold", "resolved", "cancelled"),
        "in_progress": ("on_hold", "resolved", "cancelled"),
        "on_hold": ("in_progress", "resolved", "cancelled"),
        "resolved": ("closed", "in_progress"),  # in_progress here is a reopen
        "closed": (),
        "cancelled": (),
    },
    open_states=frozenset({"new", "acknowledged", "in_progress", "on_hold"}),
)


def _needs_standard_type(ticket: Any) -> str | None:
    if getattr(ticket, "change_type", None) == "standard":
        return None
    return "Only a standard (pre-approved) change skips assessment; send it to 'assessment'."


def _needs_emergency_type(ticket: Any) -> str | None:
    if getattr(ticket, "change_type", None) == "emergency":
        return None
    return "Only an emergency change is implemented before it is approved; it is approved after the fact."


CHANGE = StateMachine(
    kind="change",
    initial="draft",
    moves={
        "draft": ("submitted", "cancelled"),
        "submitted": ("assessment", "approved", "implementing", "draft", "cancelled"),
        "assessment": ("approved", "rejected", "implementing", "draft", "cancelled"),
        "approved": ("scheduled", "cancelled"),
        "rejected": ("draft",),  # a rejected change may be reworked and submitted again
        "scheduled": ("implementing", "cancelled"),
        "implementing": ("review", "failed", "backed_out"),
        "review": ("closed", "failed", "backed_out"),
        "failed": (),
        "backed_out": (),
        "closed": (),
        "cancelled": (),
    },
    # An emergency change may be carried out at once and approved after the fact (hub.tracker.approvals).
    guards={("submitted", "approved"): _needs_standard_type, ("submitted", "implementing"): _needs_emergency_type,
            ("assessment", "implementing"): _needs_emergency_type},
    open_states=frozenset(
        {"draft", "submitted", "assessment", "approved", "rejected", "scheduled", "implementing", "review"}
    ),
)

def _needs_workaround(ticket: Any) -> str | None:
    if (getattr(ticket, "workaround", None) or "").strip():
        return None
    return "A known error needs its workaround: write it first (agents are shown it on each matching incident)."


def _needs_root_cause(ticket: Any) -> str | None:
    if (getattr(ticket, "root_cause", None) or "").strip():
        return None
    return "Name the root cause before resolving the problem."


PROBLEM = StateMachine(
    kind="problem",
    initial="new",
    moves={
        "new": ("investigating", "cancelled"),
        "investigating": ("known_error", "resolved", "cancelled"),
        # A known error is understood and has a workaround; its fix may still be under way.
        "known_error": ("resolved", "investigating"),
        "resolved": ("closed", "investigating"),  # investigating here is a reopen: the fault came back
        "closed": (),
        "cancelled": (),
    },
    guards={("investigating", "known_error"): _needs_workaround,
            ("investigating", "resolved"): _needs_root_cause,
            ("known_error", "resolved"): _needs_root_cause},
    open_states=frozenset({"new", "investigating", "known_error"}),
)

MACHINES: dict[str, StateMachine] = {"incident": INCIDENT, "change": CHANGE, "problem": PROBLEM}

#: The kinds requesters and sources open, which service reports count (volume, MTTA, SLA, backlog).
#: A problem is the agents' own record of a cause behind incidents: reported on its own.
SERVICE_KINDS = ("incident", "change")

REF_PREFIX = {"incident": "INC", "change": "CHG", "problem": "PRB"}
KIND_BY_PREFIX = {prefix: kind for kind, prefix in REF_PREFIX.items()}

#: States in which a ticket counts as resolved for SLA and reporting.
RESOLVED_STATES = frozenset({"resolved", "closed"})


def format_ref(kind: str, number: int) -> str:
    return f"{REF_PREFIX[kind]}-{number:06d}"


def kind_of_ref(ref: str) -> str | None:
    prefix, _, digits = ref.partition("-")
    return KIND_BY_PREFIX.get(prefix.upper()) if (digits.isascii() and digits.isdigit()) else None
