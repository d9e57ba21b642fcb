"""Applying one version of a remote record to its linked ticket."""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import ConnectorInstance, ExternalLink, Ticket
from hub.sdk.actors import Actor
from hub.sdk.sync import FieldRule, rules_from, values_hash
from hub.sdk.sync_fields import custom_name, hub_field, ticket_value
from hub.sdk.values import TicketDraft
from hub.sync.effects import forget_seen, own_values, send_hub_values
from hub.tracker import audit
from hub.tracker.states import MACHINES

log = logging.getLogger("hub.sync")

SEEN_COMMENTS_KEPT = 2000
"""Remote comment ids remembered per link, so a re-read never adds one twice."""

SEEN_ATTACHMENTS_KEPT = 2000
"""Remote attachment ids remembered per link, likewise."""


def rules_for(session: Session, instance_id: int, kind: str) -> list[FieldRule]:
    instance = session.get(ConnectorInstance, instance_id)
    if instance is None:
        raise LookupError(f"connector instance {instance_id} is gone")
    cls = runtime_of(session).plugins.connectors.get(instance.connector)
    return rules_from(instance.config or {}, getattr(cls, "default_field_rules", ()), kind)


def remember_created(session: Session, link: ExternalLink, draft: TicketDraft, actor: Actor) -> None:
    """A remote record just became a ticket: its values are the first agreed ones, and its
    comments are added now."""
    sync = draft.extra["sync"]
    data: dict[str, Any] = dict(link.data or {})
    data["synced"] = dict(sync.get("record") or {})
    link.last_synced_hash = values_hash(data["synced"])
    ticket = session.get(Ticket, link.ticket_id)
    data["seen_comments"] = _add_comments(session, ticket, sync.get("comments") or [], [], actor)
    data["seen_attachments"], _ = _add_attachments(session, ticket, sync.get("attachments") or [], [], actor)
    link.data = data


def apply_remote_update(session: Session, draft: TicketDraft, target: Any, actor: Actor, event: Any) -> Any:
    """Bring the linked ticket in step with the remote version in ``draft``."""
    from hub.tracker.links import link_ticket
    from hub.tracker.outcome import Outcome
    from hub.tracker.tickets import update_ticket

    ticket: Ticket = target.ticket
    sync: dict[str, Any] = draft.extra["sync"]
    if actor.instance_id is None or not draft.external_id:
        raise ValueError("a sync update needs the instance it came from and the remote id")
    link = target.link if isinstance(target.link, ExternalLink) else None
    if link is None or link.instance_id != actor.instance_id:
        # Found by our reference in the remote record (the hub made it, and the answer to
        # the create was lost): link it now instead of opening a duplicate.
        link = link_ticket(session, ticket_id=ticket.id, instance_id=actor.instance_id,
                           external_id=draft.external_id, url=draft.external_url)
    if _is_stale(draft.external_version, link.remote_version):
        # No field of an older version counts; a file not seen before still does (a
        # ServiceNow attachment does not change its record's version).
        files, kept = _add_attachments(session, ticket, sync.get("attachments") or [],
                                       list((link.data or {}).get("seen_attachments") or []), actor)
        link.data = {**(link.data or {}), "seen_attachments": files}
        if kept:
            return Outcome("applied", action="updated", ticket=ticket, reason=f"Kept {kept} new remote file(s).")
        return Outcome("ignored", action="ignored", ticket=ticket,
                       reason=f"Version {draft.external_version} is not newer than {link.remote_version}.")
    record: dict[str, str] = dict(sync.get("record") or {})
    synced: dict[str, str] = dict((link.data or {}).get("synced") or {})
    seen: list[str] = list((link.data or {}).get("seen_comments") or [])
    echo = bool(record) and values_hash(record) == link.last_synced_hash

    taken = _Taken()
    if not echo:
        taken = _take_fields(session, ticket, link, record, synced, _parse_time(sync.get("updated_at")), actor)
    changes, status, hub_kept = taken.changes, taken.status, taken.hub_kept
    if changes:
        update_ticket(session=session, ticket=ticket, values=_with_custom(changes), actor=actor, create_loose=True)
    moved = _move(session, ticket, status, actor) if status and status != ticket.status else None
    seen = _add_comments(session, ticket, sync.get("comments") or [], seen, actor)
    files, kept = _add_attachments(session, ticket, sync.get("attachments") or [],
                                   list((link.data or {}).get("seen_attachments") or []), actor)

    link.data = {**(link.data or {}), "synced": synced, "seen_comments": seen, "seen_attachments": files}
    forget_seen(link.data, record)
    link.remote_version = draft.external_version or link.remote_version
    link.last_synced_hash = values_hash(synced)
    link.last_synced_at = runtime_of(session).now()
    link.sync_state, link.last_error = "ok", None
    if hub_kept:
        # The hub's value won (or an own write's side effect left another): the remote must
        # learn it. The push sees the remote's value as agreed (it is in ``synced`` now).
        send_hub_values(session, link, ticket, reason="sync conflict: " + ", ".join(sorted(hub_kept)))
    if echo:
        return Outcome("ignored", action="ignored", ticket=ticket,
                       reason="An echo of the hub's own update; nothing changed.")
    done = [*changes, *(["status"] if moved else []), *([f"{kept} file(s)"] if kept else [])]
    reason = f"Synced {', '.join(done)}." if done else "No field changed."
    if moved is False:
        reason += f" The remote state maps to '{status}', which {ticket.ref} cannot reach from '{ticket.status}'."
    return Outcome("applied", action="updated", ticket=ticket, reason=target.reason + " " + reason)


