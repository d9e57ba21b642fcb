"""Customers at risk: each default rule flags with its reason, the same evidence never flags
twice, clearing needs a note and is audited, the owner is told through agent-notify, and
the list filters the customers at risk."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from hub.models import AuditEvent, Customer, CustomerEvent, CustomerRiskFlag, Notification, Ticket, User
from hub.sdk.actors import Actor
from tests.conftest import ApiClient, make_token

AGENT = Actor(type="user", name="alice", origin="api")


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("agent-notify", "plugins.agent_notify")]
    app_config["BASE_URL"] = "http://hub.test"
    return app_config


@pytest.fixture
def owner(app: Flask) -> str:
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username="olga", role="agent", password="correct horse battery",
                    email="olga@hub.test", display_name="Olga")
    return "olga"


def new_ticket(api: ApiClient, email: str = "ana@example.com", title: str = "Cabin 4 is cold") -> str:
    made = api.post("/api/v1/incidents", json={"title": title, "requester": {"email": email, "name": "Ana"}})
    assert made.status_code == 201, made.get_data(as_text=True)
    return str(made.json["ref"])


def customer_of(app: Flask, ref: str) -> int:
    with app.extensions["hub"].db.transaction() as session:
        found = session.scalar(select(Ticket.customer_id).where(Ticket.ref == ref))
        assert found is not None
        return int(found)


def set_owner(app: Flask, customer_id: int, **values: Any) -> None:
    from hub.tracker.customer_admin import get_customer, update_customer

    with app.extensions["hub"].db.transaction() as session:
        update_customer(session=session, customer=get_customer(session, customer_id), values=values, actor=AGENT)


def move(app: Flask, ref: str, *steps: str) -> None:
    from hub.tracker.tickets import get_ticket, transition_ticket

    for step in steps:
        with app.extensions["hub"].db.transaction() as session:
            transition_ticket(session=session, ticket=get_ticket(session, ref), to=step, actor=AGENT,
                              resolution="Fixed" if step == "resolved" else None)


def rate(app: Flask, ref: str, score: int) -> None:
    from hub.tracker.surveys import record_survey
    from hub.tracker.tickets import get_ticket

    with app.extensions["hub"].db.transaction() as session:
        record_survey(session=session, ticket=get_ticket(session, ref), score=score)


def flag(app: Flask, customer_id: int) -> CustomerRiskFlag | None:
    with app.extensions["hub"].db.transaction() as session:
        found = session.scalar(select(CustomerRiskFlag).where(CustomerRiskFlag.customer_id == customer_id,
                                                              CustomerRiskFlag.cleared_at.is_(None)))
        if found is not None:
            session.expunge(found)
        return found


def rules_of(flagged: CustomerRiskFlag | None) -> list[str]:
    assert flagged is not None
    return [reason["rule"] for reason in flagged.reasons]


def notices(app: Flask, username: str) -> list[str]:
    with app.extensions["hub"].db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return list(session.scalars(select(Notification.text).where(Notification.user_id == user_id,
                                                                    Notification.kind == "customer_at_risk")))


def test_three_complaints_in_30_days_flag_the_customer_and_tell_the_owner(app: Flask, api: ApiClient,
                                                                           owner: str) -> None:
    first = new_ticket(api)
    customer = customer_of(app, first)
    set_owner(app, customer, owner=owner)
    new_ticket(api, "ANA@example.com", "Still cold")
    assert flag(app, customer) is None
    third = new_ticket(api, title="Cold again")
    flagged = flag(app, customer)
    assert rules_of(flagged) == ["complaints"]
    assert flagged is not None and flagged.reasons[0]["text"] == "3 tickets in 30 days"
    assert flagged.reasons[0]["ref"] == third
    told = notices(app, owner)
    assert len(told) == 1 and "Ana is at risk: 3 tickets in 30 days" in told[0]
    new_ticket(api, title="A fourth")  # the same evidence: no second reason, no second notice
    assert rules_of(flag(app, customer)) == ["complaints"] and len(notices(app, owner)) == 1


def test_old_complaints_do_not_count(app: Flask, api: ApiClient) -> None:
    first, second = new_ticket(api), new_ticket(api, title="Two")
    with app.extensions["hub"].db.transaction() as session:
        ago = app.extensions["hub"].now() - timedelta(days=31)
        session.execute(update(Ticket).where(Ticket.ref.in_([first, second])).values(created_at=ago))
    third = new_ticket(api, title="Three")
    assert flag(app, customer_of(app, third)) is None


def test_a_score_of_1_or_2_flags_3_does_not(app: Flask, api: ApiClient, owner: str) -> None:
    good, bad = new_ticket(api, "bo@example.com"), new_ticket(api, "bo@example.com", "Second")
    customer = customer_of(app, good)
    set_owner(app, customer, owner=owner)
    move(app, good, "resolved")
    rate(app, good, 3)
    assert flag(app, customer) is None
    move(app, bad, "resolved")
    rate(app, bad, 1)
    flagged = flag(app, customer)
    assert rules_of(flagged) == ["low_score"] and flagged is not None
    assert flagged.reasons[0]["text"] == f"Rated {bad} 1 of 5"
    assert notices(app, owner) == [f"Ana is at risk: Rated {bad} 1 of 5"]


def test_a_ticket_reopened_twice_flags(app: Flask, api: ApiClient) -> None:
    ref = new_ticket(api, "cy@example.com")
    move(app, ref, "resolved", "in_progress", "resolved")
    assert flag(app, customer_of(app, ref)) is None
    move(app, ref, "in_progress")
    flagged = flag(app, customer_of(app, ref))
    assert rules_of(flagged) == ["reopened"] and flagged is not None
    assert flagged.reasons[0]["text"] == f"{ref} was reopened 2 times"


def test_an_sla_breach_flags_a_vip_only(app: Flask, api: ApiClient) -> None:
    from hub.app.customer_risk_hooks import sla_breached
    from hub.tracker.info import ticket_info
    from hub.tracker.tickets import get_ticket

    plain, vip = new_ticket(api, "dee@example.com"), new_ticket(api, "vip@example.com")
    set_owner(app, customer_of(app, vip), vip=True)
    for ref in (plain, vip):
        with app.extensions["hub"].db.transaction() as session:
            ticket = get_ticket(session, ref)
            sla_breached(ticket=ticket_info(session, ticket), target="response", due_at=ticket.created_at,
                         session=session)
    assert flag(app, customer_of(app, plain)) is None
    flagged = flag(app, customer_of(app, vip))
    assert rules_of(flagged) == ["vip_breach"] and flagged is not None
    assert flagged.reasons[0]["text"] == f"{vip} missed its response target for a VIP"


def test_no_answer_for_n_days_flags_on_the_periodic_check(app: Flask, api: ApiClient) -> None:
    from hub.app.customer_risk_hooks import rules
    from hub.tracker.customer_risk_checks import check_quiet

    quiet, answered = new_ticket(api, "eve@example.com"), new_ticket(api, "fay@example.com")
    with app.extensions["hub"].db.transaction() as session:
        ago = app.extensions["hub"].now() - timedelta(days=6)
        session.execute(update(Ticket).where(Ticket.ref.in_([quiet, answered])).values(created_at=ago))
        session.execute(update(Ticket).where(Ticket.ref == answered)
                        .values(first_response_at=ago + timedelta(hours=1)))
    with app.extensions["hub"].db.transaction() as session:
        assert check_quiet(session, rules(session)) == 1
    with app.extensions["hub"].db.transaction() as session:
        assert check_quiet(session, rules(session)) == 0  # once per ticket
    assert rules_of(flag(app, customer_of(app, quiet))) == ["no_answer"]
    assert flag(app, customer_of(app, answered)) is None


def test_rules_can_be_changed_or_turned_off(app: Flask, api: ApiClient) -> None:
    admin = ApiClient(app.test_client(), make_token(app, "admin", "root"))
    changed = admin.put("/api/v1/admin/plugins/hub.customer-risk/settings",
                        json={"settings": {"complaints": 0, "low_score": 1}})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    refs = [new_ticket(api, "gus@example.com", f"T{n}") for n in range(4)]
    customer = customer_of(app, refs[0])
    assert flag(app, customer) is None  # complaints off
    move(app, refs[0], "resolved")
    rate(app, refs[0], 2)
    assert flag(app, customer) is None  # only 1 flags now
    bad = admin.put("/api/v1/admin/plugins/hub.customer-risk/settings", json={"settings": {"low_score": 9}})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"


def test_clearing_needs_a_note_is_audited_and_old_evidence_does_not_flag_again(app: Flask, api: ApiClient) -> None:
    from hub.sdk.tracker_errors import Conflict, ValidationFailed
    from hub.tracker.customer_admin import get_customer
    from hub.tracker.customer_risk import clear_flag

    refs = [new_ticket(api, "hal@example.com", f"T{n}") for n in range(3)]
    customer = customer_of(app, refs[0])
    assert flag(app, customer) is not None
    with app.extensions["hub"].db.transaction() as session, pytest.raises(ValidationFailed):
        clear_flag(session=session, customer=get_customer(session, customer), actor=AGENT, note="  ")
    with app.extensions["hub"].db.transaction() as session:
        clear_flag(session=session, customer=get_customer(session, customer), actor=AGENT,
                   note="Called her; the heating is fixed")
    assert flag(app, customer) is None
    with app.extensions["hub"].db.transaction() as session, pytest.raises(Conflict):
        clear_flag(session=session, customer=get_customer(session, customer), actor=AGENT, note="again")
    with app.extensions["hub"].db.transaction() as session:
        cleared = session.scalar(select(CustomerEvent).where(CustomerEvent.customer_id == customer,
                                                             CustomerEvent.action == "risk_cleared"))
        assert cleared is not None and cleared.note == "Called her; the heating is fixed"
        assert cleared.actor_name == "alice"
    new_ticket(api, "hal@example.com", "One more")  # 4 in 30 days, but 3 were weighed already
    assert flag(app, customer) is None
    new_ticket(api, "hal@example.com", "Two more")
    new_ticket(api, "hal@example.com", "Three more")
    assert rules_of(flag(app, customer)) == ["complaints"]


def test_an_owner_group_hears_when_no_one_owns_the_customer(app: Flask, api: ApiClient, owner: str) -> None:
    assert api.post("/api/v1/groups", json={"slug": "care", "name": "Care"}).status_code == 201
    assert api.put(f"/api/v1/groups/care/members/{owner}").status_code == 200
    ref = new_ticket(api, "ian@example.com")
    set_owner(app, customer_of(app, ref), owner_group="care")
    move(app, ref, "resolved")
    rate(app, ref, 2)
    assert notices(app, owner) == [f"Ana is at risk: Rated {ref} 2 of 5"]


def test_the_pages_show_the_flag_filter_it_and_clear_it(app: Flask, api: ApiClient) -> None:
    from tests.hub.ui.conftest import Browser, add_user

    refs = [new_ticket(api, "jo@example.com", f"T{n}") for n in range(3)]
    new_ticket(api, "kim@example.com", "Fine")
    customer = customer_of(app, refs[0])
    add_user(app, "paula", "agent")
    page = Browser(app, "paula")
    listed = page.text("/customers?at_risk=1")
    assert "3 tickets in 30 days" in listed and listed.count(">Ana<") == 1
    assert page.text("/customers").count(">Ana<") == 2
    shown = page.text(f"/customers/{customer}")
    assert 'id="at-risk"' in shown and "3 tickets in 30 days" in shown
    assert "Flagged at risk by Risk rules" in shown and "at_risk" not in shown.split('id="at-risk"')[1]
    refused = page.post(f"/customers/{customer}/risk/clear", {"note": ""}, follow=True)
    assert "Say why the customer is no longer at risk." in refused.get_data(as_text=True)
    done = page.post(f"/customers/{customer}/risk/clear", {"note": "Sorted"}, follow=True)
    assert 'id="at-risk"' not in done.get_data(as_text=True)
    assert "Risk flag cleared by" in done.get_data(as_text=True)
    assert "3 tickets" not in page.text("/customers?at_risk=1")


def test_audit_keeps_the_reopens(app: Flask, api: ApiClient) -> None:
    ref = new_ticket(api, "lu@example.com")
    move(app, ref, "resolved", "in_progress")
    customer = customer_of(app, ref)  # its own session: SQLite allows one writer at a time
    with app.extensions["hub"].db.transaction() as session:
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "reopened")) == "reopened"
        assert session.get(Customer, customer) is not None


def test_an_erasure_removes_the_flags(app: Flask, api: ApiClient) -> None:
    from hub.tracker.customer_admin import get_customer
    from hub.tracker.privacy import erase_customer

    refs = [new_ticket(api, "max@example.com", f"T{n}") for n in range(3)]
    customer = customer_of(app, refs[0])
    assert flag(app, customer) is not None
    with app.extensions["hub"].db.transaction() as session:
        erase_customer(session=session, customer=get_customer(session, customer), actor=AGENT, note="request 7")
    with app.extensions["hub"].db.transaction() as session:
        assert session.scalars(select(CustomerRiskFlag).where(CustomerRiskFlag.customer_id == customer)).all() == []


def test_the_api_lists_filters_and_clears(app: Flask, api: ApiClient) -> None:
    refs = [new_ticket(api, "ned@example.com", f"T{n}") for n in range(3)]
    new_ticket(api, "ola@example.com", "Fine")
    customer = customer_of(app, refs[0])
    (flagged,) = api.get("/api/v1/customers?at_risk=true").json["items"]
    assert flagged["id"] == customer and flagged["at_risk"]["reasons"][0]["rule"] == "complaints"
    assert flagged["at_risk"]["reasons"][0]["ref"] == refs[2]
    assert [c["at_risk"] for c in api.get("/api/v1/customers?at_risk=false").json["items"]] == [None]
    assert api.get(f"/api/v1/customers/{customer}").json["at_risk"]["raised_at"]
    missing = api.post(f"/api/v1/customers/{customer}/risk/clear", json={})
    assert missing.status_code == 422 and missing.headers["Content-Type"] == "application/problem+json"
    cleared = api.post(f"/api/v1/customers/{customer}/risk/clear", json={"note": "Called her"})
    assert cleared.status_code == 200 and cleared.json["at_risk"] is None
    again = api.post(f"/api/v1/customers/{customer}/risk/clear", json={"note": "Again"})
    assert again.status_code == 409 and again.headers["Content-Type"] == "application/problem+json"
    events = api.get(f"/api/v1/customers/{customer}/events").json
    assert [e["note"] for e in events if e["action"] == "risk_cleared"] == ["Called her"]
    reader = ApiClient(app.test_client(), make_token(app, "requester", "rita"))
    assert reader.post(f"/api/v1/customers/{customer}/risk/clear", json={"note": "x"}).status_code == 403


def test_the_hourly_job_runs_the_no_answer_rule(app: Flask, api: ApiClient) -> None:
    from hub.jobs.customer_risk import check_quiet_customers

    schedules = [s for answer in app.extensions["hub"].plugins.hook.register_schedules() for s in answer]
    (quiet,) = [s for s in schedules if s.name == "hub.customer-risk.quiet"]
    assert quiet.job == "hub.jobs.customer_risk.check_quiet_customers" and quiet.interval == 3600
    ref = new_ticket(api, "pia@example.com")
    with app.extensions["hub"].db.transaction() as session:
        ago = app.extensions["hub"].now() - timedelta(days=5, minutes=1)
        session.execute(update(Ticket).where(Ticket.ref == ref).values(created_at=ago))
    with app.app_context():
        assert check_quiet_customers() == 1
    assert rules_of(flag(app, customer_of(app, ref))) == ["no_answer"]
