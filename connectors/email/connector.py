"""The email connector: one IMAP mailbox in, acknowledgements and updates out by SMTP.

Polling keeps a cursor of (UIDVALIDITY, last UID). Messages are stored in batches; each
batch is committed with its cursor (a Checkpoint) before the batch is marked processed
on the server, so a crash never loses mail. A crash after the commit and before the
marking leaves the batch's UIDs in the cursor (``unmarked``); the next poll marks them
first. Should a message come again anyway (a reset folder, a new UIDVALIDITY), its
Message-ID is the event's idempotency key and it changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.email.config import EmailConfig
from connectors.email.imap import ImapMailbox
from connectors.email.reading import event_key, read_mail
from connectors.email.sending import SmtpSender, compose
from hub.sdk import (
    Checkpoint,
    EventInfo,
    FatalError,
    OutboundMessage,
    PollingSource,
    PollResult,
    Pusher,
    PushResult,
    RawEvent,
    TicketDraft,
)


class EmailConnector(PollingSource, Pusher):
    slug = "email"
    title = "Email (IMAP and SMTP)"
    version = "1.0.0"
    description = ("Reads a mailbox over IMAP: new mail opens tickets, replies land on their ticket, automatic "
                   "mail and bounces open nothing. Sends acknowledgements and updates over SMTP.")
    config_schema = EmailConfig
    default_poll_interval = 60
    sends_mail = True

    _sender: SmtpSender | None = None

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        return "none"  # only mail to people (outbox action "mail"), never ticket changes

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

    # -- sending -------------------------------------------------------------------------

    def push(self, message: OutboundMessage) -> PushResult:
        if message.action != "mail":
            raise FatalError(f"The email connector sends mail only, not {message.action!r} messages.")
        mime, recipients = compose(self.config, message)
        if self._sender is None:
            self._sender = SmtpSender(self.config)
        detail = self._sender.send(mime, recipients)
        return PushResult(detail=f"{detail}: {mime['Message-ID']} to {', '.join(recipients)}",
                          data={"message_id": str(mime["Message-ID"])})

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None
