"""A small IMAP client on imaplib: log in, read new messages by UID, mark them processed.

Errors become the SDK's typed errors: refused credentials are an AuthenticationError, a
network problem is retriable, a missing folder or an untrusted certificate is fatal
(nothing changes until an admin does something).
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.email.config import port_of
from hub.sdk import AuthenticationError, FatalError, RetriableError

TIMEOUT = 30.0
_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


def tls_context(config: dict[str, Any]) -> ssl.SSLContext:
    """Verifying TLS, against the admin's CA file when the servers use a private CA."""
    return ssl.create_default_context(cafile=config.get("ca_file") or None)


def quote_folder(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append(f"&{encoded}-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    text = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


@dataclass
class Fetched:
    uid: int
    raw: bytes
    size: int
    whole: bool
    """False when the message was over the size limit and only its header was fetched."""


class ImapMailbox:
    """One session on one folder; use as a context manager."""

    def __init__(self, config: dict[str, Any], *, timeout: float = TIMEOUT) -> None:
        self.config = config
        self.timeout = timeout
        self.client: imaplib.IMAP4 | None = None
        self.uidvalidity = 0

    def __enter__(self) -> ImapMailbox:
        self.open()
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def open(self) -> None:
        config = self.config
        host, port = config["host"], port_of(config, "imap")
        try:
            if config["security"] == "tls":
                self.client = imaplib.IMAP4_SSL(host, port, ssl_context=tls_context(config), timeout=self.timeout)
            else:
                self.client = imaplib.IMAP4(host, port, timeout=self.timeout)
                if config["security"] == "starttls":
                    self.client.starttls(tls_context(config))
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise FatalError(f"The IMAP server's certificate is not trusted ({exc.verify_message}); "
                             "set ca_file for a private CA.") from None
        except (OSError, imaplib.IMAP4.error) as exc:
            self.close()
            raise RetriableError(f"Cannot reach IMAP {host}:{port}: {exc}") from None
        try:
            self.client.login(config["username"], config["password"])
        except imaplib.IMAP4.error as exc:
            self.close()
            raise AuthenticationError(f"IMAP login as {config['username']} refused: {_text(exc)}") from None
        except OSError as exc:
            self.close()
            raise RetriableError(f"IMAP login failed: {exc}") from None
        self.select(config["folder"])

    def select(self, folder: str) -> None:
        client = self._client()
        status, data = self._call(client.select, quote_folder(folder))
        if status != "OK":
            raise FatalError(f"No folder {folder!r} in this mailbox: {_text(data)}")
        validity = client.untagged_responses.get("UIDVALIDITY") or [b"0"]
        last = validity[-1]
        self.uidvalidity = int(last if isinstance(last, bytes) else last[0])

    def search_new(self, last_uid: int, *, unseen_only: bool) -> list[int]:
        """UIDs above ``last_uid`` (or every unseen one, for a first look), ascending."""
        criteria = "UNSEEN" if unseen_only else f"UID {last_uid + 1}:*"
        status, data = self._call(self._client().uid, "SEARCH", criteria)
        if status != "OK":
            raise RetriableError(f"IMAP SEARCH failed: {_text(data)}")
        uids = sorted({int(token) for token in b" ".join(item for item in data if item).split()})
        # "N:*" always names the highest message, even when its UID is below N.
        return [uid for uid in uids if uid > last_uid]

    def fetch(self, uids: list[int], *, max_bytes: int) -> Iterator[Fetched]:
        """The messages, whole when within ``max_bytes``, else just their header; never marks them \\Seen."""
        sizes = self._sizes(uids)
        for uid in uids:
            if uid not in sizes:
                continue  # expunged meanwhile
            whole = sizes[uid] <= max_bytes
            section = "BODY.PEEK[]" if whole else "BODY.PEEK[HEADER]"
            status, data = self._call(self._client().uid, "FETCH", str(uid), f"({section})")
            raw = next((item[1] for item in data if isinstance(item, tuple) and len(item) > 1), None)
            if status != "OK" or raw is None:
                continue
            yield Fetched(uid=uid, raw=bytes(raw), size=sizes[uid], whole=whole)

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        if not uids:
            return {}
        status, data = self._call(self._client().uid, "FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)")
        if status != "OK":
            raise RetriableError(f"IMAP FETCH failed: {_text(data)}")
        sizes = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _FETCH_UID.search(line), _FETCH_SIZE.search(line)
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def mark_processed(self, uids: list[int]) -> None:
        """Flag \\Seen, or move to the processed folder; harmless to repeat."""
        if not uids:
            return
        client = self._client()
        uid_set = ",".join(map(str, uids))
        if self.config["processed_action"] == "flag-seen":
            status, data = self._call(client.uid, "STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)")
        else:
            target = quote_folder(self.config["processed_folder"])
            self._call(client.create, target)  # "already exists" is fine
            if "MOVE" in client.capabilities:
                status, data = self._call(client.uid, "MOVE", uid_set, target)
            else:
                status, data = self._call(client.uid, "COPY", uid_set, target)
                if status == "OK":
                    status, data = self._call(client.uid, "STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
                    self._call(client.expunge)
        if status != "OK":
            raise RetriableError(f"Could not mark messages {uid_set} processed: {_text(data)}")

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()

    def _client(self) -> imaplib.IMAP4:
        if self.client is None:
            raise RetriableError("The IMAP session is closed.")
        return self.client

    @staticmethod
    def _call(function: Any, *args: Any) -> tuple[str, list[Any]]:
        try:
            status, data = function(*args)
        except (imaplib.IMAP4.abort, OSError) as exc:
            raise RetriableError(f"The IMAP connection broke: {exc}") from None
        except imaplib.IMAP4.error as exc:
            return "NO", [str(exc).encode()]
        return str(status), list(data or [])


def _text(data: Any) -> str:
    if isinstance(data, list):
        data = b" ".join(item if isinstance(item, bytes) else str(item).encode() for item in data)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)
