"""The IMAP connection dropped in the middle of a fetch.

Dovecot kicks the poller's session after the third message of a batch. That run ends with
a retriable error (recorded in the instance's runs); the retry reads the rest: every
message becomes one ticket, is flagged once, and gets one acknowledgement.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors.email import imap
from tests.connectors.email.conftest import add_mailbox as add_mailbox
from tests.connectors.email.conftest import app_config as app_config
from tests.connectors.email.conftest import last_run, poll, ticket_count
from tests.connectors.email.test_durability import assert_each_once, complaint
from tests.support.mail_fixtures import *  # noqa: F403

pytestmark = pytest.mark.imap
MESSAGES = 9


def test_connection_dropped_mid_fetch_loses_and_doubles_nothing(app: Any, api: Any, mailbox: Any, smtp_sink: Any,
                                                                 add_mailbox: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    add_mailbox(mailbox, smtp_sink, batch_size=20)
    for number in range(MESSAGES):
        mailbox.append(complaint(number))
    real_fetch = imap.ImapMailbox.fetch
    dropped: list[int] = []

    def fetch_then_drop(self: Any, uids: list[int], *, max_bytes: int) -> Any:
        for count, fetched in enumerate(real_fetch(self, uids, max_bytes=max_bytes), start=1):
            yield fetched
            if count == 3 and not dropped:
                dropped.append(fetched.uid)
                mailbox.drop_connections()  # the server goes away between two FETCHes

    monkeypatch.setattr(imap.ImapMailbox, "fetch", fetch_then_drop)
    poll(app, api)  # runs the poll job, and its retry after the drop, until nothing is left
    assert dropped, "the drop was never injected"
    runs = api.get("/api/v1/admin/instances/care/runs").json
    broken = [run for run in runs if run["status"] != "ok"]
    assert broken and "IMAP connection broke" in (broken[-1]["error"] or ""), runs
    assert last_run(api)["status"] == "ok"
    assert ticket_count(app) == MESSAGES
    assert_each_once(app, mailbox, smtp_sink, MESSAGES)
