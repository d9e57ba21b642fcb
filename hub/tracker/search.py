"""Free-text search over tickets: which tickets match a search text, and how well.

Both databases match whole words after stemming ("leaking" finds "leak", "leaks" and
"leaked"), every word of the text, in the title or the description; a text that is a
ticket's reference (``INC-000042``) finds that ticket too. PostgreSQL reads the stored,
weighted ``tickets.search_vector`` through its GIN index; SQLite reads an FTS5 table (both
made by migration 0026, named in hub.models.search_schema). Relevance puts title hits first
(``relevance``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Float, Select, cast, column, func, literal, literal_column, or_, select, table, union, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import Join

from hub.models import Ticket
from hub.models.search_schema import FTS_TABLE, SEARCH_COLUMN, SEARCH_CONFIG

MAX_SEARCH_LENGTH = 200
FEW_MATCHES = 5000
"""SQLite: up to this many matches, a search reads them first (matches_first)."""
_MARK = "\x01"

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
    # "id + 0": SQLite must not drive the query from the matches (it cannot tell a word in
    # 200,000 tickets from one in two, and sorting 200,000 took 160 ms); it walks the sort's
    # index and looks each ticket up in the matches. Rare words go the other way: matches_first.
    # The reference is one more match in that list, not an OR beside it: the walk then reads
    # ids from the index alone, where "ref = ? OR ..." read every walked ticket's row
    # (59 to 36 ms for a word in 200,000 of 1,100,000 tickets).
    by_ref = aliased(Ticket)
    return (Ticket.id + 0).in_(union_all(_fts_hits(words), select(by_ref.id).where(by_ref.ref == q.upper())))


def matches_first(session: Session, q: str) -> Any | None:
    """SQLite, when ``q`` matches at most FEW_MATCHES tickets: a FROM clause reading those
    matches first and each ticket by id, in that order whatever the planner estimates (a
    rare word made it walk the newest-first index past a million tickets: 220 ms).
    None on PostgreSQL, whose statistics on the GIN index make that choice, and for more."""
    if _postgres(session):
        return None
    q = search_text(q)
    words = fts_query(q)
    hits = select(Ticket.id).where(Ticket.ref == q.upper())
    if words:
        if len(session.scalars(_fts_hits(words).limit(FEW_MATCHES + 1)).all()) > FEW_MATCHES:
            return None
        hits = union(hits, _fts_hits(words).with_only_columns(_FTS.c.rowid.label("id")))  # type: ignore[assignment]
    found = hits.subquery("search_hits")
    return CrossJoin(found, Ticket.__table__, Ticket.id == found.c.id)


def relevance(session: Session, q: str) -> Any:
    """How well a ticket matches ``q``, higher first: a float, 0 for a reference-only match.

    PostgreSQL: ts_rank (title weight A, description B). SQLite: how many of the words the
    title holds, so title hits come first. Not bm25: it counts each word's tickets again for
    every ticket it scores (7 ms each for a word in 200,000 tickets). A float the database
    gives back exactly, so a page's cursor can hold it and the next page start after it.
    """
    q = search_text(q)
    if _postgres(session):
        return cast(func.ts_rank(_vector(), _tsquery(q)), Float)
    words = fts_query(q)
    if not words:
        return literal(0.0, Float)
    # highlight() puts one mark before each matched word of the title, so the title grows by
    # as many characters as it holds words of q; that needs no statistics over the table.
    marked = func.highlight(literal_column(FTS_TABLE), 0, literal(_MARK), literal(""))
    in_title = (select(func.length(marked) - func.length(Ticket.title))
                .where(_matching(words), _FTS.c.rowid == Ticket.id).scalar_subquery())
    return cast(func.coalesce(in_title, 0), Float)


def fts_query(q: str) -> str:
    """``q`` as an FTS5 query matching every word of it: each word quoted, so what a user
    types (``"``, ``*``, ``NEAR(``, ``-``, ``OR``, ``:``) is text to find, never syntax.
    Empty when ``q`` holds no word."""
    return " ".join(f'"{word}"' for word in _WORD.findall(q))


def _fts_hits(words: str) -> Select[Any]:
    return select(_FTS.c.rowid).where(_matching(words))


def _matching(words: str) -> Any:
    return literal_column(FTS_TABLE).op("MATCH")(literal(words))


class CrossJoin(Join):
    """A join SQLite runs in the written order (its CROSS JOIN): the left side drives."""

    inherit_cache = True


@compiles(CrossJoin, "sqlite")
def _compile_cross_join(element: CrossJoin, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    left, right = compiler.process(element.left, **kw), compiler.process(element.right, **kw)
    kw.pop("asfrom")
    return f"{left} CROSS JOIN {right} ON {compiler.process(element.onclause, **kw)}"


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _vector() -> Any:
    return literal_column(f"{Ticket.__tablename__}.{SEARCH_COLUMN}")


def _tsquery(q: str) -> Any:
    # plainto_tsquery, like FTS5 above: every word must match and nothing typed is syntax,
    # so no input can make the query fail.
    return func.plainto_tsquery(literal_column(f"'{SEARCH_CONFIG}'::regconfig"), q)
