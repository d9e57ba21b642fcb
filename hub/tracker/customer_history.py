"""What the customer page shows: every ticket of one person with its SLA outcome, their
satisfaction over time, how many are open and how long since they were last heard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import Comment, Customer, CustomerIdentity, CustomerOrganisation, Group, Ticket, User
from hub.tracker.states import MACHINES

#: Tickets listed on one page; the API pages through the rest.
HISTORY_LIMIT = 200
_OPEN = sorted(MACHINES["incident"].open_states | MACHINES["change"].open_states)


@dataclass(frozen=True)
class TicketLine:
    ref: str
    kind: str
    title: str
    status: str
    source: str
    created_at: datetime
    resolved_at: datetime | None
    sla: str
    """``breached``, ``met``, ``running`` or ``none`` (no target)."""
    csat_score: int | None
    csat_comment: str | None


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    identities: list[CustomerIdentity]
    organisation: str | None
    owner: str | None
    owner_group: str | None
    tickets: list[TicketLine]
    open_count: int
    ticket_count: int
    last_contact_at: datetime | None
    satisfaction: list[TicketLine] = field(default_factory=list)

    @property
    def csat_average(self) -> float | None:
        scores = [line.csat_score for line in self.satisfaction if line.csat_score is not None]
        return round(sum(scores) / len(scores), 2) if scores else None


def sla_outcome(ticket: Any) -> str:
    """How the ticket did against its targets."""
    if ticket.sla_breached_at is not None:
        return "breached"
    if ticket.response_due_at is None and ticket.resolve_due_at is None:
        return "none"
    return "met" if ticket.resolved_at is not None else "running"


def ticket_lines(session: Session, customer_id: int, *, before: int | None = None,
                 limit: int = HISTORY_LIMIT) -> list[TicketLine]:
    """The customer's tickets newest first (keyset on id, which follows creation)."""
    query = select(Ticket).where(Ticket.customer_id == customer_id)
    if before is not None:
        query = query.where(Ticket.id < before)
    rows = session.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))
    return [TicketLine(ref=t.ref, kind=t.kind, title=t.title, status=t.status, source=t.source,
                       created_at=t.created_at, resolved_at=t.resolved_at, sla=sla_outcome(t),
                       csat_score=t.csat_score, csat_comment=t.csat_comment) for t in rows]


def last_contact(session: Session, customer_id: int) -> datetime | None:
    """When the person last wrote: a new ticket or a reply of theirs on one."""
    opened = session.scalar(select(func.max(Ticket.created_at)).where(Ticket.customer_id == customer_id))
    replied = session.scalar(select(func.max(Comment.created_at)).join(Ticket, Ticket.id == Comment.ticket_id)
                             .where(Ticket.customer_id == customer_id, Comment.author_type == "requester"))
    moments = [moment for moment in (opened, replied) if moment is not None]
    return max(moments) if moments else None


def customer_view(session: Session, customer: Customer) -> CustomerView:
    """Everything the customer page and the API's detail show, in a handful of queries."""
    identities = list(session.scalars(select(CustomerIdentity).where(CustomerIdentity.customer_id == customer.id)
                                      .order_by(CustomerIdentity.kind, CustomerIdentity.value)))
    lines = ticket_lines(session, customer.id)
    counts = session.execute(select(func.count(), func.count().filter(Ticket.status.in_(_OPEN)))
                             .where(Ticket.customer_id == customer.id)).one()
    organisation = (session.scalar(select(CustomerOrganisation.name)
                                   .where(CustomerOrganisation.id == customer.organisation_id))
                    if customer.organisation_id else None)
    owner = session.scalar(select(User.username).where(User.id == customer.owner_user_id)) \
        if customer.owner_user_id else None
    group = session.scalar(select(Group.slug).where(Group.id == customer.owner_group_id)) \
        if customer.owner_group_id else None
    rated = sorted((line for line in lines if line.csat_score is not None),
                   key=lambda line: line.resolved_at or line.created_at, reverse=True)
    return CustomerView(customer=customer, identities=identities, organisation=organisation, owner=owner,
                        owner_group=group, tickets=lines, open_count=int(counts[1]), ticket_count=int(counts[0]),
                        last_contact_at=last_contact(session, customer.id), satisfaction=rated)
