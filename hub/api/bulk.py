"""POST /api/v1/<plural>/bulk (one action on many tickets) and /api/v1/incidents/<ref>/merge."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from flask_smorest import Blueprint

from hub.api.context import actor, etag_for, expected_version, unit_of_work
from hub.api.presenters import present_ticket
from hub.api.schemas.bulk import BulkOutSchema, MergeInSchema, bulk_in_schema
from hub.api.schemas.tickets import TicketSchema
from hub.auth.web import requires
from hub.tracker import merge, tickets
from hub.tracker.bulk import apply_bulk


def add_bulk_routes(bp: Blueprint, kind: str) -> None:
    """The bulk endpoint of a kind, and for incidents the merge of one."""

    @bp.route("/bulk", methods=["POST"])
    @requires("tickets:write")
    @bp.arguments(bulk_in_schema(kind))
    @bp.response(200, BulkOutSchema)
    def bulk(data: dict[str, Any]) -> Any:
        """One action on up to 200 tickets, each reported on its own.

        Each ticket goes through the same checks, audit, hooks and notifications as the
        single-ticket call; a ticket that is refused (not found, another kind, closed) is
        reported with its reason and leaves the others done. A request that is wrong as a
        whole (an unknown assignee or department, a missing parameter) is refused with 422 and
        changes nothing.
        """
        action = data["action"]
        # Every parameter sent goes to the service, which names one the action does not use.
        params = {name: value for name, value in data.items() if name not in ("refs", "action")}
        with unit_of_work() as session:
            results = apply_bulk(session=session, refs=data["refs"], action=action, params=params, actor=actor(),
                                 kind=kind)
        counts = Counter(result.outcome for result in results)
        return {"action": action, "changed": counts["changed"], "unchanged": counts["unchanged"],
                "refused": counts["refused"], "results": [asdict(result) for result in results]}

    if kind != "incident":
        return

    @bp.route("/<ref>/merge", methods=["POST"])
    @requires("tickets:write")
    @bp.arguments(MergeInSchema)
    @bp.response(200, TicketSchema)
    def merge_into(data: dict[str, Any], ref: str) -> Any:
        """Merge this incident into its main incident as a duplicate: it is closed (resolution
        "Duplicate of ..."), its requester is told with their own status link, which from then on
        shows the main incident's progress; the main incident gets an internal note. Send If-Match
        with this incident's ETag to merge only what you read. 409 when either is closed, or the
        main incident is itself a duplicate; 422 for itself or a change."""
        with unit_of_work() as session:
            duplicate, main = merge.lock_pair(session, ref, data["into"])
            if duplicate.kind != kind:
                tickets.get_ticket(session, ref, kind=kind)  # raises: "No incident CHG-..."
            tickets.check_version(duplicate, expected_version())
            merge.merge_ticket(session=session, duplicate=duplicate, main=main, actor=actor())
            return present_ticket(session, duplicate), 200, {"ETag": etag_for(duplicate.version)}
