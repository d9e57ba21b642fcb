"""The lifecycle timestamps a ticket keeps (acknowledged, first response, resolved, closed)
and who may set them: what MTTA, MTTR and the SLA response share are measured from."""

from __future__ import annotations

from datetime import datetime

from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.tracker.states import MACHINES

#: Who acts as a person: a signed-in user, or an API token a person or their tool holds.
PEOPLE = frozenset({"user", "token"})
#: States that say "someone has taken this on", whoever sets them (a synced remote team).
TAKEN_ON = frozenset({"acknowledged", "in_progress"})


def acknowledges(actor: Actor, status: str) -> bool:
    """Whether this move is an acknowledgement MTTA and the response target may count.

    A person's move out of ``new`` is; so is any move to a state that says the ticket was
    taken on (a connector syncing a remote team's "in progress"). A connector's auto-clear
    (an alarm gone, ``resolved``), a plugin's or the system's move is not: otherwise an
    alarm's "time to acknowledge" is how long it lasted, and an unattended ticket closed by
    a timer looks answered.
    """
    return status != "new" and (actor.type in PEOPLE or status in TAKEN_ON)


#: Kinds with a ``resolved`` state, whose resolution time MTTR and the problem figures read.
RESOLVING_KINDS = frozenset({"incident", "problem"})


def stamp(ticket: Ticket, status: str, now: datetime, actor: Actor) -> None:
    """Keep the lifecycle timestamps true to the state the ticket is now in."""
    if ticket.kind == "incident" and ticket.acknowledged_at is None and acknowledges(actor, status):
        ticket.acknowledged_at = now
        ticket.first_response_at = ticket.first_response_at or now
    if ticket.kind in RESOLVING_KINDS:
        if status == "resolved":
            ticket.resolved_at = now
        elif status in MACHINES[ticket.kind].open_states:
            ticket.resolved_at = None  # reopened
    if status in MACHINES[ticket.kind].final_states:
        ticket.closed_at = now
        if status == "closed" and ticket.resolved_at is None and ticket.kind in RESOLVING_KINDS:
            ticket.resolved_at = now
