"""ServiceNow encoded queries (``sysparm_query``), the subset an integration uses.

Grammar: conditions joined by ``^`` (AND) and ``^OR`` (OR with the condition before),
groups joined by ``^NQ`` (OR of whole groups), and ``ORDERBY<field>`` /
``ORDERBYDESC<field>`` anywhere. A condition is ``<field><OP><value>`` with OP one of
``= != > >= < <= LIKE NOTLIKE STARTSWITH ENDSWITH IN NOT IN ISEMPTY ISNOTEMPTY``.

Two documented behaviours matter for a sync client:

* "If part of the query is invalid, such as by specifying an invalid field name, the
  instance ignores the invalid part. It then returns rows using only the valid portion of
  the query" (Table API GET docs; the ``glide.invalid_query.returns_no_rows`` property
  turns that into no rows). A misspelt field silently widens the result.
* A plain date-time value is taken as UTC, while ``javascript:gs.dateGenerate('d','t')``
  is taken in the calling user's time zone and converted to UTC (ServiceNow community,
  "SOAP web service and time zones examples", by a ServiceNow employee).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

SN_FORMAT = "%Y-%m-%d %H:%M:%S"

_CONDITION = re.compile(
    r"^(?P<field>[a-z_][a-z0-9_.]*?)"
    r"(?P<op>ISNOTEMPTY|ISEMPTY|NOT IN|NOTLIKE|STARTSWITH|ENDSWITH|LIKE|IN|!=|>=|<=|=|>|<)"
    r"(?P<value>.*)$",
    re.DOTALL,
)
_DATE_GENERATE = re.compile(r"^javascript:\s*gs\.dateGenerate\(\s*'([^']*)'\s*,\s*'([^']*)'\s*\)\s*$")


class UnsupportedQuery(NotImplementedError):
    """A query the double cannot evaluate; surfaced as a loud 500, never guessed at."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: str


@dataclass
class EncodedQuery:
    #: ^NQ groups, each an AND of OR-lists of conditions.
    groups: list[list[list[Condition]]] = field(default_factory=list)
    order_by: list[tuple[str, bool]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    no_rows: bool = False

    def matches(self, record: Mapping[str, str], numeric: frozenset[str]) -> bool:
        if self.no_rows:
            return False
        if not self.groups:
            return True
        return any(
            all(any(_test(record, c, numeric) for c in alternatives) for alternatives in group) for group in self.groups
        )

    def sort(self, records: list[dict[str, str]], numeric: frozenset[str]) -> list[dict[str, str]]:
        ordered = list(records)
        for name, descending in reversed(self.order_by):
            ordered.sort(key=_sort_key(name, numeric), reverse=descending)
        return ordered


def parse_encoded_query(
    text: str,
    *,
    known_fields: frozenset[str],
    user_tz: ZoneInfo,
    invalid_returns_no_rows: bool = False,
) -> EncodedQuery:
    query = EncodedQuery()
    for raw_group in text.split("^NQ") if text else []:
        group: list[list[Condition]] = []
        for part in raw_group.split("^"):
            if not part or part == "EQ":
                continue
            if part.startswith("ORDERBYDESC"):
                _add_order(query, part[len("ORDERBYDESC") :], True, known_fields)
                continue
            if part.startswith("ORDERBY"):
                _add_order(query, part[len("ORDERBY") :], False, known_fields)
                continue
            is_or = part.startswith("OR") and bool(group)
            condition = _parse_condition(part[2:] if is_or else part, known_fields, user_tz)
            if condition is None:
                query.invalid.append(part)
                continue
            if is_or:
                group[-1].append(condition)
            else:
                group.append([condition])
        if group:
            query.groups.append(group)
    query.no_rows = invalid_returns_no_rows and bool(query.invalid)
    return query


def _add_order(query: EncodedQuery, name: str, descending: bool, known: frozenset[str]) -> None:
    if name in known:
        query.order_by.append((name, descending))
    else:
        query.invalid.append(("ORDERBYDESC" if descending else "ORDERBY") + name)


def _parse_condition(text: str, known: frozenset[str], user_tz: ZoneInfo) -> Condition | None:
    match = _CONDITION.match(text)
    if match is None or match["field"] not in known:
        return None
    return Condition(match["field"], match["op"], _resolve_value(match["value"], user_tz))


def _resolve_value(value: str, user_tz: ZoneInfo) -> str:
    if not value.startswith("javascript:"):
        return value
    generated = _DATE_GENERATE.match(value)
    if generated is None:
        raise UnsupportedQuery(f"the ServiceNow double does not evaluate {value!r}")
    day, clock = generated.groups()
    clock = {"start": "00:00:00", "end": "23:59:59"}.get(clock, clock)
    local = datetime.strptime(f"{day} {clock}", SN_FORMAT).replace(tzinfo=user_tz)
    return local.astimezone(ZoneInfo("UTC")).strftime(SN_FORMAT)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _test(record: Mapping[str, str], condition: Condition, numeric: frozenset[str]) -> bool:
    actual = record.get(condition.field, "")
    op, wanted = condition.op, condition.value
    if op == "ISEMPTY":
        return actual == ""
    if op == "ISNOTEMPTY":
        return actual != ""
    if op in ("IN", "NOT IN"):
        inside = actual in wanted.split(",")
        return inside if op == "IN" else not inside
    if op in ("LIKE", "NOTLIKE", "STARTSWITH", "ENDSWITH"):
        # These operators are case-insensitive on an instance.
        haystack, needle = actual.casefold(), wanted.casefold()
        return {
            "LIKE": needle in haystack,
            "NOTLIKE": needle not in haystack,
            "STARTSWITH": haystack.startswith(needle),
            "ENDSWITH": haystack.endswith(needle),
        }[op]
    left: float | str = actual
    right: float | str = wanted
    if condition.field in numeric:
        a, b = _number(actual), _number(wanted)
        if a is None or b is None:
            return op == "!=" and actual != wanted
        left, right = a, b
    compare: dict[str, Callable[[object, object], bool]] = {
        "=": lambda x, y: x == y,
        "!=": lambda x, y: x != y,
        ">": lambda x, y: x > y,  # type: ignore[operator]
        ">=": lambda x, y: x >= y,  # type: ignore[operator]
        "<": lambda x, y: x < y,  # type: ignore[operator]
        "<=": lambda x, y: x <= y,  # type: ignore[operator]
    }
    if op in (">", ">=", "<", "<=") and actual == "":
        return False  # an empty value is never before or after anything
    return compare[op](left, right)


def _sort_key(name: str, numeric: frozenset[str]) -> Callable[[dict[str, str]], tuple[int, float | str]]:
    def key(record: dict[str, str]) -> tuple[int, float | str]:
        value = record.get(name, "")
        if name in numeric:
            number = _number(value)
            return (0, number) if number is not None else (1, value)
        return (0, value)

    return key
