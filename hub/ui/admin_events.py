"""Admin pages for what went wrong in transit: quarantined inbound events and outbound dead letters."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.api.admin import present_event
from hub.api.context import actor, reading, unit_of_work
from hub.delivery import outbox
from hub.ingest.pipeline import replay_event
from hub.models import ConnectorInstance, InboundEvent, Ticket
from hub.plugins.instances import get_instance, list_instances
from hub.sdk.tracker_errors import NotFound, TrackerError
from hub.ui.admin import bp
from hub.ui.auth import login_required
from hub.ui.forms import describe_error, flashing_errors, parse_int

PAGE = 50
EVENT_STATES = ("quarantined", "ignored", "received", "applied")
OUTBOX_STATES = ("dead", "pending", "delivered", "discarded")


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


@bp.get("/events")
@login_required("admin")
def events() -> Any:
    """Inbound events, newest first; quarantined ones by default (the ones waiting for an admin)."""
    status = request.args.get("status", "quarantined")
    problems = []
    if status not in EVENT_STATES and status != "all":
        problems.append(f"Unknown status {status!r}; showing quarantined events.")
        status = "quarantined"
    before = parse_int(request.args.get("before"))
    with reading() as session:
        query = select(InboundEvent).order_by(InboundEvent.id.desc()).limit(PAGE + 1)
        if status != "all":
            query = query.where(InboundEvent.status == status)
        slug = request.args.get("instance") or ""
        if slug:
            try:
                query = query.where(InboundEvent.instance_id == get_instance(session, slug).id)
            except NotFound as exc:
                problems.append(exc.detail)
                slug = ""
        if before:
            query = query.where(InboundEvent.id < before)
        found = list(session.scalars(query))
        slugs = dict(session.execute(select(ConnectorInstance.id, ConnectorInstance.slug)).all())
        rows = [present_event(session, event, slugs.get(event.instance_id)) for event in found[:PAGE]]
        instance_slugs = [instance.slug for instance in list_instances(session)]
    more = url_for("ui_admin.events", status=status, instance=slug or None, before=found[PAGE - 1].id) \
        if len(found) > PAGE else None
    return render_template("ui/admin/events.html", events=rows, status=status, states=EVENT_STATES, instance=slug,
                           instances=instance_slugs, more=more, problems=problems)


@bp.get("/events/<int:event_id>")
@login_required("admin")
def event_page(event_id: int) -> Any:
    with reading() as session:
        found = session.get(InboundEvent, event_id)
        if found is None:
            raise NotFound(f"No event {event_id}.")
        event = present_event(session, found)
        body_text = None
        if found.payload is None and found.body is not None:
            body_text = found.body[:20000].decode("utf-8", "replace")
    return render_template("ui/admin/event.html", event=event, payload=_pretty(event["payload"]),
                           meta=_pretty(event["meta"]), body_text=body_text)


@bp.post("/events/<int:event_id>/replay")
@login_required("admin")
def event_replay(event_id: int) -> Any:
    result = None
    with flashing_errors(), unit_of_work() as session:
        result = replay_event(session=session, event_id=event_id)
    if result is not None:
        text = f"Event {event_id} replayed: {result.status}"
        text += f" ({result.action})" if result.action else ""
        text += f", ticket {result.ticket_ref}" if result.ticket_ref else ""
        text += f". {result.reason}" if result.reason else "."
        flash(text, "success" if result.status == "applied" else "error")
    return redirect(url_for("ui_admin.event_page", event_id=event_id))


@bp.get("/outbox")
@login_required("admin")
def dead_letters() -> Any:
    """Outbound deliveries, dead letters by default: what could not be delivered after every retry."""
    status = request.args.get("status", "dead")
    problems = []
    if status not in OUTBOX_STATES:
        problems.append(f"Unknown status {status!r}; showing dead letters.")
        status = "dead"
    before = parse_int(request.args.get("before"))
    with reading() as session:
        messages = outbox.list_messages(session, status=status, before=before, limit=PAGE + 1)
        slugs = dict(session.execute(select(ConnectorInstance.id, ConnectorInstance.slug)).all())
        ticket_ids = {m.ticket_id for m in messages if m.ticket_id}
        refs = dict(session.execute(select(Ticket.id, Ticket.ref).where(Ticket.id.in_(ticket_ids))).all()) \
            if ticket_ids else {}
        held = outbox.held_behind(session, messages)
        rows = [{**outbox.present(m, held), "instance": slugs.get(m.instance_id) if m.instance_id else None,
                 "ticket": refs.get(m.ticket_id) if m.ticket_id else None}
                for m in messages[:PAGE]]
    more = url_for("ui_admin.dead_letters", status=status, before=messages[PAGE - 1].id) \
        if len(messages) > PAGE else None
    return render_template("ui/admin/outbox.html", messages=rows, status=status, states=OUTBOX_STATES, more=more,
                           problems=problems)


@bp.get("/outbox/<int:message_id>")
@login_required("admin")
def dead_letter(message_id: int) -> Any:
    with reading() as session:
        row = outbox.get_message(session, message_id)
        message = outbox.present(row, outbox.held_behind(session, [row]))
        message["waiting"] = outbox.waiting_behind(session, row)
        instance = session.get(ConnectorInstance, message["instance_id"]) if message["instance_id"] else None
        ticket = session.get(Ticket, message["ticket_id"]) if message["ticket_id"] else None
        names = {"instance": instance.slug if instance else None, "ticket": ticket.ref if ticket else None}
    return render_template("ui/admin/outbox_message.html", message=message, names=names,
                           payload=_pretty(message["payload"]), result=_pretty(message["result"]))


@bp.post("/outbox/<int:message_id>/replay")
@login_required("admin")
def dead_letter_replay(message_id: int) -> Any:
    done = False
    with flashing_errors(), unit_of_work() as session:
        outbox.replay(session, message_id)
        done = True
    if done:
        flash(f"Message {message_id} goes out again with a fresh set of attempts.", "success")
    return redirect(url_for("ui_admin.dead_letter", message_id=message_id))


@bp.post("/outbox/<int:message_id>/discard")
@login_required("admin")
def dead_letter_discard(message_id: int) -> Any:
    done = False
    with flashing_errors(), unit_of_work() as session:
        outbox.discard(session, message_id, by=actor("ui").name)
        done = True
    if done:
        flash(f"Message {message_id} is discarded; the updates held behind it go on, in order.", "success")
    return redirect(url_for("ui_admin.dead_letter", message_id=message_id))


@bp.post("/outbox/replay-dead")
@login_required("admin")
def dead_letters_replay_all() -> Any:
    try:
        with unit_of_work() as session:
            count = outbox.replay_all_dead(session)
        flash(f"{count} dead letters go out again.", "success")
    except TrackerError as exc:
        flash(describe_error(exc), "error")
    return redirect(url_for("ui_admin.dead_letters"))
