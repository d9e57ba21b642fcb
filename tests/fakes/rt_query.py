"""TicketSQL for the RT double: ``Field OP 'value'`` clauses joined by AND / OR, with parentheses.

Fields: id, Queue, Status, Subject, Owner, Requestor, Priority, Created, LastUpdated.
Operators: ``= != < > <= >= LIKE NOT LIKE IS IS NOT``; Status also takes RT 5's
``'__Active__'`` and ``'__Inactive__'``.

Dates behave as ``RT::Date->Set(Format => 'unknown')`` does for ``RT::Tickets::_DateLimit``
(lib/RT/Date.pm, lib/RT/Tickets.pm in bestpractical/rt): the value is read in the
*current user's* time zone (``Timezone => 'user'`` is the default), and a value that
cannot be parsed becomes the epoch, so ``LastUpdated > 'garbage'`` matches every ticket.
``=`` on a date means "that whole day".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DATE_FIELDS = frozenset({"created", "lastupdated"})
FIELDS = {
    name.lower(): name
    for name in ("id", "Queue", "Status", "Subject", "Owner", "Requestor", "Priority", "Created", "LastUpdated")
}
ACTIVE = frozenset({"new", "open", "stalled"})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<op><=|>=|!=|=|<|>)|(?P<paren>[()])|(?P<word>[^\s()'"=<>!]+))"""
)

Predicate = Callable[[Mapping[str, Any]], bool]


class TicketSQLError(ValueError):
    """A query RT refuses with a 400."""


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str

    def word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def parse_ticketsql(text: str, *, user_tz: ZoneInfo, queues: Mapping[str, int]) -> Predicate:
    """A predicate over ticket views (see ``RTFake._query_view``); ``queues`` maps lower-case names to ids."""
    tokens = _tokenize(text)
    if not tokens:
        raise TicketSQLError("No query given")
    parser = _Parser(tokens, user_tz, queues)
    predicate = parser.expression()
    if parser.position != len(tokens):
        raise TicketSQLError(f"Wrong query, unexpected '{tokens[parser.position].text}'")
    return predicate


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            raise TicketSQLError(f"Wrong query, cannot parse '{text[position:].strip()}'")
        position = match.end()
        kind = match.lastgroup or "word"
        raw = match.group(kind)
        if kind == "string":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        tokens.append(_Token(kind, raw))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token], user_tz: ZoneInfo, queues: Mapping[str, int]) -> None:
        self.tokens = tokens
        self.position = 0
        self.user_tz = user_tz
        self.queues = queues

    def take(self) -> _Token:
        if self.position >= len(self.tokens):
            raise TicketSQLError("Wrong query, expecting more after the end of the query")
        self.position += 1
        return self.tokens[self.position - 1]

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def expression(self) -> Predicate:
        result = self.term()
        while (token := self.peek()) is not None and token.word("and", "or"):
            self.take()
            result = _join(token.text.lower(), result, self.term())
        return result

    def term(self) -> Predicate:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            inner = self.expression()
            if self.take().text != ")":
                raise TicketSQLError("Wrong query, expecting ')'")
            return inner
        field = FIELDS.get(token.text.lower())
        if field is None or token.kind != "word":
            raise TicketSQLError(f"Wrong query, no such field '{token.text}'")
        operator = self.operator()
        value = self.take()
        if value.kind not in ("string", "word"):
            raise TicketSQLError(f"Wrong query, expecting a value after '{operator}'")
        return self.clause(field, operator, value.text)

    def operator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return token.text
        if token.word("like"):
            return "LIKE"
        if token.word("not") and self.take().word("like"):
            return "NOT LIKE"
        if token.word("is"):
            if (nxt := self.peek()) is not None and nxt.word("not"):
                self.take()
                return "IS NOT"
            return "IS"
        raise TicketSQLError(f"Wrong query, expecting an operator but got '{token.text}'")

    def clause(self, field: str, operator: str, value: str) -> Predicate:
        if operator in ("IS", "IS NOT"):
            empty = value.lower() in ("null", "")
            return lambda t: (not t.get(field)) == (empty == (operator == "IS"))
        if field.lower() in DATE_FIELDS:
            if operator in ("LIKE", "NOT LIKE"):
                raise TicketSQLError(f"Wrong query, operator {operator} is not valid for {field}")
            return _date_clause(field, operator, self.date(value))
        if field == "Queue" and not value.isdigit():
            queue_id = self.queues.get(value.lower())
            value = str(queue_id) if queue_id is not None else value
        if field == "Status" and value in ("__Active__", "__Inactive__"):
            active = value == "__Active__"
            return lambda t: (t["Status"] in ACTIVE) == (active == (operator == "="))
        return _value_clause(field, operator, value)

    def date(self, value: str) -> datetime:
        text = value.strip().removesuffix("Z")
        for pattern in _DATE_FORMATS:
            try:
                return datetime.strptime(text, pattern).replace(tzinfo=self.user_tz).astimezone(UTC)
            except ValueError:
                continue
        return EPOCH


def _join(keyword: str, left: Predicate, right: Predicate) -> Predicate:
    if keyword == "and":
        return lambda ticket: left(ticket) and right(ticket)
    return lambda ticket: left(ticket) or right(ticket)


def _date_clause(field: str, operator: str, value: datetime) -> Predicate:
    def test(ticket: Mapping[str, Any]) -> bool:
        actual: datetime | None = ticket.get(field)
        if actual is None:
            actual = EPOCH
        actual = actual.replace(microsecond=0)
        if operator == "=":
            return value <= actual < value + timedelta(days=1)
        return {
            "!=": actual != value,
            "<": actual < value,
            ">": actual > value,
            "<=": actual <= value,
            ">=": actual >= value,
        }.get(operator, False)

    return test


def _value_clause(field: str, operator: str, value: str) -> Predicate:
    def test(ticket: Mapping[str, Any]) -> bool:
        actual = ticket.get(field)
        values = [str(v) for v in actual] if isinstance(actual, list) else [str(actual if actual is not None else "")]
        if operator in ("LIKE", "NOT LIKE"):
            found = any(value.casefold() in v.casefold() for v in values)
            return found == (operator == "LIKE")
        if operator in ("=", "!="):
            found = any(v.casefold() == value.casefold() for v in values)
            return found == (operator == "=")
        try:
            left, right = float(values[0]), float(value)
        except ValueError:
            return False
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}.get(operator, False)

    return test
