"""Field rules of a two-way sync: which hub field pairs with which remote one, which way
values flow, who wins a conflict, and how values translate (re-exported by hub.sdk.sync).

Values are compared in the *remote* system's vocabulary: the hub's ``acknowledged`` and
``in_progress`` both become ServiceNow state ``2``, so comparing in the hub's words would
see a change that is not there, and sync it back and forth for ever. The hub fields a rule
may name, and their text forms, are in hub.sdk.sync_fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as mf

from hub.sdk.schema import ConfigSchema
from hub.sdk.sync_fields import (
    SYNCED_FIELDS,
    field_problem,
    hub_field,
    hub_text,
    hub_value,
    ticket_value,
    value_problem,
)
from hub.sdk.values import TicketInfo

DIRECTIONS = ("in", "out", "both")
OWNERS = ("newest", "hub", "remote")


class FieldRuleSchema(ConfigSchema):
    field = mf.String(required=True, metadata={
        "title": "Hub field", "description": "The ticket field this rule keeps in step: "
        + ", ".join(SYNCED_FIELDS) + ", or a custom field as custom:<name> (docs/connectors/itsm.md)."})
    remote = mf.String(required=True, validate=validate.Regexp(r"^[A-Za-z_][\w. -]{0,99}$"),
                       metadata={"title": "Remote field", "description": "Its name in the other system."})
    direction = mf.String(load_default="both", validate=validate.OneOf(DIRECTIONS), metadata={
        "title": "Direction", "description": "in: remote to hub; out: hub to remote; both."})
    owner = mf.String(load_default="newest", validate=validate.OneOf(OWNERS), metadata={
        "title": "On conflict", "description": "When both sides changed it: the newest change wins, or one "
        "side always does. Every conflict is recorded in the ticket's audit."})
    kind = mf.String(load_default=None, allow_none=True, validate=validate.OneOf(("incident", "change")),
                     metadata={"title": "Only for", "description": "incident or change; empty for both."})
    values_in = mf.Dict(keys=mf.String(), values=mf.String(), load_default=dict, metadata={
        "title": "Remote to hub values", "description": "e.g. {\"1\": \"high\"}; unlisted values pass as they are."})
    values_out = mf.Dict(keys=mf.String(), values=mf.String(), load_default=dict, metadata={
        "title": "Hub to remote values", "description": "Defaults to the reverse of the values in."})

    @validates_schema
    def check_status_maps(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("field") == "status" and data.get("direction") != "out" and not data.get("values_in"):
            raise ValidationError("A status rule needs the remote states mapped to hub states.", "values_in")

    @validates_schema
    def check_hub_values(self, data: dict[str, Any], **_: Any) -> None:
        """The hub field exists, and each value map names hub values it can hold (names of
        groups, categories, items and users are checked against the organisation on save:
        hub.sdk.sync_settings.SyncSettings.org_references; custom fields and their options
        against the hub's definitions: SyncSettings.custom_field_problems)."""
        name = str(data.get("field") or "")
        problem = field_problem(name)
        if problem:
            raise ValidationError(problem, "field")
        errors: dict[str, list[str]] = {}
        for remote, hub in (data.get("values_in") or {}).items():
            if (problem := value_problem(name, hub, data.get("kind"))) is not None:
                errors.setdefault("values_in", []).append(f"{remote!r} maps to {problem}")
        for hub in data.get("values_out") or {}:
            if hub != "*" and (problem := value_problem(name, hub, data.get("kind"))) is not None:
                errors.setdefault("values_out", []).append(problem)
        if hub_field(name).changes_only and data.get("kind") == "incident":
            errors.setdefault("kind", []).append(f"Only changes have a {name}.")
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class FieldRule:
    field: str
    remote: str
    direction: str = "both"
    owner: str = "newest"
    kind: str | None = None
    values_in: Mapping[str, str] = dataclass_field(default_factory=dict)
    values_out: Mapping[str, str] = dataclass_field(default_factory=dict)

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> FieldRule:
        return cls(field=data["field"], remote=data["remote"], direction=data.get("direction") or "both",
                   owner=data.get("owner") or "newest", kind=data.get("kind"),
                   values_in=dict(data.get("values_in") or {}), values_out=dict(data.get("values_out") or {}))

    def dump(self) -> dict[str, Any]:
        return {"field": self.field, "remote": self.remote, "direction": self.direction, "owner": self.owner,
                "kind": self.kind, "values_in": dict(self.values_in), "values_out": dict(self.values_out)}

    @property
    def reads(self) -> bool:
        return self.direction in ("in", "both")

    @property
    def writes(self) -> bool:
        return self.direction in ("out", "both")

    def applies_to(self, kind: str) -> bool:
        return self.kind is None or self.kind == kind

    def to_hub(self, remote_value: str) -> str:
        """The remote's value in the hub's words, as text (hub.sdk.sync_fields)."""
        return self.values_in.get(remote_value, remote_value)

    def hub_value(self, remote_value: str, kind: str | None = None) -> Any:
        """The remote's value as the tracker takes it (a priority as a number, a planned
        start as a datetime, None for empty); ValueError when the hub cannot hold it."""
        return hub_value(self.field, self.to_hub(remote_value), kind)

    def to_remote(self, hub_value: Any) -> str:
        text = hub_text(self.field, hub_value)
        if self.values_out:
            return self.values_out.get(text, text)
        reverse = {hub: remote for remote, hub in sorted(self.values_in.items(), reverse=True)}
        return reverse.get(text, text)


def rules_from(config: Mapping[str, Any], defaults: Iterable[FieldRule], kind: str | None = None) -> list[FieldRule]:
    """The instance's rules (``config["field_map"]``), else the connector's defaults."""
    configured = config.get("field_map")
    rules = [FieldRule.load(item) for item in configured] if configured else list(defaults)
    return [rule for rule in rules if kind is None or rule.applies_to(kind)]


def outbound_values(rules: Iterable[FieldRule], ticket: TicketInfo) -> dict[str, str]:
    """The remote fields this ticket writes, in the remote's words."""
    return {rule.remote: rule.to_remote(ticket_value(ticket, rule.field)) for rule in rules
            if rule.writes and rule.applies_to(ticket.kind)}


def values_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
