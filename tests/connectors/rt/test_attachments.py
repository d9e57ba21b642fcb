"""Files both ways with Request Tracker 5, against the REST2 double over real HTTP.

A file on an RT message lands on the hub ticket once, as visible as its message (a reply's
file public, a comment's internal), however often the ticket changes and after a
reconcile; a file over the limit is named but never downloaded; a hub file goes out with
a reply or a comment by its visibility, once (not read back, not uploaded twice after a
lost answer); a file RT cuts to its own size limit fails the delivery; and
``sync_attachments: false`` moves nothing either way.
"""

from __future__ import annotations

from typing import Any

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import Server, add_instance, audit, comments, only_incident
from tests.connectors.rt.test_sync import app_config as app_config
from tests.connectors.rt.test_sync import rt as rt
from tests.fakes.fixtures import rt_server  # noqa: F401 - a fixture
from tests.fakes.rt import RTFake
from tests.support.attachments import PHOTO, attachment_messages, content, files, outbox_details, upload
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace


def downloads(fake: RTFake, ticket_id: int) -> list[str]:
    """The ticket's files the hub fetched, one entry per fetch."""
    ids = {a.id: a.filename for a in fake.files(ticket_id)}
    return [ids[int(r.path.rsplit("/", 1)[-1])] for r in fake.received("GET", r"/attachment/\d+$")
            if int(r.path.rsplit("/", 1)[-1]) in ids]


def hub_files_in_rt(fake: RTFake, ticket_id: int) -> list[tuple[str, str, str, bytes]]:
    """The files the hub's RT user attached: (transaction type, body, name, content)."""
    found = []
    for txn in fake.transactions(ticket_id):
        parts = fake.attachments(txn.id)
        if txn.creator != "hub" or not any(p.filename for p in parts):
            continue
        body = next(p.content.decode() for p in parts if not p.filename and p.content_type == "text/plain")
        found += [(txn.type, body, p.filename, p.content) for p in parts if p.filename]
    return found


