"""A ticket's requester becomes a customer when the ticket is made; merges and unmerges."""

from __future__ import annotations

from typing import Any

import pytest

from hub.models import Customer, CustomerEvent, CustomerIdentity, Ticket
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import Conflict, ValidationFailed
from hub.tracker.customer_admin import (
    add_identity,
    get_customer,
    list_customers,
    merge_customers,
    unmerge_customer,
    update_customer,
)
from hub.tracker.customer_history import customer_view
from hub.tracker.customers import normal_identity, normal_phone
from hub.tracker.tickets import create_ticket, update_ticket

AGENT = Actor(type="user", name="ada", origin="ui", id="1", role="agent")


def make(session: Any, title: str, source: str = "api", **values: Any) -> Ticket:
    return create_ticket(session=session, kind="incident", values={"title": title, **values},
                         actor=Actor.system(), source=source)


def test_one_address_in_any_case_is_one_customer(session: Any) -> None:
    first = make(session, "Cold room", requester_email="Ana@Example.com", requester_name="Ana Pérez")
    second = make(session, "Still cold", source="webform", requester_email=" ana@example.COM ")
    other = make(session, "Noise", requester_email="bo@example.com")
    session.commit()
    assert first.customer_id is not None and first.customer_id == second.customer_id != other.customer_id
    customer = session.get(Customer, first.customer_id)
    assert customer.display_name == "Ana Pérez"
    assert [i.value for i in session.query(CustomerIdentity).filter_by(customer_id=customer.id)] == ["ana@example.com"]


def test_phone_and_account_identities(session: Any) -> None:
    by_phone = make(session, "Call", custom_fields={"requester_phone": "+49 (30) 123-456"})
    again = make(session, "Call again", custom_fields={"requester_phone": "0049 30 123456"})
    rt = make(session, "From RT", source="rt", requester_account="alice")
    rt_again = make(session, "From RT again", source="rt", requester_account="alice")
    alarm = make(session, "Filler 2 down")
    session.commit()
    assert by_phone.customer_id == again.customer_id is not None
    assert rt.customer_id == rt_again.customer_id is not None and rt.customer_id != by_phone.customer_id
    assert alarm.customer_id is None
    assert session.query(CustomerIdentity).filter_by(customer_id=rt.customer_id).one().value == "rt:alice"


def test_normalising_identities() -> None:
    assert normal_phone("+49 (30) 123-456") == "+4930123456"
    assert normal_phone("call me") is None
    assert normal_identity("email", " A@B.Org ") == "a@b.org"
    assert normal_identity("account", "Jira: 5b10ac") == "jira:5b10ac"
    for kind, value in (("email", "nope"), ("phone", "abc"), ("fax", "1"), ("email", ""), ("account", "x")):
        with pytest.raises(ValidationFailed):
            normal_identity(kind, value)


def test_the_setting_turns_matching_off(session: Any, runtime: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(runtime.settings, "CUSTOMERS", False)
    assert make(session, "x", requester_email="off@example.com").customer_id is None


def test_changing_the_requester_moves_the_ticket(session: Any) -> None:
    ticket = make(session, "Cold", requester_email="ana@example.com")
    ana = ticket.customer_id
    update_ticket(session=session, ticket=ticket, values={"requester_email": "bo@example.com"}, actor=AGENT)
    assert ticket.customer_id not in (None, ana)


def test_an_identity_linked_by_hand_gathers_tickets_and_later_ones(session: Any) -> None:
    mail = make(session, "By mail", requester_email="ana@example.com")
    call = make(session, "By phone", custom_fields={"requester_phone": "+34 600 111 222"})
    session.flush()
    ana = get_customer(session, mail.customer_id)
    with pytest.raises(Conflict):
        add_identity(session=session, customer=ana, kind="phone", value="+34600111222", actor=AGENT)
    add_identity(session=session, customer=ana, kind="email", value="ana@home.example", actor=AGENT)
    later = make(session, "From home", requester_email="ANA@home.example")
    assert later.customer_id == ana.id
    assert call.customer_id != ana.id


def test_merge_and_unmerge_with_an_audit(session: Any) -> None:
    mail = make(session, "By mail", requester_email="ana@example.com")
    call = make(session, "By phone", custom_fields={"requester_phone": "+34 600 111 222"})
    session.flush()
    ana, phone = get_customer(session, mail.customer_id), get_customer(session, call.customer_id)
    phone.vip = True
    merge_customers(session=session, source=phone, into=ana, actor=AGENT, note="same person")
    session.flush()
    session.refresh(call)
    assert call.customer_id == ana.id and ana.vip and phone.merged_into_id == ana.id
    after = make(session, "Called again", custom_fields={"requester_phone": "+34600111222"})
    assert after.customer_id == ana.id
    view = customer_view(session, ana)
    assert [line.title for line in view.tickets] == ["Called again", "By phone", "By mail"]
    assert view.open_count == 3 and view.ticket_count == 3
    assert [c.id for c in list_customers(session)] == [ana.id]  # the merged record is not listed
    with pytest.raises(Conflict):
        merge_customers(session=session, source=ana, into=ana, actor=AGENT)

    unmerge_customer(session=session, customer=phone, actor=AGENT)
    session.flush()
    session.refresh(call)
    assert call.customer_id == phone.id and phone.merged_into_id is None
    assert session.query(CustomerIdentity).filter_by(customer_id=phone.id).one().value == "+34600111222"
    events = session.query(CustomerEvent).filter_by(customer_id=phone.id).order_by(CustomerEvent.id)
    actions = [e.action for e in events]
    assert actions == ["merged", "unmerged"]
    with pytest.raises(Conflict):
        unmerge_customer(session=session, customer=phone, actor=AGENT)


def test_editing_a_customer(session: Any) -> None:
    ticket = make(session, "Cold", requester_email="ana@example.com")
    session.flush()
    ana = get_customer(session, ticket.customer_id)
    changes = update_customer(session=session, customer=ana, values={"vip": True, "notes": "Prefers calls"},
                              actor=AGENT)
    assert set(changes) == {"vip", "notes"} and ana.vip
    for bad in ({"owner": "nobody"}, {"organisation": "Nope"}, {"display_name": " "}, {"colour": "red"}):
        with pytest.raises(ValidationFailed):
            update_customer(session=session, customer=ana, values=bad, actor=AGENT)
