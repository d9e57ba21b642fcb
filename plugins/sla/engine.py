"""Due times, pauses, warnings and breaches for one ticket.

The plugin's per-ticket data holds the policy applied, the time the clock started, the
open minutes spent paused, and which warnings and breaches were already announced, so
each is announced once even when due times are recomputed.

Escalation never moves a due time: a missed due time is kept (``<target>.missed``) and
recorded on the ticket (services.record_breach), and the priority an escalation raises
keeps the policy that was running (``pinned``), so a late ticket never looks on time again.
Only a person or a rule changing the priority, department or kind picks a policy anew, and
even then a target already missed keeps the due time it missed.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy.orm import Session

from hub.sdk import TicketInfo
from hub.sdk import tracker as services
from hub.sdk.actors import Actor
from hub.sdk.references import OrgReference
from plugins.sla.calendar import BusinessCalendar

NAME = "sla"
TARGETS = ("response", "resolution")
DONE_STATES = frozenset({"resolved", "closed", "cancelled", "rejected", "failed", "backed_out"})
#: The kinds a policy naming none covers: what requesters open. A problem is the agents' own
#: investigation; it runs against a clock only where a policy names it.
UNNAMED_KINDS = ("incident", "change")


def matching_policy(settings: dict[str, Any], ticket: TicketInfo) -> dict[str, Any] | None:
    for policy in settings["policies"]:
        if policy["priorities"] and ticket.priority not in policy["priorities"]:
            continue
        if policy["departments"] and ticket.department not in policy["departments"]:
            continue
        if ticket.kind not in (policy["kinds"] or UNNAMED_KINDS):
            continue
        return dict(policy)
    return None


def applied_policy(settings: dict[str, Any], data: dict[str, Any], ticket: TicketInfo) -> dict[str, Any] | None:
    """The policy running for the ticket: the one an escalation pinned, while the ticket
    still has what the escalation gave it; else the first that matches."""
    pinned = data.get("pinned")
    if isinstance(pinned, dict) and pinned.get("for") == _signature(ticket):
        policy = next((p for p in settings["policies"] if p["name"] == pinned.get("policy")), None)
        if policy is not None:
            return dict(policy)
    return matching_policy(settings, ticket)


def _signature(ticket: TicketInfo) -> list[Any]:
    """What a policy is matched on."""
    return [ticket.priority, ticket.department, ticket.kind]


#: Calendars by their settings, kept while those settings last: a calendar remembers each
#: day's open hours, and every new ticket asks about the same few days.
_CALENDARS: dict[str, BusinessCalendar] = {}
_ALWAYS = BusinessCalendar.always()


def calendar_of(settings: dict[str, Any], name: str) -> BusinessCalendar:
    for entry in settings["calendars"]:
        if entry["name"] == name:
            key = json.dumps(entry, sort_keys=True, default=str)
            calendar = _CALENDARS.get(key)
            if calendar is None:
                if len(_CALENDARS) >= 64:  # settings edited many times: forget the old ones
                    _CALENDARS.clear()
                calendar = _CALENDARS[key] = BusinessCalendar.from_settings(
                    {**entry, "holidays": [str(day) for day in entry["holidays"]]})
            return calendar
    return _ALWAYS


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _met(ticket: TicketInfo, target: str) -> bool:
    if target == "response":
        return ticket.first_response_at is not None or ticket.status in DONE_STATES
    return ticket.status in DONE_STATES


def first_due_times(session: Session, ticket: TicketInfo) -> dict[str, dt.datetime | None] | None:
    """A new ticket's due times, as :func:`recompute` will find them once it exists (no
    pause or miss yet): stored with the ticket instead of in an UPDATE after it."""
    settings = services.plugin_settings(session, NAME)
    policy = matching_policy(settings, ticket)
    if policy is None:
        return None
    calendar = calendar_of(settings, policy["calendar"])
    due = {target: calendar.add(ticket.created_at, policy[f"{target}_minutes"])
           if policy[f"{target}_minutes"] else None for target in TARGETS}
    return {"response_due_at": due["response"], "resolve_due_at": due["resolution"]}


def recompute(session: Session, ticket: TicketInfo) -> None:
    """Set the ticket's due times and timers from its policy, pauses and state."""
    settings = services.plugin_settings(session, NAME)
    data = services.get_plugin_data(session, ticket.ref, NAME)
    policy = applied_policy(settings, data, ticket)
    if policy is None:
        services.cancel_timers(session, ticket.ref, plugin=NAME)
        services.set_due_times(session, ticket.ref, response_due_at=None, resolve_due_at=None)
        data.pop("policy", None)
        services.set_plugin_data(session, ticket.ref, NAME, data)
        return
    calendar = calendar_of(settings, policy["calendar"])
    start = _parse(data.get("started_at")) or ticket.created_at
    data.setdefault("started_at", start.isoformat())
    data.setdefault("announced", [])
    paused = float(data.get("paused_minutes", 0))
    paused_now = ticket.status in settings["pause_states"]
    due: dict[str, dt.datetime | None] = {}
    for target in TARGETS:
        minutes = policy[f"{target}_minutes"]
        if not minutes:
            due[target] = None
            continue
        missed = _parse(data.get(f"{target}.missed"))
        due_at = missed or calendar.add(start, minutes + paused)  # a missed due time never moves
        due[target] = due_at
        met = _met(ticket, target)
        if met and f"{target}.met" not in data:
            data[f"{target}.met"] = (ticket.first_response_at if target == "response" and ticket.first_response_at
                                     else services.now(session)) <= due_at
            if not data[f"{target}.met"]:  # met late, before the breach timer fired
                data[f"{target}.missed"] = due_at.isoformat()
                services.record_breach(session, ticket.ref, target=target, due_at=due_at)
        for stage, share in (("warning", policy["warn_at"]), ("breach", 1.0)):
            name = f"{target}.{stage}"
            if met or paused_now or name in data["announced"]:
                services.cancel_timers(session, ticket.ref, plugin=NAME, names=[name])
                continue
            services.set_timer(session, ticket.ref, plugin=NAME, name=name,
                               due_at=calendar.add(start, minutes * share + paused) if stage == "warning" else due_at,
                               data={"target": target, "stage": stage, "due_at": due_at.isoformat()})
    data["policy"] = policy["name"]
    services.set_plugin_data(session, ticket.ref, NAME, data)
    services.set_due_times(session, ticket.ref, response_due_at=due["response"], resolve_due_at=due["resolution"])


