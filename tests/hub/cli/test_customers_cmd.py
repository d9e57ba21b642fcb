"""itsm-hub customers: list, show, export and erase a person, and match old tickets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import HubContext, get_cli
from hub.models import Ticket
from hub.sdk.actors import Actor
from hub.tracker.tickets import create_ticket


@pytest.fixture
def run(app_config: dict[str, Any]) -> Iterator[Any]:
    runner = CliRunner()
    contexts: list[HubContext] = []

    def invoke(*args: str) -> Any:
        contexts.append(HubContext(app_config))
        return runner.invoke(get_cli(), ["customers", *args], obj=contexts[-1], catch_exceptions=False)

    yield invoke
    for context in contexts:
        context.close()


def test_show_export_erase_and_a_fresh_start(run: Any, runtime: Any) -> None:
    with runtime.db.transaction() as session:
        create_ticket(session=session, kind="incident", actor=Actor.system(),
                      values={"title": "Cabin 4 is cold", "requester_email": "ana@example.com",
                              "requester_name": "Ana"})
    listed = run("list")
    assert listed.exit_code == 0 and "Ana\t\tana@example.com" in listed.output
    shown = run("show", "ANA@example.com")
    assert shown.exit_code == 0 and "Cabin 4 is cold" in shown.output and "open 1 of 1" in shown.output
    exported = run("export", "ana@example.com")
    assert json.loads(exported.output)["tickets"][0]["title"] == "Cabin 4 is cold"
    assert run("erase", "ana@example.com").exit_code == 2  # --yes is required
    erased = run("erase", "ana@example.com", "--yes", "--note", "request 7")
    assert erased.exit_code == 0 and "1 tickets anonymised" in erased.output
    gone = run("show", "ana@example.com")
    assert gone.exit_code == 1 and "No customer is known by 'ana@example.com'." in gone.output


def test_match_gives_old_tickets_their_customer(run: Any, runtime: Any) -> None:
    runtime.settings["CUSTOMERS"] = False
    with runtime.db.transaction() as session:
        for title in ("One", "Two"):
            create_ticket(session=session, kind="incident", actor=Actor.system(),
                          values={"title": title, "requester_email": "bo@example.com"})
    runtime.settings["CUSTOMERS"] = True
    assert run("match").output == "Matched 2 tickets to their customers.\n"
    with runtime.db.reading() as session:
        assert len({t.customer_id for t in session.query(Ticket)}) == 1
