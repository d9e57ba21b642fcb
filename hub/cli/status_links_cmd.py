"""itsm-hub status-links: revoke a requester's private link to a ticket."""

from __future__ import annotations

import click

from hub.cli import HubContext, pass_hub


@click.group("status-links")
def status_links() -> None:
    """Requesters' private status links (/s/<token>)."""


@status_links.command()
@click.argument("ref")
@pass_hub
def revoke(hub: HubContext, ref: str) -> None:
    """Stop every status link of ticket REF (a mail that reached the wrong person)."""
    from hub.sdk.actors import Actor
    from hub.tracker.status_links import revoke_status_links
    from hub.tracker.tickets import get_ticket

    with hub.transaction() as session:
        ticket = get_ticket(session, ref)
        count = revoke_status_links(session=session, ticket=ticket,
                                    actor=Actor(type="system", name="itsm-hub status-links", origin="cli"))
        ticket_ref = ticket.ref
    click.echo(f"Revoked {count} status link(s) of {ticket_ref}." if count
               else f"{ticket_ref} had no open status link.")


COMMANDS = [status_links]