@dataclass
class _Taken:
    """What a remote version changes on the ticket, and the hub values it must send back."""

    changes: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    hub_kept: dict[str, str] = field(default_factory=dict)


def _take_fields(session: Session, ticket: Ticket, link: ExternalLink, record: dict[str, str],
                 synced: dict[str, str], remote_time: datetime | None, actor: Actor) -> _Taken:
    """Field by field: the remote's changes since the last agreed values, by the rules'
    directions and conflict policies; updates ``synced``."""
    from hub.tracker.info import ticket_info

    assert actor.instance_id is not None
    taken = _Taken()
    ours = own_values(session, link, synced)
    info = ticket_info(session, ticket)
    for rule in rules_for(session, actor.instance_id, ticket.kind):
        if not rule.reads or rule.remote not in record:
            continue
        if hub_field(rule.field).changes_only and ticket.kind != "change":
            continue
        remote_value = record[rule.remote]
        hub_value = rule.to_remote(ticket_value(info, rule.field))
        if remote_value in ours.get(rule.remote, {}):
            # The remote shows what the hub's own write made of it: no edit, no conflict;
            # where the hub's ticket says otherwise, the hub's value goes out.
            synced[rule.remote] = ours[rule.remote][remote_value]
            if rule.writes and hub_value != synced[rule.remote]:
                taken.hub_kept[rule.remote] = hub_value
            continue
        base = synced.get(rule.remote)
        synced[rule.remote] = remote_value
        if remote_value in (base, hub_value):
            continue  # the remote did not change it, or both sides already agree
        if rule.writes and base is not None and hub_value != base:
            winner = _winner(rule, remote_time, ticket.updated_at)
            audit.record(session, ticket, "sync_conflict", actor,
                         {rule.field: (ticket_value(info, rule.field), rule.to_hub(remote_value))},
                         note=_conflict_note(rule, winner))
            if winner == "hub":
                taken.hub_kept[rule.remote] = hub_value
                continue
        if rule.field == "status":
            taken.status = rule.to_hub(remote_value)
            continue
        try:
            taken.changes[rule.field] = rule.hub_value(remote_value, ticket.kind)
        except ValueError as exc:
            _not_taken(session, ticket, actor, rule, remote_value, str(exc))
    for name in unknown_names(session, taken.changes):
        value = taken.changes.pop(name)
        rule = next(rule for rule in rules_for(session, actor.instance_id, ticket.kind) if rule.field == name)
        _not_taken(session, ticket, actor, rule, value, f"the hub has no {hub_field(name).org} {value!r}; "
                   "map it in the rule's values_in")
    for name, why in custom_problems(session, ticket, taken.changes).items():
        value = taken.changes.pop(name)
        rule = next(rule for rule in rules_for(session, actor.instance_id, ticket.kind) if rule.field == name)
        _not_taken(session, ticket, actor, rule, value, why)
    return taken


