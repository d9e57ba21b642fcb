"""The mail test infrastructure itself: the private Dovecot and the SMTP sink behave like real servers."""

from __future__ import annotations

import contextlib
import gc
import imaplib
import os
import smtplib
import ssl
import threading
import warnings
from collections.abc import Callable
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

from tests.support import imap as imap_module
from tests.support import services
from tests.support.imap import DovecotServer, Mailbox
from tests.support.mail_fixtures import *  # noqa: F403

if TYPE_CHECKING:
    # Only for annotations: the SMTP tests get the class through the fixtures, so a
    # missing aiosmtpd skips (or, in CI, fails) them instead of breaking collection.
    from tests.support.smtp import SmtpSink

pytest_plugins = ["pytester"]


def sample(subject: str = "Printer on floor 3 is jammed", body: str = "Paper tray 2 again.\n") -> bytes:
    message = EmailMessage()
    message["From"] = "Jane Doe <jane@example.com>"
    message["To"] = "servicedesk@example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash(subject))}@example.com>"
    message.set_content(body)
    return bytes(message)


# --------------------------------------------------------------------------- IMAP


@pytest.mark.imap
def test_plain_login_and_wrong_password(mailbox: Mailbox) -> None:
    client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=5)
    try:
        assert "STARTTLS" in client.capabilities
        assert client.login(mailbox.user, mailbox.password)[0] == "OK"
    finally:
        client.logout()

    client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=5)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login(mailbox.user, "not-the-password")
    finally:
        client.logout()


