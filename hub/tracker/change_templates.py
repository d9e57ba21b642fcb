"""The standard-change catalogue: templates an admin defines (title, description, risk, plan);
a change made from one is a standard change, approved at once by the template."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import ChangeTemplate, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.tracker import audit
from hub.tracker.cab import RISKS
from hub.tracker.org_log import record_change
from hub.tracker.tickets import create_ticket

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FIELDS = ("slug", "title", "description", "risk", "plan", "active")
#: What the person making a change from a template may add: where and when, and for whom.
FILLED_IN = ("ci", "planned_start", "planned_end", "department", "group", "assignee", "requester_name",
             "requester_email", "description")


def list_templates(session: Session, *, active_only: bool = False) -> list[ChangeTemplate]:
    query = select(ChangeTemplate).order_by(ChangeTemplate.title, ChangeTemplate.id)
    if active_only:
        query = query.where(ChangeTemplate.active.is_(True))
    return list(session.scalars(query))


def get_template(session: Session, ident: int | str) -> ChangeTemplate:
    column = ChangeTemplate.id if isinstance(ident, int) else ChangeTemplate.slug
    found = session.scalar(select(ChangeTemplate).where(column == ident))
    if found is None:
        raise NotFound(f"No change template {ident!r}.")
    return found


def present_template(template: ChangeTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in ("id", *FIELDS)}


def _check(session: Session, values: dict[str, Any], current: ChangeTemplate | None) -> None:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(FIELDS))
    for name in unknown:
        errors[name] = ["Unknown field."]
    if current is None or "slug" in values:
        slug = values.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug):
            errors["slug"] = ["Lower-case letters, digits and dashes, at most 64."]
        elif session.scalar(select(ChangeTemplate.id).where(ChangeTemplate.slug == slug,
                                                            ChangeTemplate.id != (current.id if current else -1))):
            errors["slug"] = [f"A template {slug!r} exists."]
    if current is None or "title" in values:
        title = values.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 500:
            errors["title"] = ["A title of at most 500 characters is required."]
    if "risk" in values and values["risk"] not in RISKS:
        errors["risk"] = [f"Must be one of: {', '.join(RISKS)}."]
    if errors:
        raise ValidationFailed(errors)


def create_template(*, session: Session, values: dict[str, Any], actor: Actor | None = None) -> ChangeTemplate:
    _check(session, values, None)
    template = ChangeTemplate(slug=values["slug"], title=values["title"].strip(),
                              description=values.get("description") or "", risk=values.get("risk") or "low",
                              plan=values.get("plan") or "", active=bool(values.get("active", True)))
    session.add(template)
    session.flush()
    record_change(session, item_type="change_template", item_id=template.id, item_name=template.slug,
                  action="created", actor=actor, changes={"title": template.title, "risk": template.risk})
    return template


def update_template(*, session: Session, template: ChangeTemplate, values: dict[str, Any],
                    actor: Actor | None = None) -> dict[str, Any]:
    _check(session, values, template)
    changes = {}
    for name, value in values.items():
        value = value.strip() if name == "title" else value
        if getattr(template, name) != value:
            changes[name] = (getattr(template, name), value)
            setattr(template, name, value)
    if changes:
        session.flush()
        record_change(session, item_type="change_template", item_id=template.id, item_name=template.slug,
                      action="updated", actor=actor, changes=changes)
    return changes


def delete_template(*, session: Session, template: ChangeTemplate, actor: Actor | None = None) -> None:
    """Delete a template never used; one with changes made from it is retired instead (409)."""
    used = session.scalar(select(Ticket.id).where(Ticket.kind == "change").where(
        Ticket.custom_fields["template"].as_string() == template.slug).limit(1))
    if used is not None:
        raise Conflict(f"Changes were made from {template.slug}; retire it (active: false) instead.")
    record_change(session, item_type="change_template", item_id=template.id, item_name=template.slug,
                  action="deleted", actor=actor)
    session.delete(template)
    session.flush()


def create_from_template(*, session: Session, template: ChangeTemplate, values: dict[str, Any], actor: Actor,
                         source: str = "api") -> Ticket:
    """A standard change from the template, approved at once: its title, risk and plan are the template's."""
    if not template.active:
        raise Conflict(f"The template {template.slug} is retired; choose another.")
    unknown = sorted(set(values) - set(FILLED_IN))
    if unknown:
        raise ValidationFailed({name: ["Comes from the template; cannot be set here."] for name in unknown})
    extra = (values.get("description") or "").strip()
    description = template.description + (f"\n\n{extra}" if extra else "")
    ticket = create_ticket(
        session=session, kind="change", actor=actor, source=source, status="approved",
        values={**values, "title": template.title, "description": description, "change_type": "standard",
                "risk": template.risk, "custom_fields": {"template": template.slug, "plan": template.plan}},
        notes=[f"Pre-approved by the standard change template {template.slug}."])
    audit.record(session, ticket, "approval", actor,
                 {"decision": "approved", "template": template.slug, "channel": "template"},
                 f"Standard change: pre-approved by the template {template.slug!r}.")
    return ticket
