"""Merging a ticket into its main ticket: what changes on both, who is told, and what is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.hookspecs import hookimpl
from hub.models import AuditEvent, Comment, CorrelationKey, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, NotFound, TrackerError, ValidationFailed
from hub.sdk.values import CommentInfo, TicketInfo
from hub.tracker import surveys
from hub.tracker.merge import duplicates_of, lock_pair, main_of, merge_ticket
from hub.tracker.status_links import link_expired, link_expires_at, status_token, ticket_for_token
from hub.tracker.tickets import create_ticket, get_ticket, transition_ticket

AGENT = Actor(type="user", name="ada", origin="api", id="1", role="agent")


class Listener:
    name = "listener"

    def __init__(self, recorder: Any) -> None:
        self.record = recorder

    @hookimpl
    def status_changed(self, ticket: TicketInfo, old: str, new: str) -> None:
        self.record("status_changed", ticket=ticket, old=old, new=new)

    @hookimpl
    def comment_added(self, ticket: TicketInfo, comment: CommentInfo) -> None:
        self.record("comment_added", ticket=ticket, comment=comment)


def make(session: Any, title: str, kind: str = "incident", **values: Any) -> Ticket:
    return create_ticket(session=session, kind=kind, values={"title": title, **values}, actor=Actor.system())


def trail(session: Any, ticket: Ticket) -> list[tuple[str, dict[str, Any]]]:
    return [(event.action, event.changes) for event in session.query(AuditEvent)
            .filter(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id)]


def test_a_merge_closes_the_duplicate_links_it_and_notes_it_on_both(with_plugins: Any, recorder: Any,
                                                                     request: Any) -> None:
    with_plugins(Listener(recorder))
    runtime = request.getfixturevalue("runtime")
    with runtime.db.transaction() as session:
        main = make(session, "Boiler 2 is down", requester_email="main@example.org")
        dup = make(session, "No hot water in room 12", requester_name="Omar", requester_email="omar@example.org")
        transition_ticket(session=session, ticket=dup, to="in_progress", actor=AGENT)
        recorder.calls.clear()
        merge_ticket(session=session, duplicate=dup, main=main, actor=AGENT)
        ids = main.id, dup.id
    with runtime.db.reading() as session:
        main, dup = (session.get(Ticket, i) for i in ids)
        assert (dup.status, dup.duplicate_of_id, dup.resolution) == ("closed", main.id, f"Duplicate of {main.ref}.")
        assert dup.closed_at is not None and dup.resolved_at is not None
        assert main.status == "new" and main.duplicate_of_id is None
        assert main_of(session, dup) is main and main_of(session, main) is None
        assert [t.ref for t in duplicates_of(session, main)] == [dup.ref]
        merged = dict(trail(session, dup))["merged"]
        assert merged == {"status": ["in_progress", "closed"], "duplicate_of": [None, main.ref],
                          "resolution": [None, f"Duplicate of {main.ref}."]}
        assert ("duplicate_added", {"duplicate": dup.ref}) in trail(session, main)
        public = session.query(Comment).filter(Comment.ticket_id == dup.id).one()
        internal = session.query(Comment).filter(Comment.ticket_id == main.id).one()
        assert public.visibility == "public" and main.ref in public.body and "status link" in public.body
        assert internal.visibility == "internal" and dup.ref in internal.body and "Omar" in internal.body
        assert "main@example.org" not in public.body
    (changed,) = recorder.of("status_changed")
    assert (changed["old"], changed["new"], changed["ticket"].duplicate_of) == ("in_progress", "closed", main.ref)
    assert [(c["ticket"].ref, c["comment"].visibility) for c in recorder.of("comment_added")] == [
        (dup.ref, "public"), (main.ref, "internal")]


@pytest.mark.parametrize(("case", "error", "words"), [
    ("itself", ValidationFailed, "cannot be merged into itself"),
    ("into a closed ticket", Conflict, "is closed; merge into an open ticket"),
    ("a change into an incident", ValidationFailed, "only incidents are merged"),
    ("an incident into a change", ValidationFailed, "only incidents are merged"),
    ("into a duplicate", Conflict, "is itself a duplicate of"),
    ("a closed ticket", Conflict, "is already cancelled"),
])
def test_merges_that_make_no_sense_are_refused_with_the_reason(runtime: Any, case: str, error: type[TrackerError],
                                                               words: str) -> None:
    with runtime.db.transaction() as session:
        main, dup = make(session, "Main"), make(session, "Duplicate")
        if case == "itself":
            dup = main
        elif case == "into a closed ticket":
            transition_ticket(session=session, ticket=main, to="resolved", actor=AGENT)
            transition_ticket(session=session, ticket=main, to="closed", actor=AGENT)
        elif case == "a change into an incident":
            dup = make(session, "A change", kind="change")
        elif case == "an incident into a change":
            main = make(session, "A change", kind="change")
        elif case == "into a duplicate":
            first = make(session, "The first report")
            merge_ticket(session=session, duplicate=main, main=first, actor=AGENT)
        elif case == "a closed ticket":
            transition_ticket(session=session, ticket=dup, to="cancelled", actor=AGENT)
        before = dup.status, dup.duplicate_of_id
        with pytest.raises(error) as refused:
            merge_ticket(session=session, duplicate=dup, main=main, actor=AGENT)
        assert words in describe(refused.value)
        assert (dup.status, dup.duplicate_of_id) == before


def describe(exc: TrackerError) -> str:
    return " ".join([exc.detail, *(" ".join(m) for m in (getattr(exc, "errors", None) or {}).values())])


def test_earlier_duplicates_follow_the_new_main_ticket_so_no_chain_forms(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        first, second, third = make(session, "First"), make(session, "Second"), make(session, "Third")
        merge_ticket(session=session, duplicate=third, main=second, actor=AGENT)
        merge_ticket(session=session, duplicate=second, main=first, actor=AGENT)
        assert third.duplicate_of_id == first.id and second.duplicate_of_id == first.id
        assert [t.ref for t in duplicates_of(session, first)] == [second.ref, third.ref]
        assert ("duplicate_moved", {"duplicate_of": [second.ref, first.ref]}) in trail(session, third)


def test_the_duplicates_status_link_lives_as_long_as_the_main_tickets(app_config: dict[str, Any],
                                                                      request: Any) -> None:
    app_config["STATUS_LINK_DAYS"] = 30
    runtime = request.getfixturevalue("runtime")
    now = runtime.now()
    with runtime.db.transaction() as session:
        main, dup = make(session, "Main"), make(session, "Duplicate", requester_email="omar@example.org")
        token = status_token(session, dup)
        merge_ticket(session=session, duplicate=dup, main=main, actor=AGENT)
        # Closed by the merge long ago: the duplicate's own close no longer counts while the main is open.
        dup.closed_at = now - timedelta(days=90)
        assert link_expires_at(session, dup) is None and not link_expired(session, dup)
        assert ticket_for_token(session, token) is dup
        transition_ticket(session=session, ticket=main, to="resolved", actor=AGENT)
        transition_ticket(session=session, ticket=main, to="closed", actor=AGENT)
        assert link_expires_at(session, dup) == main.closed_at + timedelta(days=30)
        main.closed_at = now - timedelta(days=31)
        assert ticket_for_token(session, token) is None


def test_a_duplicate_is_not_rated_its_main_ticket_is(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        main, dup = make(session, "Main"), make(session, "Duplicate", requester_email="omar@example.org")
        merge_ticket(session=session, duplicate=dup, main=main, actor=AGENT)
        assert dup.status == "closed" and not surveys.can_rate(dup)
        with pytest.raises(Conflict, match="merged into another ticket"):
            surveys.record_survey(session=session, ticket=dup, score=5)


def test_the_duplicates_correlation_key_is_released_like_any_closed_tickets(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        main = make(session, "Main")
        dup = create_ticket(session=session, kind="incident", values={"title": "Filler E101"}, actor=Actor.system(),
                            correlation_key="1:line3/filler/E101")
        session.add(CorrelationKey(key="1:line3/filler/E101", ticket_id=dup.id, reopen=True, created_at=runtime.now()))
        session.flush()
        merge_ticket(session=session, duplicate=dup, main=main, actor=AGENT)
        assert session.get(CorrelationKey, "1:line3/filler/E101") is None


def test_lock_pair_hands_back_the_tickets_in_the_callers_order(runtime: Any) -> None:
    with runtime.db.transaction() as session:
        first, second = make(session, "First"), make(session, "Second")
        assert lock_pair(session, second.ref, first.ref.lower()) == (second, first)
        assert lock_pair(session, first.ref, first.ref) == (first, first)
        with pytest.raises(NotFound):
            lock_pair(session, first.ref, "INC-999999")
        assert get_ticket(session, first.ref).status == "new"
