"""A JQL subset for the Jira double: what a sync client and its tests write.

Clauses ``field OP value`` joined by AND / OR / NOT with parentheses, then an optional
``ORDER BY field [ASC|DESC], ...``. Fields: project, key (issuekey), id, status,
issuetype (type), priority, labels, summary (``~``), created, updated. Operators
``= != > >= < <= ~ !~ IN NOT IN IS IS NOT`` with EMPTY/NULL.

Documented behaviours the double keeps:

* Date values take ``yyyy/MM/dd HH:mm``, ``yyyy-MM-dd HH:mm``, ``yyyy/MM/dd``, ``yyyy-MM-dd``
  or a period such as ``-5d`` / ``-15m``: minute precision, no seconds. Anything else is
  rejected with Jira's "Date value ... is invalid. Valid formats include: ..." message.
  Values are read in the searching user's time zone ("Advanced searching - fields
  reference", support.atlassian.com).
* A field Jira does not know is a 400 "Field 'x' does not exist or you do not have
  permission to view it."; a project or status that does not exist is a 400 "The value
  'x' does not exist for the field 'y'."
* An unbounded query (no search restriction, only ORDER BY or nothing) is refused by the
  enhanced search: "Unbounded JQL queries are not allowed here. Please add a search
  restriction to your query." (raycast/extensions#21425, mattermost-plugin-jira#1300).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
DATE_FIELDS = frozenset({"created", "updated"})
FIELD_ALIASES = {"issuekey": "key", "type": "issuetype"}
KNOWN_FIELDS = frozenset(
    {"project", "key", "id", "status", "issuetype", "priority", "labels", "summary", "created", "updated"}
)
KEYWORDS = frozenset({"and", "or", "not", "in", "is", "order", "by", "asc", "desc", "empty", "null"})
UNBOUNDED = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[^\s=!<>~(),"']+)
    )""",
    re.VERBOSE,
)


