"""/tickets/export.csv: the ticket list as a spreadsheet, with the same filters, and one column
per custom field (those of the department filtered on, else every field).

Rows are read page by page with the list's keyset paging, so an export of many tickets never
holds more than one page of rows in the session; it stops at EXPORT_MAX rows and says so in a
last line.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, request
from sqlalchemy.orm import Session

from hub.api.context import reading
from hub.models import Ticket
from hub.sdk.tracker_errors import ValidationFailed
from hub.sdk.values import CustomFieldInfo
from hub.tracker import custom_fields
from hub.tracker.org import name_for
from hub.tracker.queries import TicketFilter
from hub.ui.auth import login_required
from hub.ui.tickets import _filter_from, bp, list_any_kind

EXPORT_MAX = 10_000
PAGE = 200
#: What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ["ref", "kind", "title", "status", "priority", "department", "group", "assignee", "category", "ci",
          "requester_email", "created_at", "updated_at"]


def inert_cell(value: Any) -> Any:
    """Text a source or a person typed starting like a formula gets a leading apostrophe;
    numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _columns(session: Session, flt: TicketFilter) -> list[CustomFieldInfo]:
    return custom_fields.list_fields(session, department=flt.department, kind=flt.kind) if flt.department else \
        custom_fields.list_fields(session, kind=flt.kind)


def _row(session: Session, ticket: Ticket, columns: list[CustomFieldInfo]) -> list[Any]:
    stored = ticket.custom_fields or {}
    return [ticket.ref, ticket.kind, ticket.title, ticket.status, ticket.priority,
            name_for(session, "department", ticket.department_id), name_for(session, "group", ticket.group_id),
            name_for(session, "user", ticket.assignee_id), name_for(session, "category", ticket.category_id),
            name_for(session, "ci", ticket.ci_id), ticket.requester_email, ticket.created_at.isoformat(),
            ticket.updated_at.isoformat(), *[stored.get(info.name) for info in columns]]


@bp.get("/tickets/export.csv")
@login_required("tickets:read")
def export_csv() -> Any:
    """The tickets the list's filters match, newest change first."""
    flt, _shown, _problems = _filter_from(request.args)
    out = io.StringIO()
    writer = csv.writer(out)
    with reading() as session:
        try:
            columns = _columns(session, flt)
        except ValidationFailed:  # an unknown department: the list shows nothing, the export too
            columns = []
        writer.writerow(HEADER + [f"custom:{info.name}" for info in columns])
        cursor, written = None, 0
        while written < EXPORT_MAX:
            page = list_any_kind(session, flt, sort="-updated_at", limit=min(PAGE, EXPORT_MAX - written),
                                 cursor=cursor)
            writer.writerows([[inert_cell(cell) for cell in _row(session, ticket, columns)] for ticket in page.items])
            written += len(page.items)
            session.expunge_all()  # one page of rows in memory at a time
            cursor = page.next_cursor
            if cursor is None:
                break
        if cursor is not None:
            writer.writerow([f"# Stopped after {EXPORT_MAX} tickets; narrow the filters for the rest."])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="tickets.csv"'
    return response
