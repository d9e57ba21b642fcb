"""Agents' work on customers: edit, link identities, merge and unmerge, organisations.

Every change writes a CustomerEvent (the customers' audit) in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import (
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerOrganisation,
    CustomerRiskFlag,
    Group,
    Ticket,
    User,
)
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker.customers import normal_identity

#: Fields an agent may set on a customer.
CUSTOMER_FIELDS = ("display_name", "vip", "organisation", "owner", "owner_group", "notes")
MAX_NOTES = 10000
PAGE = 50


def record(session: Session, customer_id: int, action: str, actor: Actor, details: Mapping[str, Any] | None = None,
           note: str | None = None) -> None:
    """One entry of the customers' audit."""
    session.add(CustomerEvent(customer_id=customer_id, at=runtime_of(session).now(), action=action,
                              actor_name=actor.name[:200], origin=actor.origin[:120], details=dict(details or {}),
                              note=note))


def get_customer(session: Session, customer_id: int, *, for_update: bool = False) -> Customer:
    query = select(Customer).where(Customer.id == customer_id)
    customer = session.scalar(query.with_for_update() if for_update else query)
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    if customer.erased_at is not None:
        raise NotFound(f"Customer {customer_id} was erased.")
    return customer


def list_customers(session: Session, *, q: str | None = None, organisation_id: int | None = None,
                   vip: bool | None = None, after: int | None = None, limit: int = PAGE,
                   at_risk: bool | None = None) -> list[Customer]:
    """Customers newest first (keyset by id), merged records left out; ``q`` searches names and identities."""
    query = select(Customer).where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))
    if q:
        pattern = f"%{q.strip().lower()}%"
        ids = select(CustomerIdentity.customer_id).where(CustomerIdentity.value.like(pattern))
        query = query.where(or_(Customer.display_name.ilike(pattern), Customer.id.in_(ids)))
    if organisation_id is not None:
        query = query.where(Customer.organisation_id == organisation_id)
    if vip is not None:
        query = query.where(Customer.vip.is_(vip))
    if at_risk is not None:
        flagged = select(CustomerRiskFlag.customer_id).where(CustomerRiskFlag.cleared_at.is_(None))
        query = query.where(Customer.id.in_(flagged) if at_risk else Customer.id.not_in(flagged))
    if after is not None:
        query = query.where(Customer.id < after)
    return list(session.scalars(query.order_by(Customer.id.desc()).limit(limit)))


def _user_id(session: Session, username: Any) -> int | None:
    if username in (None, ""):
        return None
    found = session.scalar(select(User.id).where(User.username == username))
    if found is None:
        raise ValidationFailed({"owner": [f"No user '{username}'."]})
    return int(found)


def _group_id(session: Session, slug: Any) -> int | None:
    if slug in (None, ""):
        return None
    found = session.scalar(select(Group.id).where(Group.slug == slug))
    if found is None:
        raise ValidationFailed({"owner_group": [f"No group '{slug}'."]})
    return int(found)


def _organisation_id(session: Session, name: Any) -> int | None:
    if name in (None, ""):
        return None
    found = session.scalar(select(CustomerOrganisation.id).where(CustomerOrganisation.name == name))
    if found is None:
        raise ValidationFailed({"organisation": [f"No organisation '{name}'."]})
    return int(found)


def update_customer(*, session: Session, customer: Customer, values: Mapping[str, Any], actor: Actor) -> dict[str, Any]:
    """Set a customer's name, VIP flag, organisation, owner (an agent or a group) and notes."""
    unknown = set(values) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    if "display_name" in values and not (isinstance(values["display_name"], str) and values["display_name"].strip()
                                         and len(values["display_name"]) <= 200):
        raise ValidationFailed({"display_name": ["A name of 1 to 200 characters is required."]})
    if "notes" in values and (not isinstance(values["notes"], str) or len(values["notes"]) > MAX_NOTES):
        raise ValidationFailed({"notes": [f"At most {MAX_NOTES} characters."]})
    columns = {
        "display_name": lambda v: v.strip(), "vip": bool, "notes": lambda v: v,
        "organisation": lambda v: ("organisation_id", _organisation_id(session, v)),
        "owner": lambda v: ("owner_user_id", _user_id(session, v)),
        "owner_group": lambda v: ("owner_group_id", _group_id(session, v)),
    }
    changes: dict[str, Any] = {}
    for name, value in values.items():
        converted = columns[name](value)
        column, new = converted if isinstance(converted, tuple) else (name, converted)
        old = getattr(customer, column)
        if old != new:
            setattr(customer, column, new)
            changes[name] = [old if name != "notes" else "…", value if name != "notes" else "…"]
    if changes:
        record(session, customer.id, "updated", actor, changes)
    return changes


def add_identity(*, session: Session, customer: Customer, kind: str, value: Any, actor: Actor) -> CustomerIdentity:
    """Link an address, number or account to the customer; one already someone else's is refused."""
    normal = normal_identity(kind, value)
    owner = session.scalar(select(CustomerIdentity).where(CustomerIdentity.kind == kind,
                                                          CustomerIdentity.value == normal))
    if owner is not None:
        if owner.customer_id == customer.id:
            return owner
        raise Conflict(f"{normal} belongs to customer {owner.customer_id}: merge the two records instead.")
    identity = CustomerIdentity(customer_id=customer.id, kind=kind, value=normal, created_at=runtime_of(session).now())
    session.add(identity)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"{normal} was just linked to another customer.") from None
    if kind == "email":  # tickets from that address made before the link join the customer
        session.execute(update(Ticket).where(Ticket.requester_email == normal, Ticket.customer_id.is_(None))
                        .values(customer_id=customer.id))
    record(session, customer.id, "identity_added", actor, {"kind": kind, "value": normal})
    return identity


