"""Migration 0021_problems on a database that has tickets: problems get their numbers and
columns, the incidents stay; going down removes the problems and nothing else."""

from __future__ import annotations

from sqlalchemy import inspect, text

from hub.app import migrate
from hub.core.db import Database
from tests.hub.test_migrations import empty_database  # noqa: F401  (the fixture, on each engine)

BEFORE = "0020_customers"
AFTER = "0021_problems"

TICKET = ("INSERT INTO tickets (kind, number, ref, title, description, status, impact, urgency, priority, source, "
          "occurrence_count, flapping, tags, custom_fields, created_at, updated_at, version) VALUES "
          "(:kind, :number, :ref, :title, '', :status, 'medium', 'medium', 3, 'api', 1, false, '[]', '{}', "
          "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)")


def test_up_keeps_the_tickets_and_numbers_problems_from_one(empty_database: Database) -> None:  # noqa: F811
    migrate.upgrade(empty_database, BEFORE)
    with empty_database.engine.begin() as connection:
        connection.execute(text(TICKET), {"kind": "incident", "number": 1, "ref": "INC-000001", "title": "Boiler",
                                          "status": "new"})
        connection.execute(text("UPDATE ticket_counters SET value = 1 WHERE kind = 'incident'"))
    migrate.upgrade(empty_database, AFTER)
    with empty_database.engine.begin() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("tickets")}
        assert {"root_cause", "workaround", "incident_key"} <= columns
        counters = dict(connection.execute(text("SELECT kind, value FROM ticket_counters")).all())
        assert counters == {"incident": 1, "change": 0, "problem": 0}
        if connection.dialect.name == "postgresql":
            assert connection.execute(text("SELECT nextval('problem_number_seq')")).scalar_one() == 1
        assert connection.execute(text("SELECT ref, root_cause FROM tickets")).all() == [("INC-000001", None)]

        connection.execute(text(TICKET), {"kind": "problem", "number": 1, "ref": "PRB-000001",
                                          "title": "Boilers trip", "status": "investigating"})
        problem_id, incident_id = (connection.execute(text(f"SELECT id FROM tickets WHERE ref = '{ref}'")).scalar_one()
                                   for ref in ("PRB-000001", "INC-000001"))
        connection.execute(text("INSERT INTO ticket_links (source_id, target_id, kind, created_at, created_by) "
                                "VALUES (:source, :target, 'problem_of', CURRENT_TIMESTAMP, 'test')"),
                           {"source": problem_id, "target": incident_id})

    migrate.downgrade(empty_database, BEFORE)
    with empty_database.engine.begin() as connection:
        assert connection.execute(text("SELECT ref FROM tickets")).scalars().all() == ["INC-000001"]
        assert connection.execute(text("SELECT count(*) FROM ticket_links")).scalar_one() == 0
        assert "problem" not in set(connection.execute(text("SELECT kind FROM ticket_counters")).scalars())
        assert "root_cause" not in {column["name"] for column in inspect(connection).get_columns("tickets")}
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision()
