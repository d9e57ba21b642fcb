"""itsm-hub customers list|show|export|erase|match: people and their data from the command line.

A customer is named by number or by one of their identities (``ana@example.com``,
``+4930123456``, ``rt:alice``). Errors are the services' sentences, exit code 1.
"""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select, update

from hub.cli import HubContext, pass_hub

#: Tickets matched per transaction by ``match``: short transactions beside live ingest.
MATCH_BATCH = 500


def _actor() -> Any:
    from hub.sdk.actors import Actor

    return Actor(type="system", name="cli", origin="cli")


def _find(session: Any, who: str) -> Any:
    from hub.models import CustomerIdentity
    from hub.sdk.tracker_errors import NotFound
    from hub.tracker.customer_admin import get_customer
    from hub.tracker.customers import normal_phone

    if who.isdigit():
        return get_customer(session, int(who))
    candidates = {who.strip().lower(), normal_phone(who) or "", who.strip()}
    found = session.scalar(select(CustomerIdentity.customer_id).where(CustomerIdentity.value.in_(candidates)))
    if found is None:
        raise NotFound(f"No customer is known by {who!r}.")
    return get_customer(session, int(found))


@click.group()
def customers() -> None:
    """Customers: one record per person across every channel."""


@customers.command("list")
@click.option("--search", "q", help="Part of a name or identity.")
@pass_hub
def list_customers(hub: HubContext, q: str | None) -> None:
    """Customers, newest first (100)."""
    from hub.tracker.customer_admin import list_customers as listing
    from hub.tracker.customer_present import present_customers

    with hub.transaction() as session:
        for row in present_customers(session, listing(session, q=q, limit=100)):
            identities = " ".join(identity["value"] for identity in row["identities"])
            click.echo(f"{row['id']}\t{row['display_name']}\t{'VIP' if row['vip'] else ''}\t{identities}")


@customers.command("show")
@click.argument("who")
@pass_hub
def show(hub: HubContext, who: str) -> None:
    """One customer's tickets, newest first."""
    from hub.tracker.customer_history import customer_view

    with hub.transaction() as session:
        view = customer_view(session, _find(session, who))
        click.echo(f"{view.customer.id}\t{view.customer.display_name}\topen {view.open_count} of "
                   f"{view.ticket_count}\tlast contact {view.last_contact_at or 'never'}")
        for line in view.tickets:
            click.echo(f"{line.ref}\t{line.status}\t{line.source}\tSLA {line.sla}\t{line.title}")


@customers.command("export")
@click.argument("who")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")
@pass_hub
def export(hub: HubContext, who: str, output: Any) -> None:
    """Everything the hub holds about a person, as JSON with attachments (base64)."""
    from hub.tracker.privacy import export_customer

    with hub.transaction() as session:
        data = export_customer(session=session, customer=_find(session, who), actor=_actor())
    json.dump(data, output, indent=2, ensure_ascii=False)
    output.write("\n")


@customers.command("erase")
@click.argument("who")
@click.option("--yes", is_flag=True, help="Do it: an erasure cannot be undone.")
@click.option("--note", help="Why (the request's reference); kept in the audit.")
@pass_hub
def erase(hub: HubContext, who: str, yes: bool, note: str | None) -> None:
    """Erase a person: tickets anonymised; raw events, mails, files and the record deleted."""
    from hub.tracker.privacy import erase_customer

    if not yes:
        raise click.UsageError("An erasure cannot be undone: add --yes.")
    with hub.transaction() as session:
        customer = _find(session, who)
        number = customer.id
        counts = erase_customer(session=session, customer=customer, actor=_actor(), note=note)
    click.echo(f"Erased customer {number}: {counts['tickets']} tickets anonymised, {counts['comments']} comments, "
               f"{counts['attachments']} files and {counts['raw_events']} raw events removed.")


@customers.command("match")
@pass_hub
def match(hub: HubContext) -> None:
    """Give tickets made before customers existed (or while HUB_CUSTOMERS was off) their customer."""
    from hub.models import Ticket
    from hub.tracker.customers import customer_for

    total, after = 0, 0
    while True:
        with hub.transaction() as session:
            rows = session.execute(select(Ticket.id, Ticket.requester_email, Ticket.requester_name,
                                          Ticket.custom_fields, Ticket.source)
                                   .where(Ticket.customer_id.is_(None), Ticket.id > after)
                                   .order_by(Ticket.id).limit(MATCH_BATCH)).all()
            for row in rows:
                values = {"requester_email": row.requester_email, "requester_name": row.requester_name,
                          "custom_fields": row.custom_fields}
                customer = customer_for(session, values, source=row.source)
                if customer is not None:
                    session.execute(update(Ticket).where(Ticket.id == row.id).values(customer_id=customer))
                    total += 1
        if len(rows) < MATCH_BATCH:
            break
        after = rows[-1].id
    click.echo(f"Matched {total} tickets to their customers.")


COMMANDS = [customers]
