"""One action on many tickets: each ticket on its own, through the single-ticket services."""

from __future__ import annotations

from typing import Any

import pytest

from hub.hookspecs import hookimpl
from hub.models import AuditEvent, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, ValidationFailed
from hub.sdk.values import TicketInfo
from hub.tracker.bulk import MAX_REFS, MAX_TAGS, apply_bulk, unique_refs
from hub.tracker.org import forget
from hub.tracker.tickets import create_ticket, transition_ticket

AGENT = Actor(type="user", name="ada", origin="ui", id="1", role="agent")


class Listener:
    name = "listener"

    def __init__(self, recorder: Any) -> None:
        self.record = recorder

    @hookimpl
    def ticket_updated(self, ticket: TicketInfo, changes: dict[str, Any]) -> None:
        self.record("ticket_updated", ref=ticket.ref, changes=changes)


@pytest.fixture
def org(runtime: Any) -> None:
    from hub.models import Department, Group, User

    with runtime.db.transaction() as session:
        session.add_all([Department(slug="facilities", name="Facilities"), Group(slug="plumbers", name="Plumbers"),
                         User(username="bob", role="agent", email="bob@hub.test")])
        forget(session)


def make(runtime: Any, count: int, kind: str = "incident") -> list[str]:
    with runtime.db.transaction() as session:
        return [create_ticket(session=session, kind=kind, values={"title": f"Ticket {n}"}, actor=Actor.system()).ref
                for n in range(count)]


def bulk(runtime: Any, refs: list[str], action: str, **params: Any) -> list[tuple[str, str]]:
    with runtime.db.transaction() as session:
        results = apply_bulk(session=session, refs=refs, action=action, params=params, actor=AGENT)
    return [(result.ref, result.outcome) for result in results]