class JqlError(ValueError):
    """A query Jira refuses; the message is the one Jira puts in ``errorMessages``."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


@dataclass
class SearchContext:
    """What evaluating a query needs to know about the site and the searching user."""

    user_tz: ZoneInfo
    now: datetime
    projects: frozenset[str]
    statuses: frozenset[str]


Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass
class Query:
    where: Predicate | None
    order_by: list[tuple[str, bool]] = field(default_factory=list)

    def sort(self, issues: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        ordered = list(issues)
        # Without ORDER BY, newest first by key, as an issue navigator lists.
        for name, descending in reversed(self.order_by or [("key", True)]):
            ordered.sort(key=_sort_key(name), reverse=descending)
        return ordered


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise JqlError(
                f"Error in the JQL Query: The character '{text[position:].strip()[0]}' is a reserved "
                f"JQL character. You must enclose it in a string or use the escape '\\u0021' instead."
            )
        position = match.end()
        kind = match.lastgroup or "word"
        raw = match.group(kind)
        if kind == "string":
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        tokens.append(Token(kind, raw))
    return tokens


def parse(text: str, context: SearchContext) -> Query:
    parser = _Parser(tokenize(text or ""), context)
    return parser.parse()


class _Parser:
    def __init__(self, tokens: list[Token], context: SearchContext) -> None:
        self.tokens = tokens
        self.position = 0
        self.context = context

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting either a value, list or function but got 'end of query'.")
        self.position += 1
        return token

    def parse(self) -> Query:
        where: Predicate | None = None
        token = self.peek()
        if token is not None and not token.keyword("order"):
            where = self.or_expression()
        order_by: list[tuple[str, bool]] = []
        token = self.peek()
        if token is not None and token.keyword("order"):
            self.take()
            if not self.take().keyword("by"):
                raise JqlError("Error in the JQL Query: Expecting 'by' after 'order'.")
            order_by = self.order_list()
        if self.peek() is not None:
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{self.peek().text}'.")  # type: ignore[union-attr]
        return Query(where, order_by)

    def order_list(self) -> list[tuple[str, bool]]:
        items: list[tuple[str, bool]] = []
        while True:
            name = self.field_name(self.take())
            descending = False
            token = self.peek()
            if token is not None and token.keyword("asc", "desc"):
                descending = self.take().text.lower() == "desc"
            items.append((name, descending))
            token = self.peek()
            if token is None or token.text != ",":
                return items
            self.take()

    def or_expression(self) -> Predicate:
        parts = [self.and_expression()]
        while (token := self.peek()) is not None and token.keyword("or"):
            self.take()
            parts.append(self.and_expression())
        return parts[0] if len(parts) == 1 else (lambda issue: any(p(issue) for p in parts))

    def and_expression(self) -> Predicate:
        parts = [self.unary()]
        while (token := self.peek()) is not None and token.keyword("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda issue: all(p(issue) for p in parts))

    def unary(self) -> Predicate:
        token = self.take()
        if token.keyword("not"):
            inner = self.unary()
            return lambda issue: not inner(issue)
        if token.text == "(" and token.kind == "punct":
            inner = self.or_expression()
            if self.take().text != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' before the end of the query.")
            return inner
        return self.clause(self.field_name(token))

    def field_name(self, token: Token) -> str:
        name = FIELD_ALIASES.get(token.text.lower(), token.text.lower())
        if token.kind not in ("word", "string") or name not in KNOWN_FIELDS:
            raise JqlError(f"Field '{token.text}' does not exist or you do not have permission to view it.")
        return name

    def clause(self, name: str) -> Predicate:
        token = self.take()
        if token.keyword("is"):
            negate = False
            if (nxt := self.peek()) is not None and nxt.keyword("not"):
                self.take()
                negate = True
            if not self.take().keyword("empty", "null"):
                raise JqlError("Error in the JQL Query: Expecting 'EMPTY' or 'NULL' after 'IS'.")
            return lambda issue: _is_empty(issue.get(name)) != negate
        if token.keyword("in") or token.keyword("not"):
            negate = token.keyword("not")
            if negate and not self.take().keyword("in"):
                raise JqlError("Error in the JQL Query: Expecting 'IN' after 'NOT'.")
            values = [self.convert(name, v) for v in self.value_list()]
            return lambda issue: _matches_any(issue.get(name), values) != negate
        if token.kind != "op":
            raise JqlError(f"Error in the JQL Query: Expecting operator but got '{token.text}'.")
        operator = token.text
        if operator in ("~", "!~") and name != "summary":
            raise JqlError(f"The operator '{operator}' is not supported by the '{name}' field.")
        value = self.convert(name, self.value())
        return _comparison(name, operator, value)

    def value(self) -> Token:
        token = self.take()
        if token.kind == "word" and (nxt := self.peek()) is not None and nxt.text == "(":
            self.take()
            if self.take().text != ")":
                raise JqlError("Error in the JQL Query: Expecting ')' after the function arguments.")
            return Token("function", token.text.lower())
        return token

    def value_list(self) -> list[Token]:
        if self.take().text != "(":
            raise JqlError("Error in the JQL Query: Expecting '(' after 'IN'.")
        values = [self.value()]
        while (token := self.take()).text == ",":
            values.append(self.value())
        if token.text != ")":
            raise JqlError("Error in the JQL Query: Expecting ')' after the list of values.")
        return values

    def convert(self, name: str, token: Token) -> Any:
        if name in DATE_FIELDS:
            return self.date(name, token)
        if token.kind == "function":
            raise JqlError(f"Unable to find JQL function '{token.text}()'.")
        text = token.text
        if name == "project" and text.upper() not in self.context.projects:
            raise JqlError(f"The value '{text}' does not exist for the field 'project'.")
        if name == "status" and text.casefold() not in self.context.statuses:
            raise JqlError(f"The value '{text}' does not exist for the field 'status'.")
        return text

    def date(self, name: str, token: Token) -> datetime:
        if token.kind == "function":
            if token.text == "now":
                return self.context.now
            raise JqlError(f"Unable to find JQL function '{token.text}()'.")
        text = token.text.strip()
        period = re.fullmatch(r"([+-]?)(\d+)([mhdw])", text)
        if period:
            sign = -1 if period[1] == "-" else 1
            unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[period[3]]
            return self.context.now + sign * timedelta(**{unit: int(period[2])})
        for pattern in DATE_FORMATS:
            try:
                local = datetime.strptime(text, pattern)
            except ValueError:
                continue
            return local.replace(tzinfo=self.context.user_tz)
        raise JqlError(
            f"Date value '{text}' for field '{name}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _normal(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _matches_any(actual: Any, wanted: Sequence[Any]) -> bool:
    if isinstance(actual, list):
        return any(_normal(a) == _normal(w) for a in actual for w in wanted)
    return any(_normal(actual) == _normal(w) for w in wanted)


def _comparison(name: str, operator: str, value: Any) -> Predicate:
    if operator in ("~", "!~"):
        needle = str(value).casefold()
        return lambda issue: (needle in str(issue.get(name) or "").casefold()) == (operator == "~")
    if operator in ("=", "!="):
        return lambda issue: _matches_any(issue.get(name), [value]) == (operator == "=")
    if name == "key":
        value = _key_order(str(value))

    def ordered(issue: Mapping[str, Any]) -> bool:
        actual = issue.get(name)
        if actual is None:
            return False
        if name == "key":
            actual = _key_order(str(actual))
        return {">": actual > value, ">=": actual >= value, "<": actual < value, "<=": actual <= value}[operator]

    return ordered


def _key_order(key: str) -> tuple[str, int]:
    project, _, number = key.upper().rpartition("-")
    return project, int(number) if number.isdigit() else 0


def _sort_key(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda issue: _sort_value(issue, name)


def _sort_value(issue: Mapping[str, Any], name: str) -> Any:
    value = issue.get(name)
    if name == "key":
        return _key_order(str(value))
    if name == "id":
        return int(value or 0)
    if isinstance(value, list):
        return ",".join(value)
    return value if value is not None else ""
