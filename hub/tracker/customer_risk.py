"""Customers at risk: the rules that flag a customer, the flag with its reasons, clearing it.

Each rule is checked on the event that can make it true (hub.app.customer_risk_hooks): a new
ticket (complaints), a rating (a low score), a reopen, an SLA breach on a VIP, and the
periodic check for tickets nobody answered. A reason is keyed (``complaints``,
``low_score:INC-000042``), so the same evidence never flags twice, and only evidence newer
than the last clearing counts: an agent who cleared a flag with a note is not overruled by
the complaints they already weighed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import AuditEvent, Customer, CustomerOrganisation, CustomerRiskFlag, Ticket, User
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker.customer_admin import record
from hub.tracker.states import MACHINES

MAX_NOTE = 2000
QUIET_BATCH = 500


@dataclass(frozen=True)
class RiskRules:
    """The thresholds; 0 (or False) turns a rule off."""

    complaints: int = 3
    complaint_days: int = 30
    low_score: int = 2
    reopens: int = 2
    vip_breach: bool = True
    quiet_days: int = 5

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> RiskRules:
        known = cls.__dataclass_fields__
        return cls(**{name: value for name, value in values.items() if name in known})


def _reason(rule: str, key: str, text: str, ref: str | None, at: datetime) -> dict[str, Any]:
    return {"rule": rule, "key": key, "text": text, "ref": ref, "at": at.isoformat()}


def open_flag(session: Session, customer_id: int) -> CustomerRiskFlag | None:
    return session.scalar(select(CustomerRiskFlag).where(CustomerRiskFlag.customer_id == customer_id,
                                                         CustomerRiskFlag.cleared_at.is_(None)).limit(1))


def _last_cleared(session: Session, customer_id: int) -> datetime | None:
    return session.scalar(select(func.max(CustomerRiskFlag.cleared_at))
                          .where(CustomerRiskFlag.customer_id == customer_id))


def _seen_keys(session: Session, customer_id: int) -> set[str]:
    rows = session.scalars(select(CustomerRiskFlag.reasons).where(CustomerRiskFlag.customer_id == customer_id))
    return {str(reason.get("key")) for reasons in rows for reason in reasons or []}


def is_vip(session: Session, customer: Customer) -> bool:
    if customer.vip:
        return True
    if customer.organisation_id is None:
        return False
    organisation = session.get(CustomerOrganisation, customer.organisation_id)
    return bool(organisation and organisation.vip)


# -- the rules: each answers the reason it finds for one ticket's customer, or None --------------


def complaints_reason(session: Session, ticket: Ticket, rules: RiskRules) -> dict[str, Any] | None:
    if not rules.complaints or not rules.complaint_days or ticket.customer_id is None:
        return None
    now = runtime_of(session).now()
    since = now - timedelta(days=rules.complaint_days)
    # One statement on the ingest path: the count from the window's start or the last clearing.
    cleared = (select(func.max(CustomerRiskFlag.cleared_at))
               .where(CustomerRiskFlag.customer_id == ticket.customer_id).scalar_subquery())
    count = session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.customer_id == ticket.customer_id, Ticket.created_at >= since,
        Ticket.created_at > func.coalesce(cleared, since - timedelta(seconds=1))))
    if int(count or 0) < rules.complaints:
        return None
    last = _last_cleared(session, ticket.customer_id)
    return _reason("complaints", f"complaints:{last.isoformat() if last else 'first'}",
                   f"{count} tickets in {rules.complaint_days} days", ticket.ref, now)


def score_reason(session: Session, ticket: Ticket, rules: RiskRules) -> dict[str, Any] | None:
    if not rules.low_score or ticket.csat_score is None or ticket.csat_score > rules.low_score:
        return None
    return _reason("low_score", f"low_score:{ticket.ref}", f"Rated {ticket.ref} {ticket.csat_score} of 5",
                   ticket.ref, runtime_of(session).now())


def reopen_reason(session: Session, ticket: Ticket, rules: RiskRules) -> dict[str, Any] | None:
    if not rules.reopens or ticket.customer_id is None:
        return None
    cleared = _last_cleared(session, ticket.customer_id)
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.ticket_id == ticket.id,
                                                               AuditEvent.action == "reopened")
    if cleared is not None:
        query = query.where(AuditEvent.at > cleared)
    count = int(session.scalar(query) or 0)
    if count < rules.reopens:
        return None
    return _reason("reopened", f"reopened:{ticket.ref}:{count}", f"{ticket.ref} was reopened {count} times",
                   ticket.ref, runtime_of(session).now())


def breach_reason(session: Session, ticket: Ticket, target: str, rules: RiskRules) -> dict[str, Any] | None:
    if not rules.vip_breach or ticket.customer_id is None:
        return None
    customer = session.get(Customer, ticket.customer_id)
    if customer is None or not is_vip(session, customer):
        return None
    return _reason("vip_breach", f"vip_breach:{ticket.ref}:{target}",
                   f"{ticket.ref} missed its {target} target for a VIP", ticket.ref, runtime_of(session).now())


def quiet_tickets(session: Session, rules: RiskRules) -> list[Ticket]:
    """Open incidents of a customer nobody answered for ``quiet_days`` (no first response yet)."""
    if not rules.quiet_days:
        return []
    before = runtime_of(session).now() - timedelta(days=rules.quiet_days)
    query = (select(Ticket).where(Ticket.kind == "incident", Ticket.customer_id.is_not(None),
                                  Ticket.status.in_(MACHINES["incident"].open_states),
                                  Ticket.first_response_at.is_(None), Ticket.created_at <= before)
             .order_by(Ticket.created_at).limit(QUIET_BATCH))
    return list(session.scalars(query))


def quiet_reason(session: Session, ticket: Ticket, rules: RiskRules) -> dict[str, Any]:
    return _reason("no_answer", f"no_answer:{ticket.ref}",
                   f"{ticket.ref} has had no answer for {rules.quiet_days} days", ticket.ref,
                   runtime_of(session).now())


# -- the flag ------------------------------------------------------------------------------------


def raise_flag(session: Session, customer_id: int, reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flag the customer with these reasons (or add them to the open flag); returns the reasons
    that are new, so the owner hears of each once."""
    seen = _seen_keys(session, customer_id)
    new = [reason for reason in reasons if reason["key"] not in seen]
    if not new:
        return []
    flag = open_flag(session, customer_id)
    if flag is None:
        flag = CustomerRiskFlag(customer_id=customer_id, raised_at=runtime_of(session).now(), reasons=[])
        session.add(flag)
    flag.reasons = [*flag.reasons, *new]  # a new list: the JSON column sees the change
    record(session, customer_id, "at_risk", Actor(type="system", name="Risk rules", origin="risk-rules"),
           {"reasons": [reason["text"] for reason in new]})
    session.flush()
    return new


