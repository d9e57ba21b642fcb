"""Jira field values as the sync compares them (text), and back as the REST API takes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.jira.adf import adf_to_text, normalize_text, text_to_adf
from connectors.jira.config import OUR_REF, SUMMARY_MAX
from hub.sdk.sync import FieldRule
from hub.sdk.sync_fields import hub_field, moment_text, parse_moment

JIRA_TIME = "%Y-%m-%dT%H:%M:%S.%f%z"
STATUS = "status"
"""Read like a field, written only by a transition."""


def flatten(raw: Any) -> str:
    """A field's value as text: a document's text, an option's or a priority's name."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return normalize_text(raw)
    if isinstance(raw, bool | int | float):
        return str(raw).lower() if isinstance(raw, bool) else str(raw)
    if isinstance(raw, list):
        return ",".join(flatten(item) for item in raw)
    if isinstance(raw, Mapping):
        if raw.get("type") == "doc":
            return adf_to_text(raw)
        for name in ("name", "value", "displayName", "key"):
            if raw.get(name) is not None:
                return str(raw[name])
    return ""


def category(raw: Any) -> str | None:
    """A status's category key (new, indeterminate, done)."""
    if isinstance(raw, Mapping) and isinstance(raw.get("statusCategory"), Mapping):
        key = raw["statusCategory"].get("key")
        return str(key) if key else None
    return None


def word(rule: FieldRule, raw: Any, fallback: Mapping[str, str]) -> str:
    """The remote value in the one word the rule writes for its hub meaning.

    "Highest" and "High" both mean the hub's ``high``; reading either as "High" keeps the
    comparison in the remote's words (hub.sdk.sync) from seeing a change that is not
    there, and from lowering a Highest to High on the next push. A status the rule does
    not name is read by its category (``fallback``: category -> hub status).
    """
    text = flatten(raw)
    if is_moment(rule) and text:
        moment = parse_time(text)
        return moment_text(moment) if moment else text
    if not rule.values_in:
        return text
    folded = text.casefold()
    named = next((remote for remote in rule.values_in if remote.casefold() == folded), None)
    if named is not None:
        return rule.to_remote(rule.to_hub(named))
    meaning = fallback.get(category(raw) or "") if rule.field == "status" else None
    return rule.to_remote(meaning) if meaning else text


def is_moment(rule: FieldRule) -> bool:
    return hub_field(rule.field).kind == "moment"


def api_value(remote: str, text: str, current: Any = None, *, moment: bool = False, schema: str = "") -> Any:
    """A text value as the field takes it in a create or edit, shaped like its current value
    or, for a field that holds none, by its ``schema`` type (``JiraRest.schema_of``).

    ``components`` (and any list of named things) take ``[{"name": ...}]``, a moment an
    ISO 8601 date-time with its offset (None clears it), an option ``{"value": ...}``."""
    if moment or schema == "datetime":
        return parse_moment(text).strftime("%Y-%m-%dT%H:%M:%S.000+0000") if text else None
    if schema == "option":
        return {"value": text} if text else None
    if remote == "components" or (isinstance(current, list) and current and isinstance(current[0], Mapping)):
        return [{"name": part.strip()} for part in text.split(",") if part.strip()]
    if remote == "description" or (isinstance(current, Mapping) and current.get("type") == "doc"):
        return text_to_adf(text)
    if remote == "priority" or (isinstance(current, Mapping) and "name" in current):
        return {"name": text} if text else None
    if isinstance(current, Mapping) and "value" in current:
        return {"value": text} if text else None
    if isinstance(current, list):
        return [part for part in text.split(",") if part]
    return text


def outgoing(remote: str, text: str, ref: str) -> str:
    """What the hub's value becomes in Jira, exactly as Jira will hand it back."""
    if remote == "summary":
        # One line, at most 255 characters, never empty: else Jira refuses the whole edit.
        line = normalize_text(text).replace("\n", " ").replace("\t", " ").strip()
        line = line if len(line) <= SUMMARY_MAX else line[: SUMMARY_MAX - 1] + "\u2026"
        return line or ref
    if remote == "description":
        return normalize_text(text)
    return text


def our_ref(labels: Any, prefix: str) -> str | None:
    for label in labels if isinstance(labels, list) else []:
        text = str(label)
        if text.startswith(prefix) and OUR_REF.match(text[len(prefix):]):
            return text[len(prefix):]
    return None


def parse_time(text: Any) -> datetime | None:
    """Jira's ``2026-11-16T09:13:55.000+0100``, as an aware datetime."""
    if not text:
        return None
    try:
        return datetime.strptime(str(text), JIRA_TIME)
    except ValueError:
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def millis(moment: datetime | None) -> int:
    return int(moment.timestamp() * 1000) if moment else 0


def from_millis(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def jql_string(text: str) -> str:
    """A JQL string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def refused_fields(fields: Mapping[str, Any], rules: list[FieldRule], said: str = "") -> str:
    """The mapped fields of a refused write (those Jira's answer names, if it names any),
    each with the hub field its rule keeps."""
    named = {rule.remote: rule.field for rule in rules}
    mapped = [remote for remote in fields if remote in named]
    blamed = [remote for remote in mapped if f'"{remote}"' in said] or mapped
    return ", ".join(f"{remote} (the hub's {named[remote]})" for remote in blamed) or "its fields"
