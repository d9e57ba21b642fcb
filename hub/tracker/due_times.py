"""A new ticket's service-level due times, asked of the plugins before it is written.

They go in with the ticket's INSERT: set by a ``ticket_created`` hook they cost an UPDATE
of every new ticket (issue 23). Hook: hub.hookspecs.new_ticket_due_times.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from hub.core.runtime import hook_session, runtime_of
from hub.models import Ticket
from hub.tracker.info import ticket_info


def ask_due_times(session: Session, ticket: Ticket) -> None:
    """Ask the plugins for a new ticket's due times before it is written (new_ticket_due_times)."""
    plugins = runtime_of(session).plugins
    if not plugins.has_impls("new_ticket_due_times"):
        return
    # No reference either, on every database: PostgreSQL only has it once the row is written.
    view = dataclasses.replace(ticket_info(session, ticket), id=0, ref="", version=1)
    with hook_session(session):
        due = plugins.hook.new_ticket_due_times(ticket=view, session=session)
    if due:
        ticket.response_due_at = due.get("response_due_at")
        ticket.resolve_due_at = due.get("resolve_due_at")