def clear_flag(*, session: Session, customer: Customer, actor: Actor, note: str) -> CustomerRiskFlag:
    """Clear the customer's flag; a note saying why is required (it goes to the audit)."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed({"note": ["Say why the customer is no longer at risk."]})
    if len(note) > MAX_NOTE:
        raise ValidationFailed({"note": [f"At most {MAX_NOTE} characters."]})
    flag = open_flag(session, customer.id)
    if flag is None:
        raise Conflict("This customer is not flagged at risk.")
    flag.cleared_at, flag.cleared_by, flag.clear_note = runtime_of(session).now(), actor.name[:200], note
    record(session, customer.id, "risk_cleared", actor, {"reasons": [r.get("text") for r in flag.reasons]}, note)
    session.flush()
    return flag


def owner_usernames(session: Session, customer: Customer) -> list[str]:
    """Who hears of the flag: the customer's owner, else their owner group's agents."""
    from hub.models import Group
    from hub.tracker.group_members import members_of

    if customer.owner_user_id is not None:
        user = session.get(User, customer.owner_user_id)
        return [user.username] if user is not None and user.active else []
    group = session.get(Group, customer.owner_group_id) if customer.owner_group_id is not None else None
    return [user.username for user in members_of(session, group) if user.active] if group is not None else []


def flags_by_customer(session: Session, customer_ids: list[int]) -> dict[int, CustomerRiskFlag]:
    """The open flags of these customers (one statement, for a list page)."""
    if not customer_ids:
        return {}
    rows = session.scalars(select(CustomerRiskFlag).where(CustomerRiskFlag.customer_id.in_(customer_ids),
                                                          CustomerRiskFlag.cleared_at.is_(None)))
    return {flag.customer_id: flag for flag in rows}


def at_risk_trend(session: Session, *, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """Per day in [start, end): how many customers were flagged at risk at that day's end."""
    rows = session.execute(select(CustomerRiskFlag.raised_at, CustomerRiskFlag.cleared_at)
                           .where(CustomerRiskFlag.raised_at < end)
                           .where((CustomerRiskFlag.cleared_at.is_(None)) | (CustomerRiskFlag.cleared_at >= start)))
    flags = list(rows)
    days: list[tuple[str, int]] = []
    day = start
    while day < end:
        close = day + timedelta(days=1)
        days.append((day.date().isoformat(),
                     sum(1 for raised, cleared in flags if raised < close and (cleared is None or cleared >= close))))
        day = close
    return days
