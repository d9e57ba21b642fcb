"""Free-text search in the ticket lists: stemmed words, relevance, references, odd input.

Runs on SQLite (FTS5) and, with HUB_TEST_DATABASE_URL, on PostgreSQL (stored tsvector).
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.tracker.search import fts_query


@pytest.fixture(params=["few", "many"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """SQLite reads a rare word's matches first and walks the list's index for a frequent one
    (hub.tracker.search.matches_first): "many" makes every word frequent. Same answers."""
    if request.param == "many":
        monkeypatch.setattr("hub.tracker.search.FEW_MATCHES", 0)
    return str(request.param)


@pytest.fixture
def tickets(api: Any) -> list[str]:
    """Oldest first: a title hit, a description hit, and one without the word."""
    specs = [
        {"title": "Water leak in room 5", "description": "Dripping from the ceiling."},
        {"title": "Room 7 is damp", "description": "A small leak under the sink."},
        {"title": "Printer offline", "description": "Paper tray jammed on floor 2."},
    ]
    refs = []
    for spec in specs:
        response = api.post("/api/v1/incidents", json=spec)
        assert response.status_code == 201, response.json
        refs.append(response.json["ref"])
    return refs


def refs_of(api: Any, query: str) -> list[str]:
    response = api.get(f"/api/v1/incidents?{query}")
    assert response.status_code == 200, (query, response.json)
    return [item["ref"] for item in response.json["items"]]


@pytest.mark.parametrize("word", ["leak", "leaking", "leaks", "LEAKED"])
def test_a_word_finds_its_other_forms(api: Any, plan: str, tickets: list[str], word: str) -> None:
    assert refs_of(api, f"q={word}") == [tickets[1], tickets[0]]  # newest change first, as without q


def test_every_word_must_match(api: Any, plan: str, tickets: list[str]) -> None:
    assert refs_of(api, "q=leaking%20ceiling") == [tickets[0]]
    assert refs_of(api, "q=printers%20jam") == [tickets[2]]
    assert refs_of(api, "q=leak%20printer") == []


def test_relevance_puts_title_hits_first(api: Any, plan: str, tickets: list[str]) -> None:
    assert refs_of(api, "q=leak&sort=relevance") == [tickets[0], tickets[1]]


def test_relevance_ranks_only_the_newest_matches(api: Any, tickets: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A frequent word would rank every ticket holding it; only the most recently changed
    RELEVANCE_WINDOW matches are ranked, so the older title hit is left out here."""
    monkeypatch.setattr("hub.tracker.queries.RELEVANCE_WINDOW", 1)
    monkeypatch.setattr("hub.tracker.search.FEW_MATCHES", 0)  # SQLite ranks a rare word's every match
    assert refs_of(api, "q=leak&sort=relevance") == [tickets[1]]


def test_relevance_pages_with_a_cursor(api: Any, plan: str, tickets: list[str]) -> None:
    for extra in ("Leak by the lift", "Leak again"):
        api.post("/api/v1/incidents", json={"title": extra})
    seen: list[str] = []
    path = "/api/v1/incidents?q=leak&sort=relevance&limit=1"
    while path:
        response = api.get(path)
        assert response.status_code == 200, response.json
        seen += [item["ref"] for item in response.json["items"]]
        cursor = response.json["next_cursor"]
        path = f"/api/v1/incidents?q=leak&sort=relevance&limit=1&cursor={cursor}" if cursor else ""
    assert len(seen) == 4 and len(set(seen)) == 4 and seen[-1] == tickets[1]


def test_relevance_needs_a_search_text(api: Any, tickets: list[str]) -> None:
    response = api.get("/api/v1/incidents?sort=relevance")
    assert response.status_code == 422 and "sort" in response.json["errors"]
    response = api.get("/api/v1/incidents?sort=relevance&q=leak&cursor=" + "x" * 12)
    assert response.status_code == 422 and "cursor" in response.json["errors"]


@pytest.mark.parametrize("sort", ["-updated_at", "relevance"])
def test_a_reference_finds_its_ticket(api: Any, plan: str, tickets: list[str], sort: str) -> None:
    assert refs_of(api, f"q={tickets[2]}&sort={sort}") == [tickets[2]]
    assert refs_of(api, f"q={tickets[2].lower()}&sort={sort}") == [tickets[2]]


def test_the_index_follows_edits_and_deletes(api: Any, plan: str, tickets: list[str]) -> None:
    assert api.patch(f"/api/v1/incidents/{tickets[2]}", json={"title": "Scanner offline"}).status_code == 200
    assert refs_of(api, "q=scanner") == [tickets[2]]
    assert refs_of(api, "q=printer") == []
    assert refs_of(api, "q=jammed") == [tickets[2]]  # the description is indexed once, not twice or never


ODD = ['"', '""', "*", "leak*", "NEAR(", "NEAR(leak room)", "-", "-leak", "OR", "leak OR", "AND", "NOT leak",
       "(", ")", "^", ":", "leak:*", "title:leak", "'", "\\", "%", "_", "&|!", "{}", "+leak", "é", "日本"]


@pytest.mark.parametrize("text", ODD)
@pytest.mark.parametrize("sort", ["-updated_at", "relevance"])
def test_odd_search_text_never_fails(api: Any, tickets: list[str], text: str, sort: str) -> None:
    from urllib.parse import quote

    refs_of(api, f"q={quote(text)}&sort={sort}")


def test_typed_syntax_is_text_to_find(api: Any, tickets: list[str]) -> None:
    assert refs_of(api, "q=(leak%20ceiling)") == [tickets[0]]
    assert refs_of(api, "q=NEAR(leak%20ceiling)") == []  # "near" is a word to find
    assert refs_of(api, "q=%22leak%22%20OR%20printer") == []  # not "leak or printer"
    assert refs_of(api, "q=leak*") == [tickets[1], tickets[0]]


def test_the_fts_query_quotes_every_word() -> None:
    assert fts_query('NEAR("leak" OR -room*') == '"NEAR" "leak" "OR" "room"'
    assert fts_query("' * : ^") == ""
