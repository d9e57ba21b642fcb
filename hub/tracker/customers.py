"""Who a ticket's requester is: matching an identity to a customer as the ticket is made.

This runs on the ingest path for every new ticket, so it costs one statement: on PostgreSQL
a single find-or-create (a CTE) whether the person is known or new; on SQLite (the embedded
hub, one writer at a time) a look-up, and two inserts the first time a person writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import Customer, CustomerIdentity
from hub.sdk.tracker_errors import ValidationFailed

_PHONE_JUNK = re.compile(r"[\s().\-/]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_ACCOUNT = re.compile(r"^[a-z0-9_.\-]{1,64}:\S.*$")

#: One statement that finds the customer of an identity or makes both (PostgreSQL). Under a
#: race (two first mails from one person at once) the loser's identity insert does nothing
#: and ``named`` is empty: the caller then reads the winner's and drops its own empty record.
_FIND_OR_CREATE = text("""
WITH hit AS (
    SELECT customer_id FROM customer_identities WHERE kind = :kind AND value = :value
), made AS (
    INSERT INTO customers (display_name, vip, notes, created_at)
    SELECT :name, false, '', :now WHERE NOT EXISTS (SELECT 1 FROM hit)
    RETURNING id
), named AS (
    INSERT INTO customer_identities (customer_id, kind, value, created_at)
    SELECT id, :kind, :value, :now FROM made
    ON CONFLICT (kind, value) DO NOTHING
    RETURNING customer_id
)
SELECT (SELECT customer_id FROM hit) AS hit, (SELECT id FROM made) AS made,
       (SELECT customer_id FROM named) AS named
""")


def normal_phone(number: str) -> str | None:
    """``+49 (30) 123-456`` -> ``+4930123456``; None when it holds no digits."""
    cleaned = _PHONE_JUNK.sub("", number.strip())
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    digits = cleaned[1:] if cleaned.startswith("+") else cleaned
    if not digits.isdigit() or len(digits) < 3 or len(digits) > 20:
        return None
    return cleaned


def normal_identity(kind: str, value: Any) -> str:
    """The stored form of an identity, or ValidationFailed naming what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({"value": ["Give an address, number or account."]})
    value = value.strip()
    if kind == "email":
        if not _EMAIL.match(value) or len(value) > 320:
            raise ValidationFailed({"value": ["Not an e-mail address."]})
        return value.lower()
    if kind == "phone":
        number = normal_phone(value)
        if number is None:
            raise ValidationFailed({"value": ["Not a phone number (digits, spaces, dashes, a leading +)."]})
        return number
    if kind == "account":
        system, _, account = value.partition(":")
        value = f"{system.strip().lower()}:{account.strip()}"
        if not _ACCOUNT.match(value) or len(value) > 320:
            raise ValidationFailed({"value": ["Write an account as system:name (rt:alice, jira:5b10ac8d)."]})
        return value
    raise ValidationFailed({"kind": ["Must be one of: email, phone, account."]})


def requester_identity(values: Mapping[str, Any], source: str) -> tuple[str, str] | None:
    """The identity a new ticket's requester is known by: their address, else their phone
    number, else their account in the system the ticket came from."""
    email = values.get("requester_email")
    if isinstance(email, str) and _EMAIL.match(email.strip()) and len(email) <= 320:
        return "email", email.strip().lower()
    phone = (values.get("custom_fields") or {}).get("requester_phone")
    if isinstance(phone, str) and (number := normal_phone(phone)):
        return "phone", number
    account = values.get("requester_account")
    if isinstance(account, str) and account.strip():
        try:
            return "account", normal_identity("account", f"{source}:{account}")
        except ValidationFailed:
            return None
    return None


def match_customer(session: Session, identity: tuple[str, str], *, name: str | None, now: datetime) -> int:
    """The customer ``identity`` belongs to, made (with that identity) on first contact."""
    kind, value = identity
    display = (name or "").strip()[:200] or value[:200]
    if session.get_bind().dialect.name == "postgresql":
        row = session.execute(_FIND_OR_CREATE, {"kind": kind, "value": value, "name": display, "now": now}).one()
        if row.hit is not None or row.named is not None:
            return int(row.hit if row.hit is not None else row.named)
        session.execute(delete(Customer).where(Customer.id == row.made))  # lost a race
        return int(session.scalars(select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == kind, CustomerIdentity.value == value)).one())
    found = session.scalar(select(CustomerIdentity.customer_id).where(
        CustomerIdentity.kind == kind, CustomerIdentity.value == value))
    if found is not None:
        return int(found)
    made = session.scalar(insert(Customer).values(display_name=display, vip=False, notes="", created_at=now)
                          .returning(Customer.id))
    session.execute(insert(CustomerIdentity).values(customer_id=made, kind=kind, value=value, created_at=now))
    return int(made)  # type: ignore[arg-type]


def customer_for(session: Session, values: Mapping[str, Any], *, source: str) -> int | None:
    """The customer of a new ticket made from ``values``, or None when it names no requester
    (an alarm) or HUB_CUSTOMERS is off."""
    runtime = runtime_of(session)
    if not runtime.settings.get("CUSTOMERS", True):
        return None
    identity = requester_identity(values, source)
    if identity is None:
        return None
    return match_customer(session, identity, name=values.get("requester_name"), now=runtime.now())


def rematch_customer(session: Session, ticket: Any) -> None:
    """A ticket given a new requester address becomes that person's (a cleared address leaves
    it as it was: the customer may be known by phone or account)."""
    if ticket.requester_email:
        values = {"requester_email": ticket.requester_email, "requester_name": ticket.requester_name}
        ticket.customer_id = customer_for(session, values, source=ticket.source) or ticket.customer_id
