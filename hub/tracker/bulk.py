"""One action on many tickets: assign, move, add a tag, merge as duplicates.

Each ticket goes through the same service a single-ticket action uses (update_ticket,
merge_ticket), so checks, audit, hooks, outbox and mail are exactly theirs. Each runs in a
savepoint of the caller's transaction: a ticket that is refused (not found, wrong kind,
closed) is reported and leaves the others untouched. What is wrong with the request itself
(an unknown action, an assignee who does not exist) is refused once, before any ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import TrackerError, ValidationFailed
from hub.tracker.merge import check_main, merge_ticket
from hub.tracker.org import resolve_names
from hub.tracker.tickets import get_ticket, update_ticket

ACTIONS = ("assign", "move", "tag", "merge")
#: Refs one request may name: a page of the list (50) several times over, and still one short transaction.
MAX_REFS = 200
MAX_TAG = 64
MAX_TAGS = 50
#: The parameters each action reads; any other is a mistake worth naming.
PARAMETERS = {"assign": ("assignee",), "move": ("department", "group"), "tag": ("tag",), "merge": ("into",)}


@dataclass(frozen=True)
class BulkResult:
    """What happened to one ticket of a bulk action."""

    ref: str
    outcome: str
    """``changed``, ``unchanged`` (it already was so) or ``refused``."""
    detail: str
    status: int = 200
    """The refusal's HTTP status (404 not found, 409 conflict, 422 invalid), 200 otherwise."""
    errors: dict[str, list[str]] = field(default_factory=dict)


def unique_refs(refs: Iterable[str]) -> list[str]:
    """The references in the order given, upper-cased, each once."""
    return list(dict.fromkeys(ref.strip().upper() for ref in refs if ref and ref.strip()))


def check_request(session: Session, action: str, params: Mapping[str, Any], refs: list[str]) -> dict[str, Any]:
    """The action's parameters, checked once for all tickets; ValidationFailed names what is wrong."""
    errors: dict[str, list[str]] = {}
    if action not in ACTIONS:
        raise ValidationFailed({"action": [f"Must be one of: {', '.join(ACTIONS)}."]})
    if not refs:
        errors["refs"] = ["Choose at least one ticket."]
    elif len(refs) > MAX_REFS:
        errors["refs"] = [f"At most {MAX_REFS} tickets at once; you sent {len(refs)}."]
    wanted = PARAMETERS[action]
    for name, value in params.items():
        if name not in wanted and value not in (None, ""):
            errors[name] = [f"Not used by the {action} action."]
    values = {name: params.get(name) for name in wanted if name in params}
    if action == "assign" and "assignee" not in params:
        errors["assignee"] = ["Name the agent (or null to unassign)."]
    if action == "move":
        values = {name: value for name, value in values.items() if value not in (None, "")}
        if not values:
            errors["department"] = ["Choose a department, a group or both."]
    if action == "tag":
        tag = str(params.get("tag") or "").strip()
        if not tag or len(tag) > MAX_TAG:
            errors["tag"] = [f"A tag of 1 to {MAX_TAG} characters."]
        values = {"tag": tag}
    if action == "merge" and not str(params.get("into") or "").strip():
        errors["into"] = ["Name the main ticket to merge into."]
    if errors:
        raise ValidationFailed(errors)
    if action in ("assign", "move"):
        resolve_names(session, values, create_loose=False)  # an unknown name is refused once, not per ticket
    return values


def apply_bulk(*, session: Session, refs: Iterable[str], action: str, params: Mapping[str, Any], actor: Actor,
               kind: str | None = None) -> list[BulkResult]:
    """Apply ``action`` to each ticket of ``refs`` (of ``kind`` when given); one result per ticket."""
    wanted = unique_refs(refs)
    values = check_request(session, action, params, wanted)
    main: Ticket | None = None
    if action == "merge":
        main = get_ticket(session, str(params["into"]).strip(), for_update=True)
        check_main(session, main)  # a main ticket nothing can merge into is refused once
    results = []
    for ref in wanted:
        try:
            with session.begin_nested():
                ticket = get_ticket(session, ref, kind=kind, for_update=True)
                results.append(_apply_one(session, ticket, action, values, actor, main))
        except TrackerError as exc:
            results.append(refusal(ref, exc))
    return results


def refusal(ref: str, exc: TrackerError) -> BulkResult:
    errors = dict(getattr(exc, "errors", None) or {})
    detail = exc.detail
    if errors:
        detail += " " + "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in errors.items())
    return BulkResult(ref=ref, outcome="refused", detail=detail, status=exc.status, errors=errors)


def _apply_one(session: Session, ticket: Ticket, action: str, values: dict[str, Any], actor: Actor,
               main: Ticket | None) -> BulkResult:
    if action == "merge":
        assert main is not None
        merge_ticket(session=session, duplicate=ticket, main=main, actor=actor)
        return BulkResult(ticket.ref, "changed", f"Merged into {main.ref} and closed.")
    if action == "tag":
        tag = values["tag"]
        tags = list(ticket.tags or [])
        if tag in tags:
            return BulkResult(ticket.ref, "unchanged", f"Already tagged {tag!r}.")
        if len(tags) >= MAX_TAGS:
            raise ValidationFailed({"tags": [f"{ticket.ref} has {MAX_TAGS} tags already."]}, "Too many tags.")
        values = {"tags": [*tags, tag]}
    changes = update_ticket(session=session, ticket=ticket, values=values, actor=actor)
    if not changes:
        return BulkResult(ticket.ref, "unchanged", "Nothing to change: it already was so.")
    said = ", ".join(f"{name} {_shown(new)}" for name, (_old, new) in changes.items() if name != "tags")
    return BulkResult(ticket.ref, "changed", f"Tagged {values['tags'][-1]!r}." if action == "tag" else f"Set {said}.")


def _shown(value: Any) -> str:
    return "(none)" if value in (None, "") else str(value)
