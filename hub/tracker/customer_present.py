"""Customers as plain data for the API, the CLI and CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Customer, CustomerIdentity, CustomerOrganisation, Group, User
from hub.tracker.customer_history import CustomerView, TicketLine
from hub.tracker.customer_risk import flags_by_customer

TICKET_COLUMNS = ("ref", "kind", "title", "status", "source", "created_at", "resolved_at", "sla", "csat_score",
                  "csat_comment")
#: What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection): names
#: and titles come from sources, so such a cell gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CUSTOMER_COLUMNS = ("id", "display_name", "vip", "organisation", "owner", "owner_group", "identities", "created_at")


def present_customers(session: Session, customers: Sequence[Customer]) -> list[dict[str, Any]]:
    """Customers with their identities, names of what they point at and open risk flags, in five queries
    for a page."""
    ids = [customer.id for customer in customers]
    identities: dict[int, list[CustomerIdentity]] = {}
    for identity in session.scalars(select(CustomerIdentity).where(CustomerIdentity.customer_id.in_(ids))
                                    .order_by(CustomerIdentity.kind, CustomerIdentity.value)):
        identities.setdefault(identity.customer_id, []).append(identity)
    organisations = dict(session.execute(select(CustomerOrganisation.id, CustomerOrganisation.name).where(
        CustomerOrganisation.id.in_({c.organisation_id for c in customers if c.organisation_id}))).all())
    users = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({c.owner_user_id for c in customers if c.owner_user_id}))).all())
    groups = dict(session.execute(select(Group.id, Group.slug).where(
        Group.id.in_({c.owner_group_id for c in customers if c.owner_group_id}))).all())
    flags = flags_by_customer(session, ids)
    return [{
        "id": c.id, "display_name": c.display_name, "vip": c.vip, "notes": c.notes, "created_at": c.created_at,
        "organisation": organisations.get(c.organisation_id) if c.organisation_id else None,
        "owner": users.get(c.owner_user_id) if c.owner_user_id else None,
        "owner_group": groups.get(c.owner_group_id) if c.owner_group_id else None,
        "merged_into": c.merged_into_id,
        "identities": [{"id": i.id, "kind": i.kind, "value": i.value} for i in identities.get(c.id, [])],
        "at_risk": ({"raised_at": flags[c.id].raised_at, "reasons": flags[c.id].reasons} if c.id in flags else None),
    } for c in customers]


def present_view(session: Session, view: CustomerView) -> dict[str, Any]:
    return {**present_customers(session, [view.customer])[0], "open_count": view.open_count,
            "ticket_count": view.ticket_count, "last_contact_at": view.last_contact_at,
            "csat_average": view.csat_average, "tickets": [asdict(line) for line in view.tickets],
            "satisfaction": [asdict(line) for line in view.satisfaction]}


def csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """Rows as CSV; cells a spreadsheet would run as formulas are made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([inert_cell(_cell(row.get(column))) for column in columns])
    return out.getvalue()


def inert_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(item["value"] if isinstance(item, dict) else str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else value


def ticket_rows(lines: Sequence[TicketLine]) -> list[dict[str, Any]]:
    return [asdict(line) for line in lines]