def custom_problems(session: Session, ticket: Ticket, values: dict[str, Any]) -> dict[str, str]:
    """Why the ``custom:`` values among ``values`` cannot go onto the ticket, by rule field.

    Checked here rather than left to the tracker's lenient write, so each one left out gets
    its own ``sync_skipped`` entry naming the rule, as any other field's value does."""
    from hub.tracker.custom_fields import by_name
    from hub.tracker.field_values import typed_value

    problems: dict[str, str] = {}
    for key, value in values.items():
        name = custom_name(key)
        if name is None:
            continue
        definition = by_name(session).get(name)
        if definition is None:
            problems[key] = f"the hub has no custom field {name!r}"
        elif not definition.applies_to(ticket.kind, ticket.department_id):
            problems[key] = f"{ticket.ref}'s department has no custom field {name!r} for a {ticket.kind}"
        else:
            try:
                typed_value(session, definition, value)
            except ValueError as exc:
                problems[key] = str(exc).rstrip(".")
    return problems


def _with_custom(changes: dict[str, Any]) -> dict[str, Any]:
    """The ticket update: ``custom:<name>`` values merged into its custom fields (the others stay)."""
    values = {key: value for key, value in changes.items() if custom_name(key) is None}
    custom = {name: value for key, value in changes.items() if (name := custom_name(key)) is not None}
    if custom:
        values["custom_fields"] = custom
    return values


def _not_taken(session: Session, ticket: Ticket, actor: Actor, rule: FieldRule, remote_value: str, why: str) -> None:
    """A remote value the hub cannot hold: the field stays as it was, and the audit says why."""
    audit.record(session, ticket, "sync_skipped", actor, {rule.field: (None, remote_value)},
                 note=f"{rule.remote} = {remote_value!r} was not taken for {rule.field}: {why}.")


def unknown_names(session: Session, values: dict[str, Any]) -> list[str]:
    """The group and assignee names in ``values`` that name nobody (categories and items are
    made on first use, as for any source; a group or a user is not)."""
    from hub.tracker.org import id_for

    return [name for name, what in (("group", "group"), ("assignee", "user"))
            if values.get(name) and id_for(session, what, str(values[name])) is None]


def drop_unknown_names(session: Session, draft: TicketDraft) -> None:
    """Before a remote record opens a ticket: a group or assignee the hub does not have is
    left empty and noted in the new ticket's audit, rather than refusing the whole record."""
    for name in unknown_names(session, {"group": draft.group, "assignee": draft.assignee}):
        draft.notes.append(f"The remote's {name} {getattr(draft, name)!r} was not taken: the hub has no "
                           f"{hub_field(name).org} of that name (map it in the rule's values_in).")
        setattr(draft, name, None)


def _winner(rule: FieldRule, remote_time: datetime | None, hub_time: datetime | None) -> str:
    if rule.owner in ("hub", "remote"):
        return rule.owner
    if remote_time is None or hub_time is None:
        return "remote"
    hub_aware = hub_time if hub_time.tzinfo else hub_time.replace(tzinfo=UTC)
    return "hub" if hub_aware > remote_time else "remote"


def _conflict_note(rule: FieldRule, winner: str) -> str:
    why = "the newest change wins" if rule.owner == "newest" else f"the {rule.owner} side owns it"
    kept = "the hub's value kept and sent back" if winner == "hub" else "the remote value taken"
    return f"Both sides changed {rule.field} since the last sync ({rule.remote} remotely): {why}; {kept}."


