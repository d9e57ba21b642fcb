"""Files both ways with Jira Cloud, against the REST v3 double over real HTTP.

A Jira file lands on the hub ticket once (however often its issue changes, and after a
reconcile), a file over the limit is named but never downloaded, and a hub file reaches
Jira once: not read back, not uploaded twice after a lost answer, never if it is internal
(a JSM customer sees every attachment), and not at all when the instance does not sync
attachments.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.jobs.polling import run_poll
from hub.models import OutboxMessage, SyncRun
from tests.connectors.jira.test_sync import Server, add_instance, new_issue, only_incident
from tests.connectors.jira.test_sync import app_config as app_config
from tests.connectors.jira.test_sync import jira as jira
from tests.connectors.jira.test_sync import quick_inline_retries as quick_inline_retries
from tests.fakes.fixtures import jira_server  # noqa: F401 - a fixture
from tests.support.attachments import PHOTO, attachment_messages, content, files, upload
from tests.support.jobs import drain, nothing_pending
from tests.support.waiting import pace

DOWNLOADS = r"/rest/api/3/attachment/content/"


def outbox(runtime: Any) -> list[tuple[str, str]]:
    """Each attachment message's status and result."""
    with runtime.db.reading() as session:
        return [(m.status, str((m.result or {}).get("detail"))) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.action == "attachment").order_by(OutboxMessage.id))]


def remote_files(server: Server, key: str) -> list[tuple[str, str, int, bytes]]:
    return [(a["filename"], a["author"], a["size"], a["data"]) for a in server.fake.attachments(key)]


