"""Files on hub tickets, as the sync connectors' attachment tests read and add them."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from hub.models import OutboxMessage

PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
"""A small binary file: every byte value, so any text mangling on the way shows."""


def files(api: Any, ref: str) -> list[tuple[str, str, int]]:
    """(filename, visibility, size) of each file on the ticket, oldest first."""
    return [(a["filename"], a["visibility"], a["size"]) for a in api.get(f"/api/v1/incidents/{ref}/attachments").json]


def content(api: Any, ref: str, name: str) -> bytes:
    (found,) = [a for a in api.get(f"/api/v1/incidents/{ref}/attachments").json if a["filename"] == name]
    return bytes(api.get(f"/api/v1/incidents/{ref}/attachments/{found['id']}").data)


def upload(api: Any, ref: str, name: str, data: bytes, visibility: str = "public") -> Any:
    """Attach a file through the API, as an agent would; returns the stored attachment."""
    response = api.client.post(f"/api/v1/incidents/{ref}/attachments",
                               data={"file": (io.BytesIO(data), name, "image/png"), "visibility": visibility},
                               headers={"Authorization": f"Bearer {api.token}"}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json


def attachment_messages(runtime: Any) -> list[OutboxMessage]:
    """The outbox's ``attachment`` messages, oldest first."""
    with runtime.db.reading() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.action == "attachment")
                                    .order_by(OutboxMessage.id)))


def outbox_details(runtime: Any) -> list[str]:
    """What each ``attachment`` delivery reported."""
    return [str((message.result or {}).get("detail")) for message in attachment_messages(runtime)]
