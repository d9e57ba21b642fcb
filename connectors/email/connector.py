"""The email connector: one IMAP mailbox in, acknowledgements and updates out by SMTP.

Polling keeps a cursor of (UIDVALIDITY, last UID). Messages are stored in batches; each
batch is committed with its cursor (a Checkpoint) before the batch is marked processed
on the server, so a crash never loses mail. A crash after the commit and before the
marking leaves the batch's UIDs in the cursor (``unmarked``); the next poll marks them
first. Should a message come again anyway (a reset folder, a new UIDVALIDITY), its
Message-ID is the event's idempotency key and it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.email.config import EmailConfig
from connectors.email.imap import ImapMailbox
from connectors.email.outbound import MailSender
from connectors.email.reading import event_key, read_mail
from hub.sdk import (
    Checkpoint,
    EventInfo,
    PollingSource,
    PollResult,
    RawEvent,
    TicketDraft,
)


class EmailConnector(PollingSource, MailSender):
    slug = "email"
    title = "Email (IMAP and SMTP)"
    version = "1.0.0"
    description = ("Reads a mailbox over IMAP: new mail opens tickets, replies land on their ticket, automatic "
                   "mail and bounces open nothing. Sends acknowledgements and updates over SMTP.")
    config_schema = EmailConfig
    default_poll_interval = 60

    # -- reading -------------------------------------------------------------------------

    def check_connection(self) -> str:
        with ImapMailbox(self.config) as box:
            found = box.search_new(0, unseen_only=True)
            return (f"{self.config['username']}@{self.config['host']}: folder {self.config['folder']} "
                    f"(UIDVALIDITY {box.uidvalidity}, {len(found)} unread)")

    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint | PollResult]:
        with ImapMailbox(self.config) as box:
            validity = box.uidvalidity
            same = int(state.get("uidvalidity") or 0) == validity and validity != 0
            last = int(state.get("last_uid") or 0) if same else 0
            unmarked = [int(uid) for uid in state.get("unmarked") or []] if same else []
            if unmarked:
                box.mark_processed(unmarked)  # saved by a poll that stopped before marking them
                yield Checkpoint(self._cursor(validity, last, []))
            # Without a cursor for this UIDVALIDITY every UID is new to us; in flag-seen mode
            # only unseen mail is taken (read mail was there before the hub, or was handled).
            first_look = not same and self.config["processed_action"] == "flag-seen"
            uids = box.search_new(last, unseen_only=first_look)
            if not same and not uids:
                yield Checkpoint(self._cursor(validity, last, []))
            size = int(self.config["batch_size"])
            for start in range(0, len(uids), size):
                batch = uids[start:start + size]
                fetched = []
                for item in box.fetch(batch, max_bytes=int(self.config["max_message_bytes"])):
                    key, summary = event_key(item.raw)
                    fetched.append(item.uid)
                    yield RawEvent(idempotency_key=key, body=item.raw, content_type="message/rfc822",
                                   payload=summary or None,
                                   meta={"uid": item.uid, "uidvalidity": validity, "folder": self.config["folder"],
                                         "size": item.size, "whole": item.whole})
                last = max(batch)
                # The framework commits the events above with this cursor before it asks for more.
                yield Checkpoint(self._cursor(validity, last, fetched))
                box.mark_processed(fetched)
                yield Checkpoint(self._cursor(validity, last, []))

    @staticmethod
    def _cursor(validity: int, last: int, unmarked: list[int]) -> dict[str, Any]:
        return {"uidvalidity": validity, "last_uid": last, "unmarked": unmarked}

    def normalize(self, event: EventInfo) -> TicketDraft:
        return read_mail(event, self.config)
