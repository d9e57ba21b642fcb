"""hub.sdk.sync's file helpers: the raw-event form of a remote file, what a poll fetches,
and what an ``attachment`` message sends."""

from __future__ import annotations

from typing import Any

from hub.sdk.sync import AttachmentSettings, RemoteAttachment, SyncConnector, outbound_file
from hub.sdk.values import Attachment, InstanceInfo, OutboundMessage


class Remote(SyncConnector):
    slug = "remote"
    config_schema = AttachmentSettings


def connector(**config: Any) -> Remote:
    instance = InstanceInfo(id=1, slug="r", name="R", connector="remote", enabled=True, department=None, config={})
    return Remote(instance=instance, config=AttachmentSettings().load(config), state={})


def test_a_remote_file_survives_the_raw_event_unchanged() -> None:
    item = RemoteAttachment(id="7", filename="plan.pdf", content_type="application/pdf", size=3,
                            visibility="internal", author="ann", data=b"\x00\xffA")
    again = RemoteAttachment.load(item.dump())
    assert again == item
    assert RemoteAttachment.load({"id": 8, "filename": "", "size": "12", "visibility": "secret"}) == RemoteAttachment(
        id="8", filename="attachment", size=12, visibility="public")


def test_content_that_is_not_base64_becomes_a_refusal_not_an_error() -> None:
    item = RemoteAttachment.load({"id": "1", "filename": "a.txt", "content": "not base64!"})
    assert item.data is None and item.refused == "its content in the event is not valid base64"


def test_a_poll_fetches_each_file_once_and_never_one_over_the_limit() -> None:
    remote = connector(attachment_max_bytes=10)
    fetched: list[str] = []

    def download(item: RemoteAttachment) -> bytes:
        fetched.append(item.id)
        return {"a": b"small", "c": b"grew past ten bytes"}[item.id]

    shipped = ["old"]
    found = [RemoteAttachment("a", "a.txt", size=5), RemoteAttachment("b", "big.bin", size=11),
             RemoteAttachment("c", "c.txt"), RemoteAttachment("old", "seen.txt", size=1)]
    sent = remote.ship_attachments(found, download, shipped)

    assert fetched == ["a", "c"]  # b's size was known: never downloaded
    assert [(item["id"], item["refused"]) for item in sent] == [
        ("a", None), ("b", "larger than 10 bytes (11)"), ("c", "larger than 10 bytes")]
    assert RemoteAttachment.load(sent[0]).data == b"small" and sent[2]["content"] is None
    assert shipped == ["old", "a", "b", "c"]
    assert remote.ship_attachments(found, download, shipped) == [] and fetched == ["a", "c"]


def test_files_off_ships_nothing_and_a_reconcile_keeps_what_was_fetched() -> None:
    assert connector(sync_attachments=False).ship_attachments(
        [RemoteAttachment("a", "a.txt")], lambda item: b"x", []) == []
    state = {"cursor": "2026-11-01", "attachments_shipped": ["a", "b"]}
    assert connector().reconcile_state(state) == {"attachments_shipped": ["a", "b"]}


def test_outbound_file_is_the_message_s_file_and_its_visibility() -> None:
    file = Attachment(filename="a.png", content_type="image/png", data=b"png")

    def message(action: str, files: list[Attachment], visibility: str = "internal") -> OutboundMessage:
        return OutboundMessage(id=1, action=action, payload={"attachment": {"visibility": visibility}},
                               idempotency_key="k", attempt=1, ticket=None, link=None, files=files)

    assert outbound_file(message("attachment", [file])) == (file, "internal")
    assert outbound_file(message("attachment", [file], "public")) == (file, "public")
    assert outbound_file(message("comment", [file])) is None
    assert outbound_file(message("attachment", [])) is None
