"""Problems: the cause behind incidents, opened from them, and the known errors agents are shown.

A problem is a ticket of its own kind (``PRB-``) linked to its incidents with ``problem_of``
links (hub.tracker.ticket_links). Opened from a selection of incidents, or from a row of
the Insights' recurring faults, it takes what they share: the configuration item, the
correlation key (as its ``incident_key``) and the department. Once it is a known error, its
workaround is shown on each incident it is linked to and on each incident with its item and
key, new ones included, so the next agent restores service without investigating again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from hub.models import ConfigurationItem, Ticket, TicketLink
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import NotFound, ValidationFailed
from hub.tracker.bulk import MAX_REFS, unique_refs
from hub.tracker.org import name_for
from hub.tracker.ticket_links import add_link
from hub.tracker.tickets import create_ticket, get_ticket

#: Known errors shown on one incident at most (the newest first).
MAX_SHOWN = 5
#: The longest title made from an incident's.
TITLE_LIMIT = 500


@dataclass(frozen=True)
class KnownError:
    """A problem in state known_error, as an incident's page and API show it."""

    ref: str
    title: str
    workaround: str
    root_cause: str | None
    matched_by: str
    """``link`` (the incident is linked to the problem) or ``ci_and_key`` (it has the
    problem's configuration item and correlation key)."""


def open_problem(*, session: Session, incident_refs: Iterable[str], values: Mapping[str, Any], actor: Actor,
                 source: str = "api") -> Ticket:
    """A new problem linked to each incident of ``incident_refs``, with what they share.

    Refuses (ValidationFailed, nothing made) no incident, too many, an unknown reference
    or a ticket that is no incident. ``values`` may set any problem field; a title, item,
    key or department not given is taken from the incidents.
    """
    refs = unique_refs(incident_refs)
    if not refs:
        raise ValidationFailed({"incidents": ["Choose at least one incident."]})
    if len(refs) > MAX_REFS:
        raise ValidationFailed({"incidents": [f"At most {MAX_REFS} incidents at once; you sent {len(refs)}."]})
    incidents, wrong = [], []
    for ref in refs:
        try:
            incidents.append(get_ticket(session, ref, kind="incident", for_update=True))
        except NotFound:
            wrong.append(ref)
    if wrong:
        raise ValidationFailed({"incidents": [f"Not an incident: {', '.join(wrong)}. A problem is opened from "
                                              "incidents (INC-...)."]})
    problem = create_ticket(session=session, kind="problem", values=_shared(session, incidents, values),
                            actor=actor, source=source)
    for incident in incidents:
        add_link(session=session, ticket=problem, kind="problem_of", other_ref=incident.ref, actor=actor)
    return problem


def _shared(session: Session, incidents: Sequence[Ticket], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` completed with what every incident has in common."""
    shared = dict(values)
    first = incidents[0]

    def common(column: str) -> Any:
        found = {getattr(incident, column) for incident in incidents}
        return found.pop() if len(found) == 1 else None

    if not (shared.get("title") or "").strip():
        title = first.title if len(incidents) == 1 else f"{first.title} ({len(incidents)} incidents)"
        shared["title"] = title[:TITLE_LIMIT]
    if "ci" not in shared and (ci_id := common("ci_id")) is not None:
        shared["ci"] = name_for(session, "ci", ci_id)
    if "department" not in shared and (department_id := common("department_id")) is not None:
        shared["department"] = name_for(session, "department", department_id)
    if "incident_key" not in shared:
        shared["incident_key"] = common("correlation_key")
    shared.setdefault("description", "Opened from " + ", ".join(incident.ref for incident in incidents[:20])
                      + (f" and {len(incidents) - 20} more." if len(incidents) > 20 else "."))
    return shared


def recurring_incidents(session: Session, *, start: datetime, end: datetime, department: str | None = None,
                        ci_name: str | None = None, key: str | None = None) -> list[str]:
    """The newest incidents (at most MAX_REFS) created in [start, end) with a configuration
    item of this name or this correlation key: one row of the Insights' recurring faults,
    which count by the same name and key."""
    if bool(ci_name) == bool(key):
        raise ValidationFailed({"ci": ["Name a configuration item or an alarm key (one of them)."]})
    query = select(Ticket.ref).where(Ticket.kind == "incident", Ticket.created_at >= start, Ticket.created_at < end)
    if ci_name:
        query = query.join(ConfigurationItem, ConfigurationItem.id == Ticket.ci_id).where(
            ConfigurationItem.name == ci_name)
    else:
        query = query.where(Ticket.correlation_key == key)
    if department:
        from hub.models import Department

        query = query.where(Ticket.department_id == select(Department.id).where(
            Department.slug == department).scalar_subquery())
    refs = list(session.scalars(query.order_by(Ticket.id.desc()).limit(MAX_REFS)))
    if not refs:
        raise ValidationFailed({"ci" if ci_name else "key": ["No incident of the period has it."]})
    return refs


def known_errors_for(session: Session, incident: Ticket) -> list[KnownError]:
    """The known errors whose workaround applies to this incident: the problems in state
    known_error linked to it, and those whose item and key it has (a problem with only an
    item, or only a key, matches on that one)."""
    if incident.kind != "incident":
        return []
    linked = select(TicketLink.source_id).where(TicketLink.kind == "problem_of", TicketLink.target_id == incident.id)
    matches: list[ColumnElement[bool]] = [Ticket.id.in_(linked)]
    if incident.ci_id is not None or incident.correlation_key is not None:
        same_item = Ticket.ci_id.is_(None) if incident.ci_id is None else or_(
            Ticket.ci_id.is_(None), Ticket.ci_id == incident.ci_id)
        same_key = Ticket.incident_key.is_(None) if incident.correlation_key is None else or_(
            Ticket.incident_key.is_(None), Ticket.incident_key == incident.correlation_key)
        # A problem with neither would match every incident: it must name one of them.
        matches.append(and_(same_item, same_key, or_(Ticket.ci_id.is_not(None), Ticket.incident_key.is_not(None))))
    found = session.execute(
        select(Ticket, Ticket.id.in_(linked)).where(Ticket.kind == "problem", Ticket.status == "known_error",
                                                    or_(*matches))
        .order_by(Ticket.id.desc()).limit(MAX_SHOWN))
    return [KnownError(problem.ref, problem.title, problem.workaround or "", problem.root_cause,
                       "link" if is_linked else "ci_and_key") for problem, is_linked in found]
