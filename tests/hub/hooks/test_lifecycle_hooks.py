"""ticket_created, ticket_updated, status_changed, comment_added, attachment_added, occurrence_recorded."""

from __future__ import annotations

import io
from typing import Any

from hub.hookspecs import hookimpl
from hub.sdk.values import AttachmentInfo, CommentInfo, TicketInfo
from tests.support.plugin_fixtures import post_event, token_instance


class Listener:
    name = "listener"

    def __init__(self, recorder: Any) -> None:
        self.record = recorder

    @hookimpl
    def ticket_created(self, ticket: TicketInfo, actor: Any, session: Any) -> None:
        self.record("ticket_created", ticket=ticket, actor=actor, session=session)

    @hookimpl
    def ticket_updated(self, ticket: TicketInfo, changes: dict[str, Any], actor: Any) -> None:
        self.record("ticket_updated", ticket=ticket, changes=changes, actor=actor)

    @hookimpl
    def status_changed(self, ticket: TicketInfo, old: str, new: str, actor: Any) -> None:
        self.record("status_changed", ticket=ticket, old=old, new=new, actor=actor)

    @hookimpl
    def comment_added(self, ticket: TicketInfo, comment: CommentInfo, actor: Any) -> None:
        self.record("comment_added", ticket=ticket, comment=comment, actor=actor)

    @hookimpl
    def attachment_added(self, ticket: TicketInfo, attachment: AttachmentInfo, actor: Any) -> None:
        self.record("attachment_added", ticket=ticket, attachment=attachment, actor=actor)

    @hookimpl
    def occurrence_recorded(self, ticket: TicketInfo, event: Any, reason: str) -> None:
        self.record("occurrence_recorded", ticket=ticket, event=event, reason=reason)


def test_hook_ticket_created(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    api = request.getfixturevalue("api")
    ref = api.post("/api/v1/incidents", json={"title": "Leak", "impact": "high"}).json["ref"]
    (call,) = recorder.of("ticket_created")
    assert isinstance(call["ticket"], TicketInfo)
    assert (call["ticket"].ref, call["ticket"].priority, call["actor"].name) == (ref, 2, "alice")
    assert call["session"] is not None


def test_hook_ticket_updated(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    api = request.getfixturevalue("api")
    ref = api.post("/api/v1/incidents", json={"title": "Leak"}).json["ref"]
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Leak in room 12", "urgency": "high"})
    api.patch(f"/api/v1/incidents/{ref}", json={"title": "Leak in room 12"})  # no change, no call
    (call,) = recorder.of("ticket_updated")
    assert call["changes"] == {"title": ("Leak", "Leak in room 12"), "urgency": ("medium", "high"),
                               "priority": (3, 2)}
    assert call["actor"].origin == "api"


def test_hook_status_changed(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    api = request.getfixturevalue("api")
    ref = api.post("/api/v1/incidents", json={"title": "Leak"}).json["ref"]
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "acknowledged"})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "closed"})  # illegal: no call
    calls = recorder.of("status_changed")
    assert [(c["old"], c["new"]) for c in calls] == [("new", "acknowledged")]
    assert calls[0]["ticket"].status == "acknowledged"


def test_hook_comment_added(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    api = request.getfixturevalue("api")
    ref = api.post("/api/v1/incidents", json={"title": "Leak"}).json["ref"]
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Plumber called", "visibility": "internal"})
    (call,) = recorder.of("comment_added")
    assert isinstance(call["comment"], CommentInfo)
    assert (call["comment"].body, call["comment"].visibility) == ("Plumber called", "internal")


def test_hook_attachment_added(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    api = request.getfixturevalue("api")
    ref = api.post("/api/v1/incidents", json={"title": "Leak"}).json["ref"]
    uploaded = api.client.post(f"/api/v1/incidents/{ref}/attachments", data={
        "file": (io.BytesIO(b"a photo"), "leak.jpg", "image/jpeg"), "visibility": "internal"},
        headers={"Authorization": f"Bearer {api.token}"}, content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    (call,) = recorder.of("attachment_added")
    assert isinstance(call["attachment"], AttachmentInfo)
    assert (call["ticket"].ref, call["attachment"].id, call["attachment"].filename, call["attachment"].size,
            call["attachment"].visibility, call["actor"].name) == (ref, uploaded.json["id"], "leak.jpg", 7,
                                                                   "internal", "alice")
    assert call["attachment"].sha256 == uploaded.json["sha256"]


def test_hook_occurrence_recorded(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api, dedup_key="{machine}")
    post_event(app, secret, {"title": "Jam", "machine": "filler-2"})
    post_event(app, secret, {"title": "Jam again", "machine": "filler-2"})
    (call,) = recorder.of("occurrence_recorded")
    assert call["ticket"].occurrence_count == 2
    assert "same correlation key 'filler-2'" in call["reason"]
    assert call["event"].payload["title"] == "Jam again"


def test_lifecycle_hooks_see_connector_origin(with_plugins: Any, recorder: Any, request: Any) -> None:
    with_plugins(Listener(recorder))
    app, api = request.getfixturevalue("app"), request.getfixturevalue("api")
    secret = token_instance(api)
    post_event(app, secret, {"title": "From the feed"})
    (call,) = recorder.of("ticket_created")
    assert call["actor"].origin == "connector:feed" and call["actor"].instance_id is not None