@pytest.mark.imap
def test_starttls_verifies_against_the_generated_ca(mailbox: Mailbox) -> None:
    client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=5)
    try:
        # Hostname checking is on: the certificate names 127.0.0.1 and localhost.
        client.starttls(ssl.create_default_context(cafile=str(mailbox.cafile)))
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.login(mailbox.user, mailbox.password)[0] == "OK"
    finally:
        client.logout()

    untrusting = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=5)
    try:
        # A verifying context that trusts no CA at all, whatever the machine's store holds.
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusting.starttls(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    finally:
        # The failed handshake already closed the socket; shutdown() still closes the reader.
        with contextlib.suppress(OSError):
            untrusting.shutdown()


@pytest.mark.imap
def test_implicit_tls(mailbox: Mailbox) -> None:
    client = imaplib.IMAP4_SSL(mailbox.host, mailbox.tls_port, ssl_context=mailbox.ssl_context(), timeout=5)
    try:
        assert client.login(mailbox.user, mailbox.password)[0] == "OK"
        assert client.select("INBOX")[0] == "OK"
    finally:
        client.logout()


@pytest.mark.imap
def test_append_then_fetch(mailbox: Mailbox) -> None:
    first = mailbox.append(sample("first"))
    second = mailbox.append(sample("second"), flags=[r"\Flagged", "$Ticketed"])
    assert second > first

    client = mailbox.connect()
    try:
        client.select("INBOX")
        status, data = client.uid("FETCH", str(second), "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert status == "OK"
        assert b"Subject: second" in data[0][1]
        assert b"\\Flagged" in data[0][0] and b"$Ticketed" in data[0][0]
    finally:
        client.logout()

    stored = mailbox.messages()
    assert [message.uid for message in stored] == [first, second]
    assert stored[0].message["Subject"] == "first"
    assert stored[0].raw == sample("first").replace(b"\n", b"\r\n")  # IMAP stores CRLF
    assert stored[1].flags == {r"\Flagged", "$Ticketed"}


@pytest.mark.imap
def test_store_seen_shows_in_flags(mailbox: Mailbox) -> None:
    uid = mailbox.append(sample())
    assert mailbox.flags() == {uid: frozenset()}  # reading through the helpers marks nothing \Seen

    client = mailbox.connect()
    try:
        client.select("INBOX")
        assert client.uid("STORE", str(uid), "+FLAGS", r"(\Seen)")[0] == "OK"
    finally:
        client.logout()
    assert mailbox.flags() == {uid: {r"\Seen"}}

    mailbox.store_flags(uid, [r"\Seen"], mode="-")
    assert mailbox.flags() == {uid: frozenset()}


@pytest.mark.imap
def test_folders_with_hierarchy_and_non_ascii_names(mailbox: Mailbox) -> None:
    mailbox.create_folder("Support/Tickets ü")
    uid = mailbox.append(sample("filed"), folder="Support/Tickets ü")
    assert mailbox.folders() == ["INBOX", "Support", "Support/Tickets ü"]
    assert [message.uid for message in mailbox.messages("Support/Tickets ü")] == [uid]
    assert mailbox.messages() == []


@pytest.mark.imap
def test_uidvalidity_change_renumbers_and_keeps_flags(mailbox: Mailbox) -> None:
    uids = [mailbox.append(sample(f"message {n}")) for n in range(3)]
    mailbox.expunge(uids[0])
    mailbox.store_flags(uids[2], [r"\Seen"])
    before = mailbox.uidvalidity()
    open_session = mailbox.connect()
    open_session.select("INBOX")

    after = mailbox.reset_uidvalidity()

    assert after != before
    assert mailbox.uidvalidity() == after
    # Fresh UIDs from 1: old UID 2 now names what used to be UID 3.
    assert mailbox.flags() == {1: frozenset(), 2: {r"\Seen"}}
    assert [m.message["Subject"] for m in mailbox.messages()] == ["message 1", "message 2"]
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        open_session.noop()
    open_session.shutdown()

    client = mailbox.connect()
    try:
        client.select("INBOX")
        assert client.untagged_responses["UIDVALIDITY"] == [str(after).encode()]
    finally:
        client.logout()


@pytest.mark.imap
def test_drop_connections_breaks_an_open_session(mailbox: Mailbox) -> None:
    mailbox.append(sample())
    client = mailbox.connect(tls="starttls")
    client.select("INBOX")
    assert mailbox.sessions() == 1

    mailbox.drop_connections()

    try:
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            client.uid("FETCH", "1:*", "(BODY.PEEK[])")
    finally:
        client.shutdown()
    assert mailbox.sessions() == 0
    assert mailbox.flags() == {1: frozenset()}  # the server itself is fine


@pytest.mark.imap
def test_each_test_gets_its_own_user(mailbox_factory: Callable[[], Mailbox], dovecot: DovecotServer) -> None:
    one, other = mailbox_factory(), mailbox_factory()
    one.append(sample())
    assert one.user != other.user
    assert len(one.messages()) == 1
    assert other.messages() == []
    assert one.host == other.host == dovecot.host == "127.0.0.1"


@pytest.mark.imap
def test_a_second_instance_runs_alongside_and_stops_without_leftovers(dovecot: DovecotServer) -> None:
    server = DovecotServer()
    server.start()
    try:
        assert {server.port, server.tls_port}.isdisjoint({dovecot.port, dovecot.tls_port})
        assert server.startup_seconds < 2
        server.add_user("solo", "secret")
        assert server.append("solo", sample()) == 1
        pid, root = server.pid, server.root
    finally:
        server.stop()
    assert pid is not None
    with pytest.raises(ProcessLookupError):  # nothing left in Dovecot's process group
        os.killpg(pid, 0)
    assert not root.exists()
    server.stop()  # twice is harmless


def test_missing_dovecot_skips_or_fails_as_ci_requires(pytester: pytest.Pytester,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed() -> tuple[str, str]:
        raise imap_module.DovecotUnavailable("not installed here")

    monkeypatch.setattr(imap_module, "find_binaries", not_installed)
    pytester.makepyfile(
        "from tests.support.mail_fixtures import *\n"
        "def test_needs_imap(mailbox):\n"
        "    pass\n"
    )
    monkeypatch.setattr(services, "REQUIRE", False)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(skipped=1)
    monkeypatch.setattr(services, "REQUIRE", True)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(errors=1)


# --------------------------------------------------------------------------- SMTP


def test_smtp_sink_receives_a_message(smtp_sink: SmtpSink) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.sendmail("hub@example.com", ["a@example.com", "b@example.com"], sample("Ticket #42 updated"))

    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "hub@example.com"
    assert received.rcpt_tos == ("a@example.com", "b@example.com")
    assert received.message["Subject"] == "Ticket #42 updated"
    assert b"Paper tray 2 again." in received.raw
    assert received.login is None
    assert not received.tls

    smtp_sink.clear()
    assert smtp_sink.messages == []
    with pytest.raises(AssertionError, match="expected 1 message"):
        smtp_sink.wait_for(1, timeout=0.05)


def test_smtp_sink_with_starttls_and_auth(smtp_sink_factory: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink_factory(starttls=True, require_starttls=True, users={"hub": "s3cret"}, auth_required=True)
    assert sink.cafile is not None

    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPSenderRefused):  # no mail before STARTTLS
            client.sendmail("hub@example.com", ["a@example.com"], sample())
        client.starttls(context=ssl.create_default_context(cafile=str(sink.cafile)))
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("hub", "wrong")
        client.login("hub", "s3cret")
        client.send_message(EmailMessage(), from_addr="hub@example.com", to_addrs=["a@example.com"])

    [received] = sink.wait_for(1)
    assert received.login == "hub"
    assert received.tls


def test_smtp_sink_with_implicit_tls(smtp_sink_factory: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink_factory(implicit_tls=True, users={"hub": "s3cret"})
    context = ssl.create_default_context(cafile=str(sink.cafile))
    with smtplib.SMTP_SSL(sink.host, sink.port, context=context, timeout=5) as client:
        client.login("hub", "s3cret")
        client.sendmail("hub@example.com", ["a@example.com"], sample())
    [received] = sink.wait_for(1)
    assert received.tls
    assert received.login == "hub"


def test_smtp_sink_can_refuse_a_message(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next("451 4.3.0 Mailbox busy")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("hub@example.com", ["a@example.com"], sample())
        assert refused.value.smtp_code == 451
        client.sendmail("hub@example.com", ["a@example.com"], sample())
    assert len(smtp_sink.wait_for(1)) == 1


def test_smtp_sink_stops_cleanly_with_a_client_still_connected(smtp_sink_factory: Callable[..., SmtpSink]) -> None:
    threads_before = set(threading.enumerate())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sink = smtp_sink_factory()
        client = smtplib.SMTP(sink.host, sink.port, timeout=5)
        client.ehlo()
        sink.stop()  # the client never said QUIT
        client.close()
        del sink
        gc.collect()
    assert set(threading.enumerate()) <= threads_before
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
