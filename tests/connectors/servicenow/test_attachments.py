"""Files both ways with ServiceNow, against the double's Attachment API over real HTTP.

A remote file lands on the hub ticket once (however often its record changes, and after
a reconcile), a file attached later is found though its record does not change, a file
over the limit is named but never downloaded, and a hub file reaches ServiceNow once:
not read back, not uploaded twice after a lost answer, and never if it is internal.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from hub.jobs.polling import run_poll
from hub.models import Attachment, AttachmentBlob, OutboxMessage
from tests.connectors.servicenow.test_sync import Server, add_instance, only_incident
from tests.connectors.servicenow.test_sync import app_config as app_config
from tests.connectors.servicenow.test_sync import sn as sn
from tests.fakes.fixtures import servicenow_server  # noqa: F401 - a fixture
from tests.support.attachments import PHOTO, content, files, outbox_details, upload
from tests.support.jobs import drain
from tests.support.waiting import pace


def test_a_remote_file_lands_once_with_its_bytes(api: Any, runtime: Any, sn: tuple[Server, int]) -> None:
    server, instance = sn
    sys_id = server.fake.create_record("incident", short_description="Scratched door panel")["sys_id"]
    server.fake.attachments.attach("incident", sys_id, "panel.png", PHOTO, content_type="image/png")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    assert files(api, ref) == [("panel.png", "public", len(PHOTO))]
    assert content(api, ref, "panel.png") == PHOTO

    server.fake.update_record("incident", sys_id, state="2", comments="On it")
    run_poll(runtime, instance)
    run_poll(runtime, instance, kind="reconcile")
    assert files(api, ref) == [("panel.png", "public", len(PHOTO))]
    assert len(server.fake.attachments.downloads) == 1  # fetched once, not once per version or reconcile


def test_a_file_attached_later_is_found_though_its_record_does_not_change(
        api: Any, runtime: Any, sn: tuple[Server, int]) -> None:
    server, instance = sn
    sys_id = server.fake.create_record("incident", short_description="Broken lamp in lobby")["sys_id"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    before = server.fake.record("incident", sys_id)

    server.fake.clock.advance(minutes=5)
    server.fake.attachments.attach("incident", sys_id, "lamp.jpg", b"jpeg bytes", content_type="image/jpeg")
    assert server.fake.record("incident", sys_id)["sys_updated_on"] == before["sys_updated_on"]
    result = run_poll(runtime, instance)
    assert result["status"] == "ok", result
    assert files(api, ref) == [("lamp.jpg", "public", 10)]
    assert only_incident(api)["status"] == "new"  # the re-sent record changed no field

    again = run_poll(runtime, instance)
    assert again["fetched"] == 0 and files(api, ref) == [("lamp.jpg", "public", 10)]
    # A page of repeats asks for no files: an empty IN list would match every file there is.
    asked = [r.query.get("sysparm_query", [""])[0] for r in server.fake.received() if r.path == "/api/now/attachment"]
    assert asked and "table_sys_idIN" not in asked


def test_a_file_over_the_limit_is_named_but_never_downloaded(api: Any, runtime: Any, servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    server.fake.user_timezone = "UTC"
    instance = add_instance(api, server, attachment_max_bytes=1000)
    sys_id = server.fake.create_record("incident", short_description="Line 3 video")["sys_id"]
    server.fake.attachments.attach("incident", sys_id, "video.mp4", b"x" * 5000, content_type="video/mp4")
    server.fake.attachments.attach("incident", sys_id, "note.txt", b"small", content_type="text/plain")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    assert files(api, ref) == [("note.txt", "public", 5)]
    assert len(server.fake.attachments.downloads) == 1
    audit = api.get(f"/api/v1/incidents/{ref}/audit?limit=100").json
    skipped = [entry for entry in audit if entry["action"] == "attachment_skipped"]
    assert len(skipped) == 1 and "video.mp4" in skipped[0]["note"] and "larger than 1000" in skipped[0]["note"]


def test_a_hub_file_reaches_servicenow_once_and_is_not_read_back(
        api: Any, app: Any, runtime: Any, sn: tuple[Server, int]) -> None:
    server, instance = sn
    sys_id = server.fake.create_record("incident", short_description="Water on floor")["sys_id"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]

    upload(api, ref, "floor.png", PHOTO)
    upload(api, ref, "costs.png", b"internal figures", visibility="internal")
    drain(app)

    (remote,) = server.fake.attachments.of(sys_id)
    assert (remote["file_name"], remote["size_bytes"], remote["content_type"]) == ("floor.png", str(len(PHOTO)),
                                                                                  "image/png")
    assert server.fake.attachments.file(remote["sys_id"]) == PHOTO
    assert outbox_details(runtime)[1].startswith("internal file costs.png kept in the hub")

    server.fake.update_record("incident", sys_id, state="2")
    run_poll(runtime, instance)
    server.fake.clock.advance(minutes=5)
    run_poll(runtime, instance)
    assert files(api, ref) == [("floor.png", "public", len(PHOTO)), ("costs.png", "internal", 16)]
    assert server.fake.attachments.downloads == []


def test_a_lost_upload_answer_uploads_nothing_twice(api: Any, app: Any, runtime: Any,
                                                    servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    server.fake.user_timezone = "UTC"
    k = pace()  # timings below stretch together on a crowded machine
    instance = add_instance(api, server, timeout_seconds=k)
    sys_id = server.fake.create_record("incident", short_description="Cracked window")["sys_id"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    server.fake.fail_next(kind="timeout", delay=2.0 * k, paths="/api/now/attachment/file$", method="POST")

    upload(api, ref, "window.png", PHOTO)
    drain(app, timeout=30)

    (remote,) = server.fake.attachments.of(sys_id)
    assert remote["file_name"] == "window.png"
    assert outbox_details(runtime) == [f"window.png already attached ({remote['sys_id']})"]


def test_sync_attachments_off_moves_no_file_either_way(api: Any, app: Any, runtime: Any,
                                                       servicenow_server: Server) -> None:  # noqa: F811
    server = servicenow_server
    server.fake.user_timezone = "UTC"
    instance = add_instance(api, server, sync_attachments=False)
    sys_id = server.fake.create_record("incident", short_description="Noisy fan")["sys_id"]
    server.fake.attachments.attach("incident", sys_id, "fan.wav", b"whirr", content_type="audio/wav")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    upload(api, ref, "fan-photo.png", PHOTO)
    drain(app)

    assert files(api, ref) == [("fan-photo.png", "public", len(PHOTO))]
    assert [row["file_name"] for row in server.fake.attachments.of(sys_id)] == ["fan.wav"]
    assert not [r for r in server.fake.received() if "/attachment" in r.path]


def test_a_file_removed_before_delivery_is_given_up_with_a_reason(api: Any, app: Any, runtime: Any,
                                                                  sn: tuple[Server, int]) -> None:
    server, instance = sn
    sys_id = server.fake.create_record("incident", short_description="Wrong label printed")["sys_id"]
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    uploaded = upload(api, ref, "label.png", PHOTO)
    with runtime.db.transaction() as session:  # an operator purged it while the remote was down
        session.execute(delete(Attachment).where(Attachment.id == uploaded["id"]))
        session.execute(delete(AttachmentBlob).where(AttachmentBlob.sha256 == uploaded["sha256"]))
    drain(app)

    with runtime.db.reading() as session:
        (message,) = session.scalars(select(OutboxMessage).where(OutboxMessage.action == "attachment"))
        assert (message.status, message.last_error) == ("dead", "The attachment is no longer kept.")
    assert server.fake.attachments.of(sys_id) == []