def test_a_jira_file_lands_once_with_its_bytes(api: Any, runtime: Any, jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Scratched door panel")["key"]
    server.fake.add_attachment(key, "panel.png", PHOTO, mime_type="image/png")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    assert files(api, ref) == [("panel.png", "public", len(PHOTO))]
    assert content(api, ref, "panel.png") == PHOTO
    assert "attachment" in server.fake.received("GET", r"/search/jql$")[0].query["fields"][0].split(",")

    server.fake.clock.advance(minutes=2)
    server.fake.update_issue(key, summary="Scratched door panel, lift 2")
    server.fake.add_comment(key, "A second photo follows")
    run_poll(runtime, instance)
    run_poll(runtime, instance, kind="reconcile")
    assert only_incident(api)["title"] == "Scratched door panel, lift 2"
    assert files(api, ref) == [("panel.png", "public", len(PHOTO))]
    assert len(server.fake.received("GET", DOWNLOADS)) == 1  # fetched once, not once per version or reconcile

    server.fake.clock.advance(minutes=2)
    server.fake.add_attachment(key, "panel-2.txt", b"second look", mime_type="text/plain")  # moves `updated`
    result = run_poll(runtime, instance)
    assert result["status"] == "ok", result
    assert files(api, ref) == [("panel.png", "public", len(PHOTO)), ("panel-2.txt", "public", 11)]
    assert len(server.fake.received("GET", DOWNLOADS)) == 2
    assert outbox(runtime) == []  # a file from Jira is not sent back to it


def test_a_file_over_the_limit_is_named_but_never_downloaded(api: Any, runtime: Any,
                                                            jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    instance = add_instance(api, server, attachment_max_bytes=1000)
    key = new_issue(server, "Line 3 video")["key"]
    server.fake.add_attachment(key, "video.mp4", b"x" * 5000, mime_type="video/mp4")
    server.fake.add_attachment(key, "note.txt", b"small", mime_type="text/plain")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    assert files(api, ref) == [("note.txt", "public", 5)]
    (download,) = server.fake.received("GET", DOWNLOADS)
    assert download.path.endswith(f"/{server.fake.attachments(key)[1]['id']}")
    audit = api.get(f"/api/v1/incidents/{ref}/audit?limit=100").json
    skipped = [entry for entry in audit if entry["action"] == "attachment_skipped"]
    assert len(skipped) == 1 and "video.mp4" in skipped[0]["note"] and "larger than 1000" in skipped[0]["note"]


def test_a_hub_file_reaches_jira_once_and_is_not_read_back(api: Any, app: Any, runtime: Any,
                                                           jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Water on floor")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    upload(api, ref, "floor.png", PHOTO)
    upload(api, ref, "costs.png", b"internal figures", visibility="internal")
    drain(app)

    assert remote_files(server, key) == [("floor.png", "hub@example.com", len(PHOTO), PHOTO)]
    assert server.fake.attachments(key)[0]["mime_type"] == "image/png"
    (sent,) = server.fake.received("POST", r"/attachments$")
    assert sent.headers["X-Atlassian-Token"] == "no-check"
    assert sent.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert outbox(runtime) == [
        ("delivered", f"attached floor.png ({server.fake.attachments(key)[0]['id']})"),
        ("delivered", "internal file costs.png kept in the hub: Jira has no internal attachments")]

    run_poll(runtime, instance)
    drain(app)
    with runtime.db.reading() as session:
        # The first version, and the one the upload made, with the hub's own file on it.
        assert sum(session.scalars(select(SyncRun.fetched))) == 2
    assert files(api, ref) == [("floor.png", "public", len(PHOTO)), ("costs.png", "internal", 16)]
    assert server.fake.received("GET", DOWNLOADS) == []
    assert len(outbox(runtime)) == 2 and len(server.fake.attachments(key)) == 1


def test_a_lost_upload_answer_uploads_nothing_twice(api: Any, app: Any, runtime: Any,
                                                    jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, timeout_seconds=k)
    key = new_issue(server, "Cracked window")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    # The file is stored in Jira, but the answer comes after the connector gave up.
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths=r"/attachments$", method="POST")

    upload(api, ref, "window.png", PHOTO)
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    (remote,) = server.fake.attachments(key)
    assert (remote["filename"], remote["data"]) == ("window.png", PHOTO)
    assert len(server.fake.received("POST", r"/attachments$")) == 1
    assert outbox(runtime) == [("delivered", f"window.png already attached ({remote['id']})")]


def test_a_hub_file_of_a_ticket_jira_lacks_goes_with_the_new_issue(api: Any, app: Any, runtime: Any,
                                                                    jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    add_instance(api, server, create_remote=True)
    ref = api.post("/api/v1/incidents", json={"title": "Projector dead in room 4"}).json["ref"]
    upload(api, ref, "projector.png", PHOTO)
    drain(app, until=lambda: nothing_pending(runtime), timeout=30)

    (issue,) = server.fake.issues()
    assert issue["labels"] == [f"itsm-hub-{ref}"]
    assert remote_files(server, issue["key"]) == [("projector.png", "hub@example.com", len(PHOTO), PHOTO)]


def test_a_file_larger_than_jira_takes_stays_in_the_hub(api: Any, app: Any, runtime: Any,
                                                        jira: tuple[Server, int]) -> None:
    server, instance = jira
    key = new_issue(server, "Scanner output garbled")["key"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.set_attachment_limit(1000)

    upload(api, ref, "scan.png", PHOTO)
    drain(app)

    assert server.fake.attachments(key) == []
    (message,) = attachment_messages(runtime)
    assert (message.status, message.last_error) == (
        "dead", f"fatal: scan.png kept in the hub: larger than Jira's attachment size limit ({len(PHOTO)} bytes)")
    assert files(api, ref) == [("scan.png", "public", len(PHOTO))]


def test_sync_attachments_off_moves_no_file_either_way(api: Any, app: Any, runtime: Any,
                                                       jira_server: Server) -> None:  # noqa: F811
    server = jira_server
    instance = add_instance(api, server, sync_attachments=False)
    key = new_issue(server, "Noisy fan")["key"]
    server.fake.add_attachment(key, "fan.wav", b"whirr", mime_type="audio/wav")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    upload(api, ref, "fan-photo.png", PHOTO)
    drain(app)

    assert files(api, ref) == [("fan-photo.png", "public", len(PHOTO))]
    assert [a["filename"] for a in server.fake.attachments(key)] == ["fan.wav"]
    assert not [r for r in server.fake.received() if "attachment" in r.path]
    assert "attachment" not in server.fake.received("GET", r"/search/jql$")[0].query["fields"][0].split(",")
    assert outbox(runtime) == [("delivered", "attachments are not synced")]
