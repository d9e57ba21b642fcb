"""ServiceNow field values as the sync compares them, and back as the Table API takes them.

Most fields travel as the Table API answers them (``sysparm_display_value=false``): a
state ``2``, an impact ``1``, a category ``network``. Two kinds do not:

- a reference field (``assignment_group``, ``cmdb_ci``, ``assigned_to``, ...) holds the
  referenced record's sys_id, which means nothing to the hub. It is read by the name of
  what it points at, dot-walked in ``sysparm_fields`` (``assignment_group.name``), and
  written as the sys_id of the record of that name, looked up in the referenced table
  (the Table API stores a written value as given, so a name would not do);
- a date-time (``start_date``, ``end_date``) is ``YYYY-MM-DD HH:MM:SS`` in UTC in the
  API; the sync's text form of a moment is ISO 8601 (hub.sdk.sync_fields), so a planned
  window the hub wrote reads back equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.servicenow.config import SN_TIME
from hub.sdk import FatalError
from hub.sdk.sync import FieldRule
from hub.sdk.sync_fields import hub_field, moment_text, parse_moment

if TYPE_CHECKING:
    from connectors.servicenow.connector import ServiceNowConnector

REFERENCES: dict[str, tuple[str, str]] = {
    "assignment_group": ("sys_user_group", "name"),
    "cmdb_ci": ("cmdb_ci", "name"),
    "business_service": ("cmdb_ci_service", "name"),
    "assigned_to": ("sys_user", "user_name"),
    "caller_id": ("sys_user", "user_name"),
    "opened_by": ("sys_user", "user_name"),
    "location": ("cmn_location", "name"),
    "company": ("core_company", "name"),
}
"""The task tables' usual reference fields: the table each points at, and the field of it
that names a record as the hub does (a group's name, a user's login)."""


def is_moment(rule: FieldRule) -> bool:
    return hub_field(rule.field).kind == "moment"


def read_names(rules: Iterable[FieldRule]) -> set[str]:
    """The names to ask for in ``sysparm_fields``: each reference by its dot-walked name too."""
    names: set[str] = set()
    for rule in rules:
        names.add(rule.remote)
        if rule.remote in REFERENCES:
            names.add(f"{rule.remote}.{REFERENCES[rule.remote][1]}")
    return names


def words(record: Mapping[str, Any], rules: Iterable[FieldRule], *, reading: bool = False) -> dict[str, str]:
    """The rules' fields of a record, in the words the sync compares; a field the record
    does not have (this table has none of that name) is left out."""
    out: dict[str, str] = {}
    for rule in rules:
        if (reading and not rule.reads) or rule.remote in out:
            continue
        if rule.remote in REFERENCES:
            walked = f"{rule.remote}.{REFERENCES[rule.remote][1]}"
            if walked in record:
                out[rule.remote] = str(record.get(walked) or "")
            elif rule.remote in record:
                out[rule.remote] = "" if not record.get(rule.remote) else str(record[rule.remote])
            continue
        if rule.remote not in record:
            continue
        text = str(record.get(rule.remote) or "")
        out[rule.remote] = _moment_in(text) if is_moment(rule) and text else text
    return out


def _moment_in(text: str) -> str:
    try:
        return moment_text(datetime.strptime(text, SN_TIME).replace(tzinfo=UTC))
    except ValueError:
        return text  # not a date-time: the engine reports it when it reads it


def missing(record: Mapping[str, Any], wanted: Iterable[str]) -> list[str]:
    """The wanted fields the record does not have (the Table API leaves them out)."""
    return sorted(name for name in wanted if name not in record)


def refuse_missing(table: str, absent: list[str], rules: Iterable[FieldRule]) -> None:
    if absent:
        named = {rule.remote: rule.field for rule in rules}
        raise FatalError(f"ServiceNow's {table} table has no field "
                         + ", ".join(f"{name} (the rule for the hub's {named.get(name, '?')})" for name in absent)
                         + ": fix the instance's field rules, or add the field in ServiceNow")


def api_values(sn: ServiceNowConnector, rules: Iterable[FieldRule], values: Mapping[str, str]) -> dict[str, str]:
    """Values in the sync's words as the Table API takes them: a reference as its sys_id,
    a moment in ServiceNow's format."""
    moments = {rule.remote for rule in rules if is_moment(rule)}
    out: dict[str, str] = {}
    for remote, text in values.items():
        if remote in REFERENCES and text:
            out[remote] = reference_id(sn, remote, text)
        elif remote in moments and text:
            out[remote] = parse_moment(text).strftime(SN_TIME)
        else:
            out[remote] = text
    return out


def reference_id(sn: ServiceNowConnector, remote: str, name: str) -> str:
    """The sys_id of the record ``remote`` should point at; a readable error if none has that name."""
    table, column = REFERENCES[remote]
    found = sn._list(table, f"{column}={name}", limit=2, fields="sys_id")
    if not found:
        raise FatalError(f"ServiceNow has no {table} record with {column} {name!r} for {remote}: add it there, or "
                         "map the hub's value to one it has in the rule's values_out")
    return str(found[0]["sys_id"])
