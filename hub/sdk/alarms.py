"""Alarm policy shared by the manufacturing connectors (MQTT and OPC UA).

A source says *that* a machine raised or cleared an alarm; the policy here says what the
tracker makes of it: the correlation (dedup) key, the configuration item and department,
impact and urgency from the severity, what a clear does, what an alarm after a clear
does, and when coming and going counts as flapping. Both connectors build their drafts
through :func:`alarm_draft`, so an admin configures the two the same way.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from hub.sdk import ConfigSchema, SkippableError, TicketDraft
from hub.sdk.mapping import MappingError, placeholders, render

LEVELS = ("low", "medium", "high")

#: Severity words as line systems send them, to ITIL impact and urgency.
WORD_SEVERITIES: dict[str, dict[str, str]] = {
    "critical": {"impact": "high", "urgency": "high"},
    "major": {"impact": "high", "urgency": "medium"},
    "minor": {"impact": "medium", "urgency": "medium"},
    "warning": {"impact": "low", "urgency": "medium"},
    "info": {"impact": "low", "urgency": "low"},
}
#: OPC UA severities (1 to 1000) in bands: the highest lower bound not above the value wins.
NUMERIC_SEVERITIES: dict[str, dict[str, str]] = {
    "1": {"impact": "low", "urgency": "low"},
    "200": {"impact": "low", "urgency": "medium"},
    "400": {"impact": "medium", "urgency": "medium"},
    "600": {"impact": "high", "urgency": "medium"},
    "800": {"impact": "high", "urgency": "high"},
}


def _template(value: str) -> None:
    try:
        placeholders(value)
    except MappingError as exc:  # pragma: no cover - placeholders never raises today
        raise ValidationError(str(exc)) from None
    if value.count("{") != value.count("}"):
        raise ValidationError("Unbalanced braces: write placeholders as {name}.")


class AlarmPolicySchema(ConfigSchema):
    """Configuration fields every alarm source shares; connector schemas extend it."""

    dedup_key = fields.String(load_default="{site}/{line}/{machine}/{code}", validate=_template, metadata={
        "title": "Dedup key", "description": "Template of alarm fields; alarms with the same key count on one "
        "open incident. Fields: site, line, machine, code, severity, and for OPC UA condition_id, source."})
    ci_key = fields.String(load_default="{site}/{line}/{machine}", validate=_template, metadata={
        "title": "Configuration item", "description": "Template of the machine's configuration item key (made "
        "on first use, kind 'machine'), e.g. '{site}/{line}/{machine}'. Empty: no configuration item."})
    title = fields.String(load_default="{code} {text} on {machine}", validate=_template, metadata={
        "title": "Incident title", "description": "Template of the incident title from the alarm fields."})
    departments = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict, metadata={
        "title": "Departments by machine", "description": "Configuration item pattern ('plant-a/line3/*') to "
        "department slug; the longest matching pattern wins. Unmatched machines get the instance's department."})
    severity_map = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=None, metadata={
        "title": "Severity map", "description": "Source severity to {impact, urgency} (low, medium, high). Keys "
        "that are numbers are lower bounds of bands (OPC UA 1-1000). Empty: critical/major/minor/warning/info "
        "and the OPC UA bands 1/200/400/600/800."})
    clear_policy = fields.String(load_default="resolve", validate=validate.OneOf(("resolve", "note")), metadata={
        "title": "When an alarm clears", "description": "'resolve' the incident, or add an internal 'note' and "
        "leave it to an agent."})
    after_clear = fields.String(load_default="reopen", validate=validate.OneOf(("reopen", "new")), metadata={
        "title": "Alarm after a clear", "description": "'reopen' the resolved incident, or open a 'new' one."})
    flap_threshold = fields.Integer(load_default=3, validate=validate.Range(0, 1000), metadata={
        "title": "Flapping threshold", "description": "An alarm raised this many times within the flapping "
        "window gives one incident marked flapping instead of a storm. 0 turns the rule off."})
    flap_minutes = fields.Float(load_default=10.0, validate=validate.Range(0.1, 24 * 60), metadata={
        "title": "Flapping window (minutes)", "description": "The window the flapping threshold counts in."})

    @validates_schema
    def check_severity_map(self, data: dict[str, Any], **_: Any) -> None:
        for name, levels in (data.get("severity_map") or {}).items():
            problems = [f"{key} must be low, medium or high" for key in ("impact", "urgency")
                        if levels.get(key) not in LEVELS]
            unknown = set(levels) - {"impact", "urgency"}
            if unknown:
                problems.append(f"unknown keys {sorted(unknown)}")
            if problems:
                raise ValidationError({"severity_map": {name: problems}})


@dataclass(frozen=True)
class Alarm:
    """One alarm transition as a source reported it, after mapping and checking."""

    values: dict[str, str]
    """Text fields the templates can use: site, line, machine, code, text, severity, ..."""
    active: bool
    occurred_at: datetime | None
    severity: Any
    details: tuple[str, ...] = ()
    """Extra lines for the incident description (topic, condition id, ...)."""


def levels_for(severity: Any, severity_map: Mapping[str, Mapping[str, str]] | None) -> dict[str, str]:
    """Impact and urgency for a severity; SkippableError names a severity the map lacks."""
    table = dict(severity_map) if severity_map else {**WORD_SEVERITIES, **NUMERIC_SEVERITIES}
    if isinstance(severity, str) and severity.strip().lower() in {key.lower() for key in table}:
        lowered = {key.lower(): value for key, value in table.items()}
        return dict(lowered[severity.strip().lower()])
    number = _number(severity)
    bands = sorted((float(key), value) for key, value in table.items() if _number(key) is not None)
    if number is not None and bands:
        matching = [value for bound, value in bands if bound <= number]
        if matching:
            return dict(matching[-1])
    known = ", ".join(sorted(table))
    raise SkippableError(f"severity {severity!r} is not in the severity map ({known}); add it to severity_map")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def department_for(ci: str | None, departments: Mapping[str, str]) -> str | None:
    if not ci:
        return None
    # The longest matching pattern wins: it is the most specific, and configurations stored
    # as JSON (PostgreSQL's jsonb) do not keep the order an admin wrote them in.
    for pattern, department in sorted(departments.items(), key=lambda item: (-len(item[0]), item[0])):
        if fnmatch.fnmatchcase(ci, pattern):
            return department
    return None


def _render(name: str, template: str, values: Mapping[str, str]) -> str:
    try:
        return render(template, values)
    except MappingError as exc:
        raise SkippableError(f"{name}: {exc} in the alarm") from None


def alarm_draft(alarm: Alarm, config: Mapping[str, Any]) -> TicketDraft:
    """The draft for one alarm transition under an instance's alarm policy."""
    values = alarm.values
    key = _render("dedup key", config["dedup_key"], values)
    ci = _render("configuration item", config["ci_key"], values) if config.get("ci_key") else None
    levels = levels_for(alarm.severity, config.get("severity_map"))
    threshold = int(config.get("flap_threshold") or 0)
    when = alarm.occurred_at.isoformat() if alarm.occurred_at else "unknown"
    description = "\n".join((
        f"Alarm {values.get('code', '')} on {values.get('machine', '')}: {values.get('text', '')}",
        f"Severity: {alarm.severity}", f"First reported at: {when}", *alarm.details))
    draft = TicketDraft(
        action="open" if alarm.active else "clear",
        kind="incident",
        title=_render("title", config["title"], values),
        description=description,
        impact=levels["impact"],
        urgency=levels["urgency"],
        department=department_for(ci, config.get("departments") or {}),
        ci=ci,
        ci_name=values.get("machine") or None,
        ci_kind="machine" if ci else None,
        tags=["alarm"],
        correlation_key=key,
        reopen_on_repeat=config.get("after_clear", "reopen") == "reopen",
        clear_policy=config.get("clear_policy", "resolve"),
        flap_threshold=threshold or None,
        flap_minutes=float(config.get("flap_minutes") or 10.0),
        occurred_at=alarm.occurred_at,
        extra={**values, "severity": str(alarm.severity), "active": alarm.active},
    )
    return draft


def parse_time(value: Any, name: str = "time") -> datetime:
    """An ISO 8601 time or Unix seconds (or milliseconds) as an aware datetime."""
    if isinstance(value, bool):
        raise SkippableError(f"{name} {value!r} is not a time")
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise SkippableError(f"{name} {value!r} is not a Unix time") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise SkippableError(f"{name} {value[:60]!r} is not an ISO 8601 time (e.g. 2026-11-14T21:02:11Z)") \
                from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise SkippableError(f"{name} {value!r} is not a time")
