"""Free-text search over tickets: which tickets match a search text, and how well.

Both databases match whole words after stemming ("leaking" finds "leak", "leaks" and
"leaked"), every word of the text, in the title or the description; a text that is a
ticket's reference (``INC-000042``) finds that ticket too. PostgreSQL reads the stored,
weighted ``tickets.search_vector`` through its GIN index; SQLite reads an FTS5 table (both
made by migration 0026, named in hub.models.search_schema). Relevance puts title hits first:
on PostgreSQL ts_rank with the title weighted A and the description B, on SQLite bm25 with
the title weighing TITLE_WEIGHT times the description.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Float, cast, column, func, literal, literal_column, or_, select, table
from sqlalchemy.orm import Session

from hub.models import Ticket
from hub.models.search_schema import FTS_TABLE, SEARCH_COLUMN, SEARCH_CONFIG

MAX_SEARCH_LENGTH = 200
TITLE_WEIGHT = 10.0
"""SQLite's bm25 weight of a title hit against a description hit (1.0)."""

# The characters unicode61 keeps in a word (letters, digits, private use); anything else
# separates words, as FTS5 itself splits them.
_WORD = re.compile(r"[^\W_]+")
_FTS = table(FTS_TABLE, column("rowid"))


def search_text(q: str) -> str:
    return q.strip()[:MAX_SEARCH_LENGTH]


def text_match(session: Session, q: str) -> Any:
    """The condition: the ticket's reference is ``q``, or its title and description hold
    every word of ``q`` (stemmed)."""
    q = search_text(q)
    ref_match = Ticket.ref == q.upper()
    if _postgres(session):
        return or_(ref_match, _vector().op("@@")(_tsquery(q)))
    words = fts_query(q)
    if not words:
        return ref_match
    hits = select(_FTS.c.rowid).where(literal_column(FTS_TABLE).op("MATCH")(literal(words)))
    return or_(ref_match, Ticket.id.in_(hits))


def relevance(session: Session, q: str) -> Any:
    """How well a ticket matches ``q``, higher first: a float, 0 for a reference-only match.

    A float the database gives back exactly (double precision), so a page's cursor can hold
    it and the next page start strictly after it.
    """
    q = search_text(q)
    if _postgres(session):
        return cast(func.ts_rank(_vector(), _tsquery(q)), Float)
    words = fts_query(q)
    if not words:
        return literal(0.0, Float)
    # bm25 is lower for better matches; negated, it sorts like ts_rank.
    score = (select(-func.bm25(literal_column(FTS_TABLE), TITLE_WEIGHT, 1.0))
             .where(literal_column(FTS_TABLE).op("MATCH")(literal(words)), _FTS.c.rowid == Ticket.id)
             .scalar_subquery())
    return func.coalesce(score, literal(0.0, Float))


def fts_query(q: str) -> str:
    """``q`` as an FTS5 query matching every word of it: each word quoted, so what a user
    types (``"``, ``*``, ``NEAR(``, ``-``, ``OR``, ``:``) is text to find, never syntax.
    Empty when ``q`` holds no word."""
    return " ".join(f'"{word}"' for word in _WORD.findall(q))


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _vector() -> Any:
    return literal_column(f"{Ticket.__tablename__}.{SEARCH_COLUMN}")


def _tsquery(q: str) -> Any:
    # plainto_tsquery, like FTS5 above: every word must match and nothing typed is syntax,
    # so no input can make the query fail.
    return func.plainto_tsquery(literal_column(f"'{SEARCH_CONFIG}'::regconfig"), q)
