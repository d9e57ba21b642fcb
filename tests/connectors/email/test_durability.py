"""A poller that dies (mid-batch, or between saving and marking) loses nothing and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.email.conftest import HUB_ADDRESS, events, last_run, poll, ticket_count
from tests.support.waiting import scaled

pytestmark = pytest.mark.imap

CHILD = """
import json, os, sys, time
from hub import create_app
from hub.jobs import polling
from connectors.email.imap import ImapMailbox

config = json.loads(os.environ["MAIL_TEST_CONFIG"])
config["PLUGINS"] = [tuple(item) for item in config["PLUGINS"]]
app = create_app(config)
where, after = os.environ["MAIL_TEST_STOP"].split(":")
calls = {"n": 0}

def stop_here():
    calls["n"] += 1
    if calls["n"] == int(after):
        open(os.environ["MAIL_TEST_MARKER"], "w").write("stopped")
        time.sleep(120)  # killed here

if where == "ingest":
    real_ingest = polling.ingest
    def ingest(**kwargs):
        stop_here()
        return real_ingest(**kwargs)
    polling.ingest = ingest
else:
    real_mark = ImapMailbox.mark_processed
    def mark(self, uids):
        if uids:
            stop_here()
        return real_mark(self, uids)
    ImapMailbox.mark_processed = mark
with app.app_context():
    print(polling.run_poll(app.extensions["hub"], int(sys.argv[1])))
"""


def complaint(number: int) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = f"customer{number}@example.org", HUB_ADDRESS
    message["Subject"], message["Message-ID"] = f"Complaint {number}", f"<complaint-{number}@example.org>"
    message.set_content(f"Problem number {number}.")
    return bytes(message)


def instance_id(app: Any, slug: str = "care") -> int:
    from hub.plugins.instances import get_instance

    with app.extensions["hub"].db.reading() as session:
        return get_instance(session, slug).id


def titles(app: Any) -> list[str]:
    from sqlalchemy import select

    from hub.models import Ticket

    with app.extensions["hub"].db.reading() as session:
        return sorted(session.scalars(select(Ticket.title)))


def assert_each_once(app: Any, mailbox: Any, smtp_sink: Any, count: int) -> None:
    assert titles(app) == sorted(f"Complaint {n}" for n in range(count))
    assert set(mailbox.flags().values()) == {frozenset({r"\Seen"})}
    keys = [event["key"] for event in events(app)]
    assert len(keys) == len(set(keys)) == count
    smtp_sink.wait_for(count)
    time.sleep(0.2)
    assert sorted(m.rcpt_tos[0] for m in smtp_sink.messages) == sorted(f"customer{n}@example.org"
                                                                        for n in range(count))


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["ingest:4", "mark:2"], ids=["mid-batch", "after-commit-before-flag"])
def test_kill_9_of_the_poller_then_restart_loses_and_doubles_nothing(
        app: Any, app_config: dict[str, Any], api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any,
        tmp_path: Path, stop: str) -> None:
    add_mailbox(mailbox, smtp_sink, batch_size=3)
    for number in range(8):
        mailbox.append(complaint(number))
    ident = instance_id(app)
    marker = tmp_path / "stopped"
    env = {**os.environ, "MAIL_TEST_CONFIG": json.dumps(app_config), "MAIL_TEST_STOP": stop,
           "MAIL_TEST_MARKER": str(marker)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ident)], env=env, cwd=str(Path.cwd()),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + scaled(60)
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the child poller never reached the stop point"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate(timeout=30)
    # Mid-batch: only the first batch was saved. After commit: two batches saved, one marked.
    assert ticket_count(app) == (3 if stop.startswith("ingest") else 6)
    assert sum(1 for flags in mailbox.flags().values() if flags) == 3
    # The dead poller's lease would expire after LOCK_SECONDS; let the restart have it now.
    from hub.jobs.polling import lock_key

    runtime = app.extensions["hub"]
    runtime.redis.delete(lock_key(runtime, ident))
    poll(app, api)
    assert last_run(api)["status"] == "ok"
    assert_each_once(app, mailbox, smtp_sink, 8)


def test_crash_between_commit_and_flag_then_a_lost_cursor(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                        add_mailbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.email.imap import ImapMailbox

    add_mailbox(mailbox, smtp_sink, batch_size=2)
    for number in range(5):
        mailbox.append(complaint(number))
    real = ImapMailbox.mark_processed

    def crash(self: Any, uids: list[int]) -> None:
        if uids:
            raise RuntimeError("power cut")

    monkeypatch.setattr(ImapMailbox, "mark_processed", crash)
    poll(app, api)
    assert last_run(api)["status"] == "failed" and "power cut" in last_run(api)["error"]
    assert ticket_count(app) == 2 and not any(mailbox.flags().values())

    monkeypatch.setattr(ImapMailbox, "mark_processed", real)
    poll(app, api)
    assert_each_once(app, mailbox, smtp_sink, 5)

    # Even with the cursor lost and every message unread again, Message-IDs make them duplicates.
    from hub.models import ConnectorInstance

    with app.extensions["hub"].db.transaction() as session:
        session.get(ConnectorInstance, instance_id(app)).state = {}
    for uid in mailbox.flags():
        mailbox.store_flags(uid, [r"\Seen"], mode="-")
    poll(app, api)
    run = last_run(api)
    assert (run["fetched"], run["created"], run["skipped"]) == (5, 0, 5)
    assert_each_once(app, mailbox, smtp_sink, 5)


def test_uidvalidity_change_rereads_without_doubling(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                     add_mailbox: Any) -> None:
    add_mailbox(mailbox, smtp_sink)
    for number in range(3):
        mailbox.append(complaint(number))
    poll(app, api)
    mailbox.reset_uidvalidity()
    mailbox.store_flags(1, [r"\Seen"], mode="-")  # a person marked one unread again
    mailbox.append(complaint(3))
    poll(app, api)
    assert_each_once(app, mailbox, smtp_sink, 4)


def test_move_to_a_processed_folder(app: Any, api: Any, mailbox: Any, smtp_sink: Any, add_mailbox: Any) -> None:
    add_mailbox(mailbox, smtp_sink, processed_action="move", processed_folder="Done/Tickets ü")
    for number in range(3):
        mailbox.append(complaint(number))
    poll(app, api)
    assert mailbox.messages() == []
    assert len(mailbox.messages("Done/Tickets ü")) == 3
    assert ticket_count(app) == 3


def test_implicit_tls_check_and_refused_password(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                 add_mailbox: Any) -> None:
    add_mailbox(mailbox, smtp_sink, security="tls", port=mailbox.tls_port)
    mailbox.append(complaint(0))
    checked = api.post("/api/v1/admin/instances/care/test").json
    assert checked["ok"] is True and "1 unread" in checked["detail"], checked
    poll(app, api)
    assert ticket_count(app) == 1
    add_mailbox(mailbox, smtp_sink, slug="wrong", password="not-the-password")
    poll(app, api, "wrong")
    run = last_run(api, "wrong")
    assert run["status"] == "failed" and run["error"].startswith("authentication")
