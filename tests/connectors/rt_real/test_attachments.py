"""Files both ways against a real RT 5: as visible as their message, each copied once.

An RT reply's file is public in the hub and an RT comment's internal; RT's notification
copies (EmailRecord transactions, which real RT records for every mail it sends) are not
read as files. A hub file goes out with a reply (public) or a comment (internal), arrives
byte for byte, and is not read back.
"""

from __future__ import annotations

from typing import Any

import pytest

from hub.jobs.polling import run_poll
from tests.connectors.rt.test_sync import comments, only_incident
from tests.connectors.rt_real.remote import RTAgent
from tests.support.attachments import PHOTO, content, files, upload
from tests.support.jobs import drain, nothing_pending
from tests.support.rt_server import RealRT

pytestmark = pytest.mark.rt


def test_files_go_both_ways_as_visible_as_their_message(api: Any, app: Any, runtime: Any, agent: RTAgent,
                                                        queue: str, instance: int, real_rt: RealRT) -> None:
    made = agent.create_ticket(queue, "Cracked screen", requestor=["alice@example.com"], content="See photo",
                               files=[("screen.png", "image/png", PHOTO)])
    agent.correspond(made, "The receipt", files=[("receipt.pdf", "application/pdf", b"%PDF-1.7 receipt")])
    agent.comment(made, "The quote", files=[("quote.txt", "text/plain", b"Repair: 120 EUR")])

    run_poll(runtime, instance)

    ref = only_incident(api)["ref"]
    assert files(api, ref) == [("screen.png", "public", len(PHOTO)), ("receipt.pdf", "public", 16),
                               ("quote.txt", "internal", 15)]
    assert content(api, ref, "screen.png") == PHOTO
    assert comments(api, ref) == [("The receipt", "public"), ("The quote", "internal")]

    upload(api, ref, "wiring.png", PHOTO[::-1], visibility="internal")
    upload(api, ref, "invoice.png", PHOTO, visibility="public")
    drain(app, until=lambda: nothing_pending(runtime))
    run_poll(runtime, instance)
    drain(app, until=lambda: nothing_pending(runtime))

    hub = real_rt.hub_user
    ours = [(kind, name, data) for kind, who, name, data in agent.files(made) if who == hub]
    assert ours == [("Comment", "wiring.png", PHOTO[::-1]), ("Correspond", "invoice.png", PHOTO)]
    assert len(files(api, ref)) == 5  # the hub's own files are not read back as new ones


def test_a_file_after_a_hundred_parts_still_arrives(api: Any, runtime: Any, agent: RTAgent, queue: str,
                                                    instance: int, real_rt: RealRT) -> None:
    """Every message is several attachment rows in RT (its body, a multipart container,
    and the copy of each notification RT mailed, in an EmailRecord), and REST2 lists a
    ticket's attachments with ``"total": null`` and no ``next_page`` to anyone but a
    superuser: a busy ticket's later files must still be found."""
    made = agent.create_ticket(queue, "Printer in room 4", requestor=["gina@example.com"])
    for n in range(30):
        agent.correspond(made, f"Update {n}")
    run_poll(runtime, instance)
    ref = only_incident(api)["ref"]
    # What the hub's user is told: no total, no next page, yet more pages follow (RT drops
    # the rows a user may not see, here the mails' copies, after paging).
    hub = RTAgent(real_rt, real_rt.hub_token)
    first, second = (hub.call("GET", f"/ticket/{made}/attachments", params={"per_page": "100", "page": page}).json()
                     for page in ("1", "2"))
    assert (first["total"], first["pages"], "next_page" in first) == (None, None, False)
    assert second["items"], "expected a second page of attachments"

    agent.comment(made, "The test print", files=[("print.png", "image/png", PHOTO)])
    run_poll(runtime, instance)

    assert files(api, ref) == [("print.png", "internal", len(PHOTO))]