def _is_stale(version: str | None, known: str | None) -> bool:
    if version is None or known is None:
        return False
    if version.isascii() and version.isdigit() and known.isascii() and known.isdigit():
        return int(version) <= int(known)
    return version == known


def _parse_time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def status_path(ticket: Ticket, target: str) -> list[str] | None:
    """The shortest run of allowed moves from the ticket's state to ``target``."""
    machine = MACHINES[ticket.kind]
    if target not in machine.moves:
        return None
    queue: deque[tuple[str, list[str]]] = deque([(ticket.status, [])])
    visited = {ticket.status}
    while queue:
        state, path = queue.popleft()
        for following in machine.allowed(state, ticket if state == ticket.status else None):
            if following == target:
                return [*path, following]
            if following not in visited:
                visited.add(following)
                queue.append((following, [*path, following]))
    return None


def _move(session: Session, ticket: Ticket, to: str, actor: Actor) -> bool:
    from hub.tracker.tickets import transition_ticket

    path = status_path(ticket, to)
    if path is None:
        log.info("%s: remote state %s is not reachable from %s", ticket.ref, to, ticket.status)
        return False
    for step in path:
        transition_ticket(session=session, ticket=ticket, to=step, actor=actor,
                          note="Moved in the remote system." if step == to else None)
    return True


def _add_comments(session: Session, ticket: Ticket | None, comments: list[dict[str, Any]], seen: list[str],
                  actor: Actor) -> list[str]:
    from hub.tracker.comments import add_comment

    known = set(seen)
    for comment in comments:
        ident = str(comment.get("id") or "")
        body = str(comment.get("body") or "").strip()
        if not ident or ident in known:
            continue
        known.add(ident)
        seen.append(ident)
        if ticket is None or not body:
            continue
        author = str(comment.get("author") or "")
        by = Actor(type=actor.type, name=author or actor.name, origin=actor.origin, instance_id=actor.instance_id)
        add_comment(session=session, ticket=ticket, body=body[:20_000], actor=by,
                    visibility="internal" if comment.get("visibility") == "internal" else "public")
    return seen[-SEEN_COMMENTS_KEPT:]


def _add_attachments(session: Session, ticket: Ticket | None, items: list[Any], seen: list[str],
                     actor: Actor) -> tuple[list[str], int]:
    """Keep the remote files not seen before; returns the seen ids and how many were kept.

    A file whose content the ticket already holds is the hub's own upload read back (or
    the same file twice), and is not kept again. One the remote or the hub's limits
    refuse is named in the audit, so nobody wonders where it went.
    """
    from hub.sdk.sync import RemoteAttachment
    from hub.sdk.tracker_errors import ValidationFailed
    from hub.tracker.attachments import has_content, store_attachment

    known = set(seen)
    kept = 0
    for entry in items:
        item = entry if isinstance(entry, RemoteAttachment) else RemoteAttachment.load(entry)
        if not item.id or item.id in known:
            continue
        known.add(item.id)
        seen.append(item.id)
        if ticket is None:
            continue
        refused = item.refused
        if item.data is not None and refused is None:
            if has_content(session, ticket.id, hashlib.sha256(item.data).hexdigest()):
                continue
            by = Actor(type=actor.type, name=item.author or actor.name, origin=actor.origin,
                       instance_id=actor.instance_id)
            try:
                store_attachment(session, ticket=ticket, filename=item.filename, content_type=item.content_type,
                                 data=item.data, visibility=item.visibility, actor=by)
                kept += 1
                continue
            except ValidationFailed as exc:
                refused = "; ".join(message for messages in exc.errors.values() for message in messages)
        audit.record(session, ticket, "attachment_skipped", actor, {"filename": (None, item.filename)},
                     note=f"Remote file {item.filename} was not copied: {refused or 'no content was read'}.")
    return seen[-SEEN_ATTACHMENTS_KEPT:], kept
