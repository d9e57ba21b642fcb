"""The RT 5 REST2 double, driven over HTTP with requests exactly as a client would."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.fakes.fixtures import *  # noqa: F403
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer

TOKEN = {"Authorization": "token rt-token"}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
Server = FakeServer[RTFake]
NOON = datetime(2026, 2, 2, 12, 0, 0, tzinfo=UTC)


def rest(server: Server, path: str) -> str:
    return f"{server.url}/REST/2.0/{path}"


def create(server: Server, **fields: Any) -> requests.Response:
    body = {"Queue": "General", "Subject": "Printer", "Requestor": "alice@example.com", **fields}
    return requests.post(rest(server, "ticket"), json=body, headers=TOKEN)


def test_create_answers_201_with_a_string_id_and_get_a_number(rt_server: Server) -> None:
    rt_server.fake.clock.freeze(NOON)

    created = create(rt_server, Content="It jams", Priority=20)
    shown = requests.get(rt_server.url + created.headers["Location"], headers=TOKEN)  # a path, as RT gives it
    ticket = shown.json()

    assert created.status_code == 201
    assert created.json() == {"type": "ticket", "id": "1", "_url": f"{rt_server.url}/REST/2.0/ticket/1"}
    assert ticket["id"] == 1
    assert (ticket["Subject"], ticket["Status"], ticket["Priority"]) == ("Printer", "new", 20)
    assert ticket["Queue"] == {"type": "queue", "id": "1", "_url": f"{rt_server.url}/REST/2.0/queue/1"}
    assert [r["id"] for r in ticket["Requestor"]] == ["alice@example.com"]
    assert ticket["Owner"]["id"] == "Nobody"
    assert (ticket["Created"], ticket["LastUpdated"]) == ("2026-02-02T12:00:00Z", "2026-02-02T12:00:00Z")
    assert ticket["Resolved"] == "1970-01-01T00:00:00Z"
    assert shown.headers["ETag"] == '"1"'
    assert {link["ref"] for link in ticket["_hyperlinks"]} >= {"self", "history", "correspond", "comment"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Queue": None}, "Could not create ticket. Queue not set"),
        ({"Queue": "Nowhere"}, "Unable to find queue"),
        ({"Status": "pending"}, "Status 'pending' isn't a valid status for tickets in this queue."),
        ({"Status": "stalled"}, "New tickets can not have status 'stalled' in this queue."),
    ],
    ids=["no-queue", "unknown-queue", "bad-status", "not-initial"],
)
def test_create_refusals_are_400_with_rt_messages(rt_server: Server, fields: dict, message: str) -> None:
    response = create(rt_server, **fields)

    assert (response.status_code, response.json()) == (400, {"message": message})


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({}, 401),
        ({"headers": {"Authorization": "token wrong"}}, 401),
        ({"headers": {"Authorization": "Bearer rt-token"}}, 401),
        ({"auth": ("root", "password")}, 200),
        ({"params": {"token": "rt-token"}}, 200),
    ],
    ids=["none", "bad-token", "bearer", "basic", "query-token"],
)
def test_authentication(rt_server: Server, kwargs: dict, status: int) -> None:
    response = requests.get(rest(rt_server, "queues/all"), **kwargs)

    assert response.status_code == status
    if status == 401:
        assert response.json() == {"message": "Unauthorized"}


def test_a_client_walks_search_pages_by_next_page(rt_server: Server) -> None:
    for index in range(7):
        rt_server.fake.create_ticket("General", f"ticket {index}")
    url: str | None = rest(rt_server, "tickets")
    params: dict[str, Any] | None = {"query": "Queue = 'General'", "per_page": 3, "fields": "Subject"}
    pages = []

    while url:
        page = requests.get(url, params=params, headers=TOKEN).json()
        params = None
        pages.append(page)
        url = page.get("next_page")

    assert [(p["page"], p["count"], p["total"], p["pages"], p["per_page"]) for p in pages] == [
        (1, 3, 7, 3, 3),
        (2, 3, 7, 3, 3),
        (3, 1, 7, 3, 3),
    ]
    assert [i["Subject"] for p in pages for i in p["items"]] == [f"ticket {n}" for n in range(7)]
    assert all(isinstance(i["id"], str) for p in pages for i in p["items"])
    assert "prev_page" in pages[1]
    assert "prev_page" not in pages[0]


def test_per_page_is_capped_at_100(rt_server: Server) -> None:
    page = requests.get(rest(rt_server, "tickets"), params={"query": "id > 0", "per_page": "500"}, headers=TOKEN)

    assert page.json()["per_page"] == 100


def test_lastupdated_query_reads_the_users_time_zone(rt_server: Server) -> None:
    fake = rt_server.fake
    fake.add_queue("Support")
    fake.clock.freeze(NOON)
    fake.create_ticket("General", "old")
    fake.clock.advance(hours=2)  # 14:00 UTC
    fake.create_ticket("General", "new")
    fake.create_ticket("Support", "elsewhere")

    def subjects(query: str) -> list[str]:
        response = requests.get(rest(rt_server, "tickets"), params={"query": query, "fields": "Subject"}, headers=TOKEN)
        assert response.status_code == 200, response.text
        return [i["Subject"] for i in response.json()["items"]]

    since = "LastUpdated > '2026-02-02 13:00:00'"
    assert subjects(f"Queue = 'General' AND {since}") == ["new"]
    assert subjects(f"({since}) AND Queue = 'Support'") == ["elsewhere"]
    assert subjects("Queue = 'General' AND LastUpdated > 'yesterday-ish'") == ["old", "new"]  # epoch!
    # The same UTC wall time read by RT for a user in New York is 18:00 UTC: nothing.
    fake.user_timezone = "America/New_York"
    assert subjects(f"Queue = 'General' AND {since}") == []


def test_bad_ticketsql_is_a_400(rt_server: Server) -> None:
    response = requests.get(rest(rt_server, "tickets"), params={"query": "Colour = 'red'"}, headers=TOKEN)

    assert response.status_code == 400
    assert "Colour" in response.json()["message"]


def test_put_answers_200_with_messages_including_a_refusal(rt_server: Server) -> None:
    create(rt_server)
    url = rest(rt_server, "ticket/1")
    etag = requests.get(url, headers=TOKEN).headers["ETag"]

    changed = requests.put(
        url, json={"Subject": "Jammed", "Priority": 42, "Status": "foo"}, headers={**TOKEN, "If-Match": etag}
    )
    unchanged = requests.put(url, json={"Subject": "Jammed"}, headers=TOKEN)
    ticket = requests.get(url, headers=TOKEN)

    assert changed.status_code == 200
    assert changed.json() == [
        "Ticket 1: Priority changed from (no value) to '42'",
        "Ticket 1: Status 'foo' isn't a valid status for this ticket.",
        "Ticket 1: Subject changed from 'Printer' to 'Jammed'",
    ]
    assert (unchanged.status_code, unchanged.json()) == (200, [])
    assert (ticket.json()["Status"], ticket.json()["Subject"]) == ("new", "Jammed")
    assert ticket.headers["ETag"] != etag


def test_a_stale_if_match_is_412_and_changes_nothing(rt_server: Server) -> None:
    create(rt_server)
    url = rest(rt_server, "ticket/1")
    etag = requests.get(url, headers=TOKEN).headers["ETag"]
    rt_server.fake.correspond(1, "Any news?", user="alice@example.com")  # someone else acts meanwhile

    stale = requests.put(url, json={"Status": "resolved"}, headers={**TOKEN, "If-Match": etag})
    fresh_tag = requests.get(url, headers=TOKEN).headers["ETag"]
    fresh = requests.put(url, json={"Status": "resolved"}, headers={**TOKEN, "If-Match": fresh_tag})

    assert (stale.status_code, stale.json()) == (412, {"message": "Precondition Failed"})
    assert fresh_tag != etag
    assert fresh.json() == ["Ticket 1: Status changed from 'open' to 'resolved'"]  # the reply opened it
    assert requests.get(url, headers=TOKEN).json()["Resolved"] != "1970-01-01T00:00:00Z"


def test_if_none_match_gives_304(rt_server: Server) -> None:
    create(rt_server)
    url = rest(rt_server, "ticket/1")
    etag = requests.get(url, headers=TOKEN).headers["ETag"]

    response = requests.get(url, headers={**TOKEN, "If-None-Match": etag})

    assert (response.status_code, response.headers["ETag"]) == (304, etag)


def test_correspond_and_comment_in_every_accepted_form(rt_server: Server) -> None:
    create(rt_server)
    url = rest(rt_server, "ticket/1")

    reply = requests.post(f"{url}/correspond", data="On it", headers={**TOKEN, "Content-Type": "text/plain"})
    note = requests.post(
        f"{url}/comment",
        json={"Content": "<b>internal</b>", "ContentType": "text/html", "Status": "stalled"},
        headers=TOKEN,
    )
    no_type = requests.post(f"{url}/comment", json={"Content": "x"}, headers=TOKEN)
    wrong_type = requests.post(f"{url}/comment", data="<x/>", headers={**TOKEN, "Content-Type": "application/xml"})
    bad_status = requests.post(
        f"{url}/correspond", json={"Content": "x", "ContentType": "text/plain", "Status": "nope"}, headers=TOKEN
    )

    assert (reply.status_code, reply.json()) == (201, ["Correspondence added"])
    assert re.search(r"/REST/2.0/transaction/\d+$", reply.headers["Location"])
    assert note.json() == ["Comments added", "Status changed from 'open' to 'stalled'"]
    assert (no_type.status_code, no_type.json()) == (
        400,
        {"message": "ContentType is a required field for application/json"},
    )
    assert wrong_type.status_code == 415
    assert bad_status.json() == ["Correspondence added", "Status 'nope' isn't a valid status for this ticket."]


def test_history_exposes_transactions_and_their_attachments(rt_server: Server) -> None:
    create(rt_server, Content="First words")
    url = rest(rt_server, "ticket/1")
    requests.post(f"{url}/comment", json={"Content": "Für Agenten", "ContentType": "text/plain"}, headers=TOKEN)
    requests.put(url, json={"Status": "open"}, headers=TOKEN)
    rt_server.fake.correspond(1, "Customer reply", user="alice@example.com")

    history = requests.get(
        f"{url}/history", params={"fields": "Type,Creator,Created,Field,NewValue"}, headers=TOKEN
    ).json()
    items = history["items"]
    comment_txn = requests.get(items[1]["_url"], headers=TOKEN).json()
    (attachment_link,) = [link for link in comment_txn["_hyperlinks"] if link["ref"] == "attachment"]
    attachment = requests.get(attachment_link["_url"], headers=TOKEN).json()

    assert (history["total"], history["pages"], "next_page" in history) == (None, None, False)  # not a superuser
    assert [(i["Type"], i["Creator"]["id"]) for i in items] == [
        ("Create", "hub"),
        ("Comment", "hub"),
        ("Status", "hub"),
        ("Correspond", "alice@example.com"),
    ]
    assert items[2]["NewValue"] == "open"
    assert all(W3C.match(i["Created"]) for i in items)
    assert (comment_txn["Type"], comment_txn["Object"]["id"]) == ("Comment", "1")
    assert base64.b64decode(attachment["Content"]).decode() == "Für Agenten"
    assert attachment["Content"].endswith("\n")
    assert attachment["ContentType"] == "text/plain"


def test_any_reply_opens_a_ticket_that_is_not_active_as_rt_system(rt_server: Server) -> None:
    fake = rt_server.fake
    for _ in range(4):
        create(rt_server)
    fake.update_ticket(3, Status="resolved", user="root")
    fake.update_ticket(4, Status="stalled", user="root")

    fake.correspond(1, "more detail", user="alice@example.com")  # the requestor too (AutoOpenInactive)
    for ticket_id in (2, 3, 4):
        requests.post(rest(rt_server, f"ticket/{ticket_id}/correspond"), data="Looking",
                      headers={**TOKEN, "Content-Type": "text/plain"})
    requests.post(rest(rt_server, "ticket/1/comment"), data="internal", headers={**TOKEN, "Content-Type": "text/plain"})

    assert [fake.ticket(n)["Status"] for n in (1, 2, 3, 4)] == ["open", "open", "open", "stalled"]
    opened = [t for t in fake.transactions(3) if t.type == "Status" and t.new_value == "open"]
    assert [(t.creator, t.old_value) for t in opened] == [("RT_System", "resolved")]


def test_a_site_without_the_auto_open_scrip_keeps_the_status(rt_server: Server) -> None:
    fake = rt_server.fake
    fake.auto_open = False
    create(rt_server)

    requests.post(rest(rt_server, "ticket/1/correspond"), data="Looking",
                  headers={**TOKEN, "Content-Type": "text/plain"})

    assert fake.ticket(1)["Status"] == "new"


def test_custom_fields_are_listed_updated_and_unknown_ones_ignored(rt_server: Server) -> None:
    rt_server.fake.add_custom_field("Severity")
    create(rt_server, CustomFields={"Severity": "Low", "Nonexistent": "x"})
    url = rest(rt_server, "ticket/1")

    messages = requests.put(url, json={"CustomFields": {"Severity": "High", "Nonexistent": "y"}}, headers=TOKEN).json()
    fields = requests.get(url, headers=TOKEN).json()["CustomFields"]

    assert messages == ["Severity Low changed to High"]
    assert [(f["name"], f["values"], f["id"]) for f in fields] == [("Severity", ["High"], "1")]


def test_a_remote_user_change_through_the_control_api(rt_server: Server) -> None:
    fake = rt_server.fake
    fake.clock.freeze(NOON)
    ticket = fake.create_ticket("General", "From the web UI", requestor=["bob@example.com"], content="Help")
    fake.clock.advance(300)

    messages = fake.update_ticket(ticket["id"], Status="resolved", Subject="Solved", user="root")
    shown = requests.get(rest(rt_server, f"ticket/{ticket['id']}"), headers=TOKEN).json()

    assert messages == [
        "Ticket 1: Status changed from 'new' to 'resolved'",
        "Ticket 1: Subject changed from 'From the web UI' to 'Solved'",
    ]
    assert (shown["LastUpdated"], shown["LastUpdatedBy"]["id"]) == ("2026-02-02T12:05:00Z", "root")
    assert [t.type for t in fake.transactions(ticket["id"])] == ["Create", "Status", "Set"]


def test_faults_drop_and_rate_limit(rt_server: Server) -> None:
    fake = rt_server.fake
    fake.fail_next(kind="drop", paths=r"/ticket$")

    with pytest.raises(requests.exceptions.ConnectionError):
        create(rt_server)
    assert fake.tickets() == []

    fake.clock.freeze()
    fake.rate_limit(1, per_seconds=30)
    first = requests.get(rest(rt_server, "queues/all"), headers=TOKEN)
    second = requests.get(rest(rt_server, "queues/all"), headers=TOKEN)

    assert first.status_code == 200
    assert (second.status_code, second.headers["Retry-After"]) == (429, "30")
    assert second.json() == {"message": "Too Many Requests"}


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def file(name: str, file_type: str, data: bytes) -> dict[str, str]:
    return {"FileName": name, "FileType": file_type, "FileContent": base64.encodebytes(data).decode()}


def parts(server: Server, path: str, fields: str = "Filename,ContentType,Parent,TransactionId") -> list[dict]:
    response = requests.get(rest(server, path), params={"fields": fields}, headers=TOKEN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_files_ride_on_a_comment_as_parts_of_its_transaction(rt_server: Server) -> None:
    create(rt_server)
    body = {"Content": "See the scan", "ContentType": "text/plain", "Subject": "Scan",
            "Attachments": [file("scan.png", "image/png", PNG), file("notes.txt", "text/plain", b"line 1\n")]}

    response = requests.post(rest(rt_server, "ticket/1/comment"), json=body, headers=TOKEN)
    txn = response.headers["Location"].rsplit("/", 1)[-1]
    items = parts(rt_server, f"transaction/{txn}/attachments")
    scan = requests.get(items[2]["_url"], headers=TOKEN).json()

    assert (response.status_code, response.json()) == (201, ["Comments added"])
    container = int(items[0]["id"])
    assert [(i["Filename"], i["ContentType"], i["Parent"]) for i in items] == [
        ("", "multipart/mixed", 0),
        ("", "text/plain", container),
        ("scan.png", "image/png", container),
        ("notes.txt", "text/plain", container),
    ]
    assert all(i["TransactionId"] == int(txn) for i in items)  # the bare number, not an object
    assert (scan["Filename"], base64.b64decode(scan["Content"])) == ("scan.png", PNG)
    assert [a.filename for a in rt_server.fake.files(1)] == ["scan.png", "notes.txt"]


def test_files_without_content_need_no_content_type(rt_server: Server) -> None:
    create(rt_server)

    response = requests.post(rest(rt_server, "ticket/1/correspond"),
                             json={"Attachments": [file("a.pdf", "application/pdf", b"%PDF-1.7")]}, headers=TOKEN)
    txn = int(response.headers["Location"].rsplit("/", 1)[-1])

    assert (response.status_code, response.json()) == (201, ["Correspondence added"])
    assert [(a.content_type, a.content, a.filename) for a in rt_server.fake.attachments(txn)] == [
        ("multipart/mixed", b"", ""), ("application/octet-stream", b"", ""), ("application/pdf", b"%PDF-1.7", "a.pdf")]


@pytest.mark.parametrize(
    ("attachment", "missing"),
    [
        ({"FileType": "text/plain", "FileContent": "eA=="}, "FileName"),
        ({"FileName": "x.txt", "FileContent": "eA=="}, "FileType"),
        ({"FileName": "x.txt", "FileType": "text/plain", "FileContent": ""}, "FileContent"),
    ],
    ids=["no-name", "no-type", "empty-file"],
)
def test_each_file_needs_a_name_a_type_and_content(rt_server: Server, attachment: dict, missing: str) -> None:
    create(rt_server)

    response = requests.post(rest(rt_server, "ticket/1/comment"),
                             json={"Content": "x", "ContentType": "text/plain", "Attachments": [attachment]},
                             headers=TOKEN)

    assert (response.status_code, response.json()) == (
        400, {"message": f"{missing} is a required field for each attachment in Attachments"})
    assert [t.type for t in rt_server.fake.transactions(1)] == ["Create"]


def test_a_tickets_attachments_with_fields(rt_server: Server) -> None:
    fake = rt_server.fake
    fake.clock.freeze(NOON)
    ticket = fake.create_ticket("General", "Broken", content="It broke", files=[("photo.png", "image/png", PNG)])
    fake.comment(ticket["id"], "Inside job", user="root", files=[("log.txt", "text/plain", b"error 42")])
    fields = "Filename,ContentType,ContentLength,Creator,TransactionId,Created"

    first = parts(rt_server, f"ticket/{ticket['id']}/attachments", fields)
    again = parts(rt_server, f"ticket/{ticket['id']}/attachments", fields)
    unknown = requests.get(rest(rt_server, "ticket/99/attachments"), headers=TOKEN)

    files = [i for i in first if i["Filename"]]
    assert [(i["Filename"], i["ContentLength"], i["Creator"]["id"], i["Created"]) for i in files] == [
        ("photo.png", len(PNG), "remote", "2026-02-02T12:00:00Z"), ("log.txt", 8, "root", "2026-02-02T12:00:00Z")]
    # Counted the first time, then read back from the header RT stored: a string.
    assert [i["ContentLength"] for i in again if i["Filename"]] == [str(len(PNG)), "8"]
    assert {i["type"] for i in first} == {"attachment"} and all(isinstance(i["id"], str) for i in first)
    assert len(first) == 6  # two containers and two bodies besides the files
    assert (unknown.status_code, unknown.json()["items"], unknown.json()["total"]) == (200, [], None)


def test_a_recorded_notification_holds_copies_of_the_files(rt_server: Server) -> None:
    fake = rt_server.fake
    ticket = fake.create_ticket("General", "Leak")
    reply = fake.correspond(ticket["id"], "Photo attached", user="alice@example.com",
                            files=[("leak.jpg", "image/jpeg", b"jpeg")])

    record = fake.record_email(ticket["id"], reply)

    assert [t.type for t in fake.transactions(ticket["id"])][-1] == "EmailRecord"
    assert [(a.filename, a.content) for a in fake.attachments(record) if a.filename] == [("leak.jpg", b"jpeg")]


@pytest.mark.parametrize(
    ("setting", "kept"),
    [
        (None, ("big.bin", "application/octet-stream", b"0123456789abcdef")),
        ("truncate_long_attachments", ("big.bin", "application/octet-stream", b"0123456789")),
        ("drop_long_attachments", ("big.bin.txt", "text/plain", b"Large attachment dropped")),
    ],
    ids=["kept-whole", "truncated", "dropped"],
)
def test_max_attachment_size_cuts_or_drops_a_file_without_a_word(rt_server: Server, setting: str | None,
                                                                  kept: tuple) -> None:
    fake = rt_server.fake
    fake.max_attachment_size = 10
    if setting:
        setattr(fake, setting, True)
    create(rt_server)

    response = requests.post(
        rest(rt_server, "ticket/1/correspond"),
        json={"Content": "big", "ContentType": "text/plain",
              "Attachments": [file("big.bin", "application/octet-stream", b"0123456789abcdef")]},
        headers=TOKEN,
    )

    assert (response.status_code, response.json()) == (201, ["Correspondence added"])
    assert [(a.filename, a.content_type, a.content) for a in fake.files(1)] == [kept]
