"""Ticket numbers: PostgreSQL numbers a ticket as it writes it (migration 0027), and its
references are the ones the tracker would write (hub.tracker.states.format_ref)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from hub.app import migrate
from hub.core.db import Database
from hub.tracker.states import MACHINES, format_ref
from tests.hub.test_migrations import empty_database  # noqa: F401  (the fixture, on each engine)

COLUMNS = ("kind, title, description, status, impact, urgency, priority, source, occurrence_count, flapping, tags, "
           "custom_fields, created_at, updated_at, version")
VALUES = ":kind, 'Boiler', '', 'new', 'medium', 'medium', 3, 'api', 1, false, '[]', '{}', CURRENT_TIMESTAMP, " \
         "CURRENT_TIMESTAMP, 1"


def insert(connection: Any, kind: str, **given: Any) -> tuple[int, str]:
    names = "".join(f", {name}" for name in given)
    values = "".join(f", :{name}" for name in given)
    return tuple(connection.execute(text(f"INSERT INTO tickets ({COLUMNS}{names}) VALUES ({VALUES}{values}) "
                                         "RETURNING number, ref"), {"kind": kind, **given}).one())  # type: ignore


def test_postgresql_numbers_each_kind_as_format_ref_would(empty_database: Database) -> None:  # noqa: F811
    if empty_database.dialect != "postgresql":
        pytest.skip("SQLite is given its numbers by the tracker (ticket_counters); nothing to number here")
    migrate.upgrade(empty_database)
    with empty_database.engine.begin() as connection:
        for kind in MACHINES:
            assert insert(connection, kind) == (1, format_ref(kind, 1))
            assert insert(connection, kind) == (2, format_ref(kind, 2))
        connection.execute(text("SELECT setval('incident_number_seq', 999999, false)"))
        assert insert(connection, "incident") == (999999, format_ref("incident", 999999))
        assert insert(connection, "incident") == (1000000, format_ref("incident", 1000000)) == (1000000, "INC-1000000")
        # What names its own number and reference (an import, a seed) keeps them.
        assert insert(connection, "change", number=77, ref="CHG-000077") == (77, "CHG-000077")


def test_the_tracker_takes_the_returned_reference(app: Any, api: Any) -> None:
    first = api.post("/api/v1/incidents", json={"title": "Leak"}).json
    second = api.post("/api/v1/changes", json={"title": "New valve"}).json
    third = api.post("/api/v1/incidents", json={"title": "Leak again"}).json
    assert (first["ref"], second["ref"], third["ref"]) == ("INC-000001", "CHG-000001", "INC-000002")
    assert api.get("/api/v1/incidents/INC-000002").json["title"] == "Leak again"