def status_moved(session: Session, ticket: TicketInfo, old: str, new: str) -> None:
    """Start or stop the pause clock, then recompute."""
    settings = services.plugin_settings(session, NAME)
    data = services.get_plugin_data(session, ticket.ref, NAME)
    now = services.now(session)
    policy = applied_policy(settings, data, ticket)
    if policy is not None:
        calendar = calendar_of(settings, policy["calendar"])
        if new in settings["pause_states"] and old not in settings["pause_states"]:
            data["paused_since"] = now.isoformat()
            services.set_sla_paused(session, ticket.ref, now)
        elif old in settings["pause_states"] and new not in settings["pause_states"] and data.get("paused_since"):
            since = _parse(data.pop("paused_since"))
            assert since is not None
            data["paused_minutes"] = float(data.get("paused_minutes", 0)) + calendar.minutes_between(since, now)
            services.set_sla_paused(session, ticket.ref, None)
        services.set_plugin_data(session, ticket.ref, NAME, data)
    recompute(session, ticket)


def timer_due(session: Session, ticket: TicketInfo, name: str, timer: dict[str, Any]) -> None:
    """A warning or breach time came: announce it once, and escalate as the policy says."""
    data = services.get_plugin_data(session, ticket.ref, NAME)
    if name in data.get("announced", []):
        return
    target, stage = timer["target"], timer["stage"]
    if _met(ticket, target):
        return
    data.setdefault("announced", []).append(name)
    due_at = dt.datetime.fromisoformat(timer["due_at"])
    if stage == "breach":
        data[f"{target}.missed"] = due_at.isoformat()
        services.record_breach(session, ticket.ref, target=target, due_at=due_at)
    services.set_plugin_data(session, ticket.ref, NAME, data)
    services.emit(session, "sla_warning" if stage == "warning" else "sla_breached", ticket.ref, target=target,
                  due_at=due_at)
    settings = services.plugin_settings(session, NAME)
    policy = next((p for p in settings["policies"] if p["name"] == data.get("policy")), None)
    if policy is None:
        return
    escalation = policy["escalation"]
    if escalation["mail_to"] and (stage == "breach" or escalation["on_warning"]):
        verb = "will miss" if stage == "warning" else "missed"
        services.send_mail(session, to=escalation["mail_to"], ref=ticket.ref, key=f"sla:{ticket.ref}:{name}",
                           subject=f"[{ticket.ref}] {verb} its {target} target ({policy['name']})",
                           body=f"{ticket.ref} {ticket.title}\nPriority P{ticket.priority}, status {ticket.status}.\n"
                                f"The {target} target is due {due_at:%Y-%m-%d %H:%M} UTC.\n")
    if stage == "breach":
        changes: dict[str, Any] = {}
        if escalation["raise_priority"] and ticket.priority > 1:
            changes["priority"] = ticket.priority - 1
        if escalation["reassign_group"] and _reassign_group_exists(session, ticket, policy):
            changes["group"] = escalation["reassign_group"]
        if changes:
            # The raised priority keeps the running policy: an escalation asks for attention,
            # it does not restart the clock (reloaded: the announcement above is saved).
            data = services.get_plugin_data(session, ticket.ref, NAME)
            data["pinned"] = {"policy": policy["name"],
                              "for": [changes.get("priority", ticket.priority), ticket.department, ticket.kind]}
            services.set_plugin_data(session, ticket.ref, NAME, data)
            services.update_fields(session, ticket.ref, changes, Actor.plugin(NAME))


def _reassign_group_exists(session: Session, ticket: TicketInfo, policy: dict[str, Any]) -> bool:
    """Whether the escalation's group still exists; if not, the ticket's audit and the admins'
    warning say so, and the rest of the escalation (mail, priority) goes ahead without it."""
    from hub.sdk.hub_services import count_missing_reference, missing_names, note_on_ticket
    from plugins.sla.settings import REASSIGN_EFFECT

    group = policy["escalation"]["reassign_group"]
    if not missing_names(session, {"group": [group]}):
        return True
    note_on_ticket(session, ticket.ref, f"SLA policy {policy['name']} names group {group!r}, which no longer "
                   "exists; the ticket was not reassigned.", Actor.plugin(NAME))
    count_missing_reference(session, source=NAME, reference=OrgReference(
        "group", group, "", f"SLA policy {policy['name']}", REASSIGN_EFFECT))
    return False