def test_rt_files_land_once_as_visible_as_their_message(api: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    fake = server.fake
    made = fake.create_ticket("General", "Cracked screen", requestor=["alice@example.com"], content="See photo",
                              files=[("screen.png", "image/png", PHOTO)])
    reply = fake.correspond(made["id"], "The receipt", user="alice@example.com",
                            files=[("receipt.pdf", "application/pdf", b"%PDF-1.7 receipt")])
    fake.comment(made["id"], None, user="root", files=[("quote.txt", "text/plain", b"Repair: 120 EUR")])
    fake.record_email(made["id"], reply)  # RT's notification about the reply: a copy of its file

    run_poll(runtime, instance)

    ref = only_incident(api)["ref"]
    assert files(api, ref) == [("screen.png", "public", len(PHOTO)), ("receipt.pdf", "public", 16),
                               ("quote.txt", "internal", 15)]
    assert content(api, ref, "screen.png") == PHOTO and content(api, ref, "quote.txt") == b"Repair: 120 EUR"
    assert comments(api, ref) == [("The receipt", "public")]  # a file alone makes no empty comment

    fake.update_ticket(made["id"], Status="open", user="root")
    run_poll(runtime, instance)
    fake.clock.advance(minutes=5)
    fake.correspond(made["id"], "Any news?", user="alice@example.com")
    run_poll(runtime, instance)
    run_poll(runtime, instance, kind="reconcile")

    assert len(files(api, ref)) == 3
    # Each file fetched once, never the notification's copy, never for a message's text.
    assert sorted(downloads(fake, made["id"])) == ["quote.txt", "receipt.pdf", "screen.png"]


def test_a_file_over_the_limit_is_named_but_never_downloaded(api: Any, runtime: Any,
                                                             rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server, attachment_max_bytes=1000)
    made = server.fake.create_ticket("General", "Conveyor noise")
    server.fake.correspond(made["id"], "Recording and notes", user="root",
                           files=[("noise.wav", "audio/wav", b"x" * 5000), ("notes.txt", "text/plain", b"small")])

    run_poll(runtime, instance)

    ref = only_incident(api)["ref"]
    assert files(api, ref) == [("notes.txt", "public", 5)]
    assert downloads(server.fake, made["id"]) == ["notes.txt"]
    skipped = [entry for entry in audit(api, ref) if entry["action"] == "attachment_skipped"]
    assert len(skipped) == 1 and "noise.wav" in skipped[0]["note"] and "larger than 1000" in skipped[0]["note"]


def test_a_hub_file_reaches_rt_once_by_its_visibility_and_is_not_read_back(
        api: Any, app: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    fake = server.fake
    made = fake.create_ticket("General", "Water on floor", requestor=["bob@example.com"])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    upload(api, ref, "floor.png", PHOTO)
    upload(api, ref, "costs.png", b"internal figures", visibility="internal")
    upload(api, ref, "empty.png", b"")
    drain(app)

    assert hub_files_in_rt(fake, made["id"]) == [
        ("Correspond", "File from the hub: floor.png", "floor.png", PHOTO),
        ("Comment", "File from the hub: costs.png", "costs.png", b"internal figures")]
    assert outbox_details(runtime) == ["floor.png sent with a reply", "costs.png sent with a comment",
                                "empty.png is empty: RT's REST API takes no empty file, so it stays in the hub"]
    (post, _) = fake.received("POST", r"/(correspond|comment)$")
    assert post.json["Attachments"][0]["FileType"] == "image/png"

    fake.update_ticket(made["id"], Status="stalled", user="root")
    run_poll(runtime, instance)
    fake.clock.advance(minutes=5)
    run_poll(runtime, instance)

    assert files(api, ref) == [("floor.png", "public", len(PHOTO)), ("costs.png", "internal", 16),
                               ("empty.png", "public", 0)]
    assert comments(api, ref) == []  # the hub's own replies are not read back either
    assert downloads(fake, made["id"]) == []
    assert only_incident(api)["status"] == "on_hold"


def test_a_lost_upload_answer_uploads_nothing_twice(api: Any, app: Any, runtime: Any,
                                                    rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, timeout_seconds=k)
    made = server.fake.create_ticket("General", "Cracked window")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/correspond$", method="POST")

    upload(api, ref, "window.png", PHOTO)
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    assert [name for _, _, name, _ in hub_files_in_rt(server.fake, made["id"])] == ["window.png"]
    assert len(server.fake.received("POST", r"/correspond$")) == 1
    assert outbox_details(runtime) == [f"window.png already in RT ticket {made['id']} (an earlier answer was lost)"]


def test_two_files_of_one_name_and_size_both_go(api: Any, app: Any, runtime: Any, rt: tuple[Server, int]) -> None:
    server, instance = rt
    made = server.fake.create_ticket("General", "Meter readings")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    upload(api, ref, "reading.png", b"1234")
    drain(app)
    upload(api, ref, "reading.png", b"5678")  # a later reading: same name, same size
    drain(app)

    assert [data for _, _, _, data in hub_files_in_rt(server.fake, made["id"])] == [b"1234", b"5678"]
    assert outbox_details(runtime) == ["reading.png sent with a reply"] * 2


def test_a_file_rt_drops_for_its_size_fails_the_delivery(api: Any, app: Any, runtime: Any,
                                                         rt: tuple[Server, int]) -> None:
    server, instance = rt
    server.fake.max_attachment_size = 1000
    server.fake.drop_long_attachments = True
    made = server.fake.create_ticket("General", "Site survey")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    upload(api, ref, "survey.png", PHOTO)
    drain(app, until=lambda: nothing_pending(runtime))

    (message,) = attachment_messages(runtime)
    assert message.status == "dead"
    assert "did not keep survey.png whole" in (message.last_error or "")
    assert "survey.png.txt of 24 bytes" in (message.last_error or "")
    run_poll(runtime, instance)  # RT's stand-in is the hub's own upload: not read back
    assert files(api, ref) == [("survey.png", "public", len(PHOTO))]
    assert downloads(server.fake, made["id"]) == []


def test_a_hub_file_on_a_ticket_rt_does_not_have_yet(api: Any, app: Any, runtime: Any,
                                                     rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    add_instance(api, server, create_remote=True)
    ref = api.post("/api/v1/incidents", json={"title": "Broken chair", "description": "Room 4"}).json["ref"]
    upload(api, ref, "chair.png", PHOTO)

    drain(app)

    (made,) = server.fake.tickets()
    assert [name for _, _, name, _ in hub_files_in_rt(server.fake, made["id"])] == ["chair.png"]
    assert outbox_details(runtime) == [f"linked to RT ticket {made['id']}; chair.png sent with a reply"]


def test_sync_attachments_off_moves_no_file_either_way(api: Any, app: Any, runtime: Any,
                                                       rt_server: Server) -> None:  # noqa: F811
    server = rt_server
    instance = add_instance(api, server, sync_attachments=False)
    made = server.fake.create_ticket("General", "Noisy fan")
    server.fake.correspond(made["id"], "Listen", user="root", files=[("fan.wav", "audio/wav", b"whirr")])
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    upload(api, ref, "fan-photo.png", PHOTO)
    drain(app)

    assert files(api, ref) == [("fan-photo.png", "public", len(PHOTO))]
    assert comments(api, ref) == [("Listen", "public")]
    assert hub_files_in_rt(server.fake, made["id"]) == []
    assert not server.fake.received(path=r"/attachments$") and downloads(server.fake, made["id"]) == []
    assert outbox_details(runtime) == ["attachments are not synced (sync_attachments is off)"]


def test_a_file_beyond_the_first_page_of_a_busy_ticket_arrives(api: Any, runtime: Any,
                                                                rt: tuple[Server, int]) -> None:
    """RT lists a ticket's attachments and history to the hub's (non-superuser) user with
    ``"pages": null`` and no next_page link: the connector asks for the next page until one
    comes back empty, so a file attached after a hundred parts is still found."""
    server, instance = rt
    fake = server.fake
    made = fake.create_ticket("General", "Printer in room 4", requestor=["gina@example.com"])
    for n in range(110):
        fake.correspond(made["id"], f"Update {n}", user="root")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    fake.comment(made["id"], "The test print", user="root", files=[("print.png", "image/png", PHOTO)])
    run_poll(runtime, instance)

    assert files(api, ref) == [("print.png", "internal", len(PHOTO))]
    assert ("Update 109", "public") in comments(api, ref)
