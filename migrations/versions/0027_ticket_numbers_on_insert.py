"""ticket numbers on insert: PostgreSQL numbers a ticket as it writes it

Revision ID: 0027_ticket_numbers_on_insert
Revises: 0026_search_vectors
Create Date: 2026-12-06

PostgreSQL: a BEFORE INSERT trigger fills ``tickets.number`` from the kind's sequence and
``tickets.ref`` from it (INC-000042; seven digits and more from INC-1000000 on, as
hub.tracker.states.format_ref writes them) when the INSERT leaves them out, and the INSERT
returns both. A new ticket cost a ``SELECT nextval`` round trip before (issue 23). An
INSERT that names them (an import, the bench's seeding) keeps its own.

SQLite: nothing; the tracker still takes the number from ticket_counters first.
"""

from __future__ import annotations

from alembic import op

revision = "0027_ticket_numbers_on_insert"
down_revision = "0026_search_vectors"
branch_labels = None
depends_on = None

# The prefixes of hub.tracker.states.REF_PREFIX as they are today (a migration does not follow
# later code); tests/hub/test_ticket_numbers.py holds the two to the same refs.
FUNCTION = """
CREATE FUNCTION hub_number_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.number IS NULL THEN
        NEW.number := nextval((NEW.kind || '_number_seq')::regclass);
    END IF;
    IF NEW.ref IS NULL THEN
        NEW.ref := (CASE NEW.kind WHEN 'incident' THEN 'INC' WHEN 'change' THEN 'CHG' WHEN 'problem' THEN 'PRB' END)
            || '-' || CASE WHEN NEW.number < 1000000 THEN lpad(NEW.number::text, 6, '0') ELSE NEW.number::text END;
    END IF;
    RETURN NEW;
END
$$
"""
TRIGGER = "CREATE TRIGGER tickets_number BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION hub_number_ticket()"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tickets_number ON tickets")
        op.execute("DROP FUNCTION hub_number_ticket()")
