"""The SLA plugin's settings: calendars, and policies matched by priority, department and kind."""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from hub.sdk import ConfigSchema
from hub.sdk.references import OrgReference, named, one
from plugins.sla.calendar import DAYS

#: What a breached ticket meets when its policy's reassignment group no longer exists.
REASSIGN_EFFECT = "missed a target without being reassigned"
SPAN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$|^00:00-24:00$")


class CalendarSchema(ConfigSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    timezone = fields.String(load_default="UTC", metadata={"title": "Time zone", "description": "e.g. Europe/Berlin"})
    hours = fields.Dict(keys=fields.String(validate=validate.OneOf(DAYS)),
                        values=fields.String(validate=validate.Regexp(SPAN, error="Like 09:00-17:00.")),
                        load_default=lambda: dict.fromkeys(DAYS, "00:00-24:00"),
                        metadata={"title": "Opening hours", "description": 'e.g. {"mon": "09:00-17:00", ...}; '
                                  "days left out are closed."})
    holidays = fields.List(fields.Date(), load_default=list, metadata={"title": "Holidays (YYYY-MM-DD)"})

    @validates("timezone")
    def known_zone(self, value: str, **_: Any) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"Unknown time zone {value!r}.") from None


class EscalationSchema(ConfigSchema):
    mail_to = fields.List(fields.Email(), load_default=list, metadata={"title": "Mail these people"})
    raise_priority = fields.Boolean(load_default=False, metadata={"title": "Raise the priority by one"})
    reassign_group = fields.String(load_default=None, allow_none=True, metadata={"title": "Reassign to group"})
    on_warning = fields.Boolean(load_default=False, metadata={"title": "Also mail on the warning"})


class PolicySchema(ConfigSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    priorities = fields.List(fields.Integer(validate=validate.Range(1, 5)), load_default=list,
                             metadata={"title": "Priorities (empty: any)"})
    departments = fields.List(fields.String(), load_default=list, metadata={"title": "Departments (empty: any)"})
    kinds = fields.List(fields.String(validate=validate.OneOf(("incident", "change", "problem"))), load_default=list,
                        metadata={"title": "Kinds (empty: incidents and changes)", "description":
                                  "A problem is measured only by a policy that names it."})
    response_minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 525_600))
    resolution_minutes = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 5_256_000))
    calendar = fields.String(load_default="always", metadata={"title": "Calendar"})
    warn_at = fields.Float(load_default=0.8, validate=validate.Range(0.1, 0.99),
                           metadata={"title": "Warn at this share of the target"})
    escalation = fields.Nested(EscalationSchema, load_default=dict)


def default_policies() -> list[dict[str, Any]]:
    targets = {1: (15, 240), 2: (60, 480), 3: (240, 1440), 4: (480, 4320), 5: (1440, 7200)}
    return [{"name": f"P{priority}", "priorities": [priority], "departments": [], "kinds": [],
             "response_minutes": response, "resolution_minutes": resolution, "calendar": "always", "warn_at": 0.8,
             "escalation": {"mail_to": [], "raise_priority": False, "reassign_group": None, "on_warning": False}}
            for priority, (response, resolution) in targets.items()]


class SlaSettings(ConfigSchema):
    calendars = fields.List(fields.Nested(CalendarSchema), load_default=list, metadata={
        "title": "Calendars", "description": "Business hours; 'always' (24 x 7, UTC) needs no entry."})
    policies = fields.List(fields.Nested(PolicySchema), load_default=default_policies, metadata={
        "title": "Policies", "description": "The first that matches a ticket applies."})
    pause_states = fields.List(fields.String(), load_default=lambda: ["on_hold"], metadata={
        "title": "Paused while", "description": "The clock stops in these states (waiting for the requester)."})

    @classmethod
    def org_references(cls, values: dict[str, Any]) -> list[OrgReference]:
        found: list[OrgReference] = []
        for position, policy in enumerate(values.get("policies") or []):
            owner, path = f"SLA policy {policy.get('name') or '?'}", f"policies.{position}"
            found += named("department", policy.get("departments") or [], f"{path}.departments", owner)
            found += one("group", (policy.get("escalation") or {}).get("reassign_group"),
                         f"{path}.escalation.reassign_group", owner, REASSIGN_EFFECT)
        return found

    @validates_schema
    def calendars_exist(self, data: dict[str, Any], **_: Any) -> None:
        names = {calendar["name"] for calendar in data.get("calendars") or []} | {"always"}
        missing = sorted({policy["calendar"] for policy in data.get("policies") or []} - names)
        if missing:
            raise ValidationError(f"Unknown calendars: {', '.join(missing)}.", "policies")