def remove_identity(*, session: Session, customer: Customer, identity_id: int, actor: Actor) -> None:
    """Unlink one identity; the customer's tickets stay theirs."""
    identity = session.get(CustomerIdentity, identity_id)
    if identity is None or identity.customer_id != customer.id:
        raise NotFound(f"Customer {customer.id} has no identity {identity_id}.")
    session.delete(identity)
    record(session, customer.id, "identity_removed", actor, {"kind": identity.kind, "value": identity.value})


def merge_customers(*, session: Session, source: Customer, into: Customer, actor: Actor,
                    note: str | None = None) -> Customer:
    """Move ``source``'s identities and tickets to ``into``; ``source`` stays, marked merged,
    and the audit lists what moved so ``unmerge_customer`` can move it back."""
    if source.id == into.id:
        raise Conflict("A customer cannot be merged into itself.")
    if source.merged_into_id is not None or into.merged_into_id is not None:
        raise Conflict("One of the two is already merged into another customer; unmerge it first.")
    identities = list(session.scalars(select(CustomerIdentity.id).where(CustomerIdentity.customer_id == source.id)))
    tickets = list(session.scalars(select(Ticket.id).where(Ticket.customer_id == source.id)))
    session.execute(update(CustomerIdentity).where(CustomerIdentity.customer_id == source.id)
                    .values(customer_id=into.id))
    session.execute(update(Ticket).where(Ticket.customer_id == source.id).values(customer_id=into.id))
    source.merged_into_id = into.id
    into.vip = into.vip or source.vip
    details = {"source": source.id, "into": into.id, "identities": identities, "tickets": tickets}
    record(session, source.id, "merged", actor, details, note)
    record(session, into.id, "merged", actor, details, note)
    return into


def unmerge_customer(*, session: Session, customer: Customer, actor: Actor, note: str | None = None) -> Customer:
    """Undo the last merge of ``customer``: its identities, its tickets and the tickets that
    arrived since from those identities go back to it."""
    if customer.merged_into_id is None:
        raise Conflict("This customer is not merged into another.")
    merge = session.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == customer.id,
                                                       CustomerEvent.action == "merged")
                           .order_by(CustomerEvent.id.desc()).limit(1))
    if merge is None:
        raise Conflict("The merge of this customer is not in the audit; link its identities again by hand.")
    identity_ids = [int(i) for i in merge.details.get("identities", [])]
    ticket_ids = [int(i) for i in merge.details.get("tickets", [])]
    emails = list(session.scalars(select(CustomerIdentity.value).where(CustomerIdentity.id.in_(identity_ids),
                                                                       CustomerIdentity.kind == "email")))
    session.execute(update(CustomerIdentity).where(CustomerIdentity.id.in_(identity_ids))
                    .values(customer_id=customer.id))
    later = update(Ticket).where(or_(Ticket.id.in_(ticket_ids), Ticket.requester_email.in_(emails)))
    moved = getattr(session.execute(later.where(Ticket.customer_id == customer.merged_into_id)
                                    .values(customer_id=customer.id)), "rowcount", 0)
    details = {"from": customer.merged_into_id, "identities": identity_ids, "tickets": moved}
    record(session, customer.merged_into_id, "unmerged", actor, {**details, "customer": customer.id}, note)
    customer.merged_into_id = None
    record(session, customer.id, "unmerged", actor, details, note)
    return customer


def events_of(session: Session, customer_id: int, limit: int = 100) -> list[CustomerEvent]:
    return list(session.scalars(select(CustomerEvent).where(CustomerEvent.customer_id == customer_id)
                                .order_by(CustomerEvent.id.desc()).limit(limit)))


# -- Organisations -----------------------------------------------------------------------


def list_organisations(session: Session) -> list[CustomerOrganisation]:
    return list(session.scalars(select(CustomerOrganisation).order_by(CustomerOrganisation.name)))


def get_organisation(session: Session, organisation_id: int) -> CustomerOrganisation:
    organisation = session.get(CustomerOrganisation, organisation_id)
    if organisation is None:
        raise NotFound(f"No organisation {organisation_id}.")
    return organisation


def save_organisation(*, session: Session, values: Mapping[str, Any],
                      organisation: CustomerOrganisation | None = None) -> CustomerOrganisation:
    """Make or change an organisation (a unique name, notes, VIP)."""
    name = values.get("name", organisation.name if organisation else None)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ValidationFailed({"name": ["A name of 1 to 200 characters is required."]})
    clash = session.scalar(select(CustomerOrganisation.id).where(CustomerOrganisation.name == name.strip()))
    if clash is not None and (organisation is None or clash != organisation.id):
        raise Conflict(f"An organisation called '{name.strip()}' exists.")
    organisation = organisation or CustomerOrganisation(name=name.strip(), created_at=runtime_of(session).now())
    organisation.name = name.strip()
    if "notes" in values:
        if not isinstance(values["notes"], str) or len(values["notes"]) > MAX_NOTES:
            raise ValidationFailed({"notes": [f"At most {MAX_NOTES} characters."]})
        organisation.notes = values["notes"]
    if "vip" in values:
        organisation.vip = bool(values["vip"])
    session.add(organisation)
    session.flush()
    return organisation


def people_of(session: Session, organisation_id: int) -> list[Customer]:
    return list(session.scalars(select(Customer).where(Customer.organisation_id == organisation_id,
                                                       Customer.merged_into_id.is_(None))
                                .order_by(Customer.display_name)))
