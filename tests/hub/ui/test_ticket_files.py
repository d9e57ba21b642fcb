"""Files on the pages: every channel's on the agent's ticket page, uploads with a comment,
previews only for types that run nothing, public ones (only) on the requester's status page."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask

from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket
from tests.hub.ui.conftest import open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["ATTACHMENT_MAX_BYTES"] = 20_000
    return app_config


def file_ids(html: str, ref: str) -> list[int]:
    return sorted({int(n) for n in re.findall(rf"/tickets/{ref}/files/(\d+)", html)})


def test_files_uploaded_with_a_comment_are_listed_previewed_and_downloaded(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app, title="Pump 3 leaks", requester_email="r@example.org")
    response = agent.post(f"/tickets/{ref}/files", {
        "files": [(io.BytesIO(PNG), "leak.png", "image/png"), (io.BytesIO(PDF), "manual.pdf", "application/pdf"),
                  (io.BytesIO(b"<svg onload=alert(1)>"), "trap.svg", "image/svg+xml")],
        "body": "Photos of the leak and the manual.", "visibility": "public"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tickets/{ref}#files")
    page = agent.text(f"/tickets/{ref}")
    assert "Added 3 files with a comment; the requester sees them." in page
    assert "Photos of the leak and the manual." in page  # the comment is on the timeline
    png, pdf, svg = file_ids(page, ref)
    assert f'<img src="/tickets/{ref}/files/{png}?view=1"' in page and 'alt="leak.png"' in page
    # The photo's thumbnail (a link around an image) and "view" link, the PDF's "view" link; never the SVG.
    assert page.count("?view=1") == 4 and f"/files/{svg}?view=1" not in page

    shown = agent.get(f"/tickets/{ref}/files/{png}?view=1")
    assert shown.mimetype == "image/png" and shown.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in shown.headers["Content-Security-Policy"] and shown.data == PNG
    viewed = agent.get(f"/tickets/{ref}/files/{pdf}?view=1")
    assert viewed.mimetype == "application/pdf"
    assert "frame-ancestors 'none'" in viewed.headers["Content-Security-Policy"]
    for file_id in (svg, png):  # a type that can run script is only ever a download; so is any plain download
        down = agent.get(f"/tickets/{ref}/files/{file_id}" + ("?view=1" if file_id == svg else ""))
        assert down.mimetype == "application/octet-stream"
        assert down.headers["Content-Disposition"].startswith("attachment")


def test_a_refused_file_is_a_readable_message_and_nothing_is_kept(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app)
    response = agent.post(f"/tickets/{ref}/files", {"files": (io.BytesIO(b"x" * 30_000), "big.jpg", "image/jpeg"),
                                                    "body": "Too big?", "visibility": "public"}, follow=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "big.jpg: larger than 20000 bytes." in html
    assert "No files yet." in html and "Too big?" not in html  # the comment went with the refused file
    empty = agent.post(f"/tickets/{ref}/files", {"visibility": "public"}, follow=True)
    assert "Choose at least one file." in empty.get_data(as_text=True)
    odd = agent.post(f"/tickets/{ref}/files", {"files": (io.BytesIO(PNG), "a.png", "image/png"),
                                               "visibility": "everyone"}, follow=True)
    assert "Must be public or internal." in odd.get_data(as_text=True)


def test_the_requester_sees_public_files_only_through_the_status_link(app: Flask, as_role: Any) -> None:
    agent = as_role("agent")
    ref = open_ticket(app, title="Broken window", requester_email="r@example.org")
    agent.post(f"/tickets/{ref}/files", {"files": (io.BytesIO(PNG), "window.png", "image/png"),
                                         "visibility": "public"})
    agent.post(f"/tickets/{ref}/files", {"files": (io.BytesIO(PDF), "quote-internal.pdf", "application/pdf"),
                                         "visibility": "internal"})
    public_id, internal_id = file_ids(agent.text(f"/tickets/{ref}"), ref)
    with app.extensions["hub"].db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
    guest = app.test_client()
    page = guest.get(f"/s/{token}").get_data(as_text=True)
    assert "window.png" in page and "quote-internal.pdf" not in page
    assert f'<img src="/s/{token}/files/{public_id}?view=1"' in page
    shown = guest.get(f"/s/{token}/files/{public_id}?view=1")
    assert shown.status_code == 200 and shown.data == PNG
    assert shown.headers["Cache-Control"] == "no-store" and shown.headers["Referrer-Policy"] == "no-referrer"
    assert guest.get(f"/s/{token}/files/{internal_id}").status_code == 404
    assert guest.get(f"/s/not-a-token/files/{public_id}").status_code == 404
    assert guest.get(f"/tickets/{ref}/files/{public_id}").status_code in (302, 401, 403)  # the agents' route


def test_files_from_a_connector_show_their_channel(app: Flask, as_role: Any) -> None:
    from sqlalchemy import select

    from hub.models import ConnectorInstance, InboundEvent
    from hub.tracker.attachments import store_attachment

    ref = open_ticket(app, title="From the web form")
    with app.extensions["hub"].db.transaction() as session:
        instance = ConnectorInstance(slug="guest-form", name="Guest feedback form", connector="webform", config={})
        session.add(instance)
        session.flush()
        event = InboundEvent(instance_id=instance.id, idempotency_key="k1", payload={})
        session.add(event)
        session.flush()
        store_attachment(session, ticket=get_ticket(session, ref), filename="stain.jpg", content_type="image/jpeg",
                         data=b"\xff\xd8\xff" + b"\x00" * 20, event_id=event.id)
        assert session.scalar(select(InboundEvent.id)) == event.id
    page = as_role("agent").text(f"/tickets/{ref}")
    assert "stain.jpg" in page and "via Guest feedback form" in page
