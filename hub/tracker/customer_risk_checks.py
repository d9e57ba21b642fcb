"""Running the risk rules on an event and telling the customer's owner.

The owner hears through the agent-notify plugin's ``agent_event_raised`` (event
``customer_at_risk``, which agents choose channels for like any other); with that plugin
off, the flag is still raised and shown, and nobody is mailed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Customer, Ticket
from hub.tracker import customer_risk as risk
from hub.tracker.tickets import notify

EVENT = "customer_at_risk"


def check_ticket(session: Session, ticket: Ticket, rule: str, rules: risk.RiskRules,
                 target: str = "") -> list[dict[str, Any]]:
    """Run one rule for the ticket's customer; flag and tell the owner when it holds. Returns new reasons."""
    if ticket.customer_id is None:
        return []
    if rule == "complaints":
        found = risk.complaints_reason(session, ticket, rules)
    elif rule == "low_score":
        found = risk.score_reason(session, ticket, rules)
    elif rule == "reopened":
        found = risk.reopen_reason(session, ticket, rules)
    elif rule == "vip_breach":
        found = risk.breach_reason(session, ticket, target, rules)
    elif rule == "no_answer":
        found = risk.quiet_reason(session, ticket, rules)
    else:
        raise ValueError(f"no risk rule {rule!r}")
    if found is None:
        return []
    new = risk.raise_flag(session, ticket.customer_id, [found])
    if new:
        tell_owners(session, ticket, new)
    return new


def check_quiet(session: Session, rules: risk.RiskRules) -> int:
    """The periodic check: flag the customers of tickets nobody answered; returns how many reasons were new."""
    return sum(len(check_ticket(session, ticket, "no_answer", rules)) for ticket in risk.quiet_tickets(session, rules))


def tell_owners(session: Session, ticket: Ticket, reasons: list[dict[str, Any]]) -> None:
    plugins = runtime_of(session).plugins
    if "agent_event_raised" not in plugins.declared_hooks:
        return  # the agent-notify plugin is not loaded: the page shows the flag, nobody is mailed
    customer = session.get(Customer, ticket.customer_id)
    if customer is None:
        return
    names = risk.owner_usernames(session, customer)
    if not names:
        return
    who = customer.display_name or f"Customer {customer.id}"
    text = f"{who} is at risk: " + "; ".join(str(reason["text"]) for reason in reasons)
    notify(session, "agent_event_raised", ticket=ticket, event=EVENT, text=text, usernames=names, actor=None)