def test_assign_reports_each_ticket_and_calls_the_hooks_as_a_single_assign_does(
        with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    runtime = request.getfixturevalue("runtime")
    request.getfixturevalue("org")
    first, second = make(runtime, 2)
    bulk(runtime, [second], "assign", assignee="bob")
    recorder.calls.clear()
    assert bulk(runtime, [first, second.lower(), first, "INC-999999"], "assign", assignee="bob") == [
        (first, "changed"), (second, "unchanged"), ("INC-999999", "refused")]
    assert [(c["ref"], c["changes"]) for c in recorder.of("ticket_updated")] == [(first, {"assignee": (None, "bob")})]
    with runtime.db.reading() as session:
        ticket = session.query(Ticket).filter_by(ref=first).one()
        (event,) = session.query(AuditEvent).filter_by(ticket_id=ticket.id, action="updated").all()
        assert (event.actor_name, event.origin, event.changes) == ("ada", "ui", {"assignee": [None, "bob"]})
    assert bulk(runtime, [first], "assign", assignee=None) == [(first, "changed")]


def test_move_and_tag(runtime: Any, org: None) -> None:
    first, second = make(runtime, 2)
    assert bulk(runtime, [first, second], "move", department="facilities", group="plumbers") == [
        (first, "changed"), (second, "changed")]
    assert bulk(runtime, [first], "move", group="plumbers", department="") == [(first, "unchanged")]
    assert bulk(runtime, [first, second], "tag", tag=" boiler ") == [(first, "changed"), (second, "changed")]
    assert bulk(runtime, [first], "tag", tag="boiler") == [(first, "unchanged")]
    with runtime.db.reading() as session:
        ticket = session.query(Ticket).filter_by(ref=first).one()
        assert ticket.tags == ["boiler"] and ticket.department_id is not None and ticket.group_id is not None


def test_a_refused_ticket_leaves_the_others_done(runtime: Any) -> None:
    main, open_one, closed_one = make(runtime, 3)
    (change,) = make(runtime, 1, kind="change")
    with runtime.db.transaction() as session:
        ticket = session.query(Ticket).filter_by(ref=closed_one).one()
        transition_ticket(session=session, ticket=ticket, to="cancelled", actor=AGENT)
    with runtime.db.transaction() as session:
        results = apply_bulk(session=session, refs=[open_one, closed_one, change, main, "nonsense"], action="merge",
                             params={"into": main}, actor=AGENT)
    assert [(r.ref, r.outcome, r.status) for r in results] == [
        (open_one, "changed", 200), (closed_one, "refused", 409), (change, "refused", 422), (main, "refused", 422),
        ("NONSENSE", "refused", 404)]
    assert "already cancelled" in results[1].detail and "only incidents" in results[2].detail
    assert "into itself" in results[3].detail
    with runtime.db.reading() as session:
        assert session.query(Ticket).filter_by(ref=open_one).one().status == "closed"
        assert session.query(Ticket).filter_by(ref=closed_one).one().duplicate_of_id is None


def test_a_tickets_tag_limit_is_its_own_refusal(runtime: Any) -> None:
    first, second = make(runtime, 2)
    with runtime.db.transaction() as session:
        session.query(Ticket).filter_by(ref=first).one().tags = [f"t{n}" for n in range(MAX_TAGS)]
    assert bulk(runtime, [first, second], "tag", tag="one-more") == [(first, "refused"), (second, "changed")]


def test_a_kind_limits_the_tickets(runtime: Any) -> None:
    (incident,) = make(runtime, 1)
    (change,) = make(runtime, 1, kind="change")
    with runtime.db.transaction() as session:
        results = apply_bulk(session=session, refs=[incident, change], action="tag", params={"tag": "x"},
                             actor=AGENT, kind="change")
    assert [(r.ref, r.outcome) for r in results] == [(incident, "refused"), (change, "changed")]
    assert results[0].detail == f"No change {incident}."


@pytest.mark.parametrize(("action", "params", "refs", "field"), [
    ("close", {}, 1, "action"),
    ("assign", {}, 1, "assignee"),
    ("assign", {"assignee": "nobody"}, 1, "assignee"),
    ("assign", {"assignee": "bob", "tag": "x"}, 1, "tag"),
    ("move", {"department": "", "group": None}, 1, "department"),
    ("move", {"department": "nowhere"}, 1, "department"),
    ("tag", {"tag": "   "}, 1, "tag"),
    ("tag", {"tag": "x" * 65}, 1, "tag"),
    ("merge", {}, 1, "into"),
    ("tag", {"tag": "x"}, 0, "refs"),
    ("tag", {"tag": "x"}, MAX_REFS + 1, "refs"),
])
def test_a_bad_request_is_refused_once_before_any_ticket(runtime: Any, org: None, action: str,
                                                         params: dict[str, Any], refs: int, field: str) -> None:
    (ref,) = make(runtime, 1)
    many = [ref] + [f"INC-{n:06d}" for n in range(100, 100 + refs - 1)] if refs else []
    with runtime.db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        apply_bulk(session=session, refs=many, action=action, params=params, actor=AGENT)
    assert field in refused.value.errors
    with runtime.db.reading() as session:
        assert session.query(AuditEvent).filter(AuditEvent.action != "created").count() == 0


def test_a_main_ticket_nothing_can_merge_into_is_refused_once(runtime: Any) -> None:
    main, other = make(runtime, 2)
    (change,) = make(runtime, 1, kind="change")
    with runtime.db.transaction() as session:
        transition_ticket(session=session, ticket=session.query(Ticket).filter_by(ref=main).one(), to="cancelled",
                          actor=AGENT)
    for into, error in ((main, Conflict), (change, ValidationFailed), ("INC-999999", NotFound)):
        with runtime.db.transaction() as session, pytest.raises(error):
            apply_bulk(session=session, refs=[other], action="merge", params={"into": into}, actor=AGENT)


def test_unique_refs_keeps_the_order_and_drops_blanks() -> None:
    assert unique_refs(["inc-2", " INC-1 ", "", "INC-2", "  "]) == ["INC-2", "INC-1"]
