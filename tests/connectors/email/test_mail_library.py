"""hub.sdk.mail: reading never fails, whatever the bytes; automatic mail is told from people's mail."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.sdk.mail import (
    MailLimits,
    ParsedMail,
    build_message,
    clean_subject,
    decode_bytes,
    make_message_id,
    parse_message,
    strip_quoted,
    subject_refs,
)
from hub.sdk.mailhtml import html_to_text
from tests.connectors.email.conftest import sample

HEADERS = st.sampled_from([
    b"From: ", b"To: ", b"Cc: ", b"Subject: ", b"Message-ID: ", b"References: ", b"In-Reply-To: ",
    b"Content-Type: multipart/mixed; boundary=\"b\"\n", b"Content-Type: text/html; charset=x-nope\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n",
    b"Content-Transfer-Encoding: base64\n", b"Content-Transfer-Encoding: quoted-printable\n",
    b"Auto-Submitted: auto-replied\n", b"=?utf-8?q?=C3=A9?=", b"=?x-bad?b?!!?=", b"\n--b\n", b"\n--b--\n",
    b"Content-Type: message/rfc822\n\n", b"\xc3\xbc\xff\x00", b"Content-ID: <a\xff@b>\n",
    b"Content-Disposition: attachment; filename=\"\xe9.txt\"\n", b"Final-Recipient: rfc822; \xff@x\n",
    b"Content-Type: message/delivery-status\n\n", b"\n\n", b"\r\n",
])


def assert_storable(parsed: ParsedMail) -> None:
    """Every string is valid UTF-8 without NUL: what PostgreSQL text and JSON columns take."""
    strings = [parsed.text, parsed.subject, *parsed.defects, *parsed.refused, *parsed.thread_ids,
               *parsed.headers.values(), parsed.message_id or ""]
    for address in [parsed.sender, *parsed.to, *parsed.cc, *parsed.reply_to]:
        if address is not None:
            assert "@" in address.email
            strings += [address.name, address.email]
    for part in parsed.attachments:
        strings += [part.filename, part.content_type, part.content_id or ""]
    if parsed.bounce is not None:
        strings += [parsed.bounce.summary(), parsed.bounce.original_message_id or ""]
    for text in strings:
        assert isinstance(text, str) and "\x00" not in text
        text.encode("utf-8")  # raises on lone surrogates


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_parser_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    assert_storable(parse_message(raw))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(HEADERS, st.binary(max_size=40)), max_size=40))
def test_parser_never_raises_on_mail_shaped_garbage(pieces: list[bytes]) -> None:
    assert_storable(parse_message(b"".join(pieces)))


def test_headers_and_bodies_of_the_samples() -> None:
    reply = parse_message(sample("04-reply-to-ack.eml"))
    assert reply.message_id == "<CAF7k2x9Q-reply1@mail.example.org>"
    assert reply.thread_ids == ["<ack-inc-000042@hub.test>", "<CAF7k2x9Q-room4127@mail.example.org>"]
    assert subject_refs(reply.subject) == ["INC-000042"]
    assert clean_subject(reply.subject) == "Room 4127 - no hot water for three days"
    assert strip_quoted(reply.text) == "Still no hot water as of this afternoon."
    cc = parse_message(sample("03-multipart-attachment.eml"))
    assert [a.email for a in cc.cc] == ["shift-lead@plant-a.example.com"]
    assert cc.automation is None and cc.attachments[0].sha256 == __import__("hashlib").sha256(
        cc.attachments[0].data).hexdigest()


def test_automatic_mail_is_recognised() -> None:
    assert parse_message(sample("05-out-of-office.eml")).automation.kind == "auto-reply"
    bounce = parse_message(sample("06-bounce.eml"))
    assert bounce.automation.kind == "bounce"
    assert (bounce.bounce.recipients, bounce.bounce.status, bounce.bounce.action) == (
        ["nobody@example.org"], "5.1.1", "failed")
    for header, kind in (("Precedence: bulk", "bulk"), ("Precedence: junk", "bulk"), ("Precedence: list", "bulk"),
                         ("Precedence: auto_reply", "auto-reply"), ("X-Auto-Response-Suppress: OOF, DR",
                                                                    "no-auto-reply"),
                         ("List-Id: <news.example.com>", "bulk"), ("Auto-Submitted: auto-generated", "auto-reply")):
        raw = f"From: a@example.com\nSubject: hi\n{header}\n\nbody\n".encode()
        assert parse_message(raw).automation.kind == kind, header
    person = parse_message(b"From: a@example.com\nSubject: hi\nAuto-Submitted: no\nX-Auto-Response-Suppress: DR\n\nx")
    assert person.automation is None


def test_bounce_names_the_message_that_bounced() -> None:
    original = EmailMessage()
    original["From"], original["To"], original["Subject"] = "care@hub.test", "nobody@example.org", "[INC-000001] x"
    original["Message-ID"] = "<hub.abc@hub.test>"
    original.set_content("Hello")
    report = EmailMessage()
    report["From"], report["To"] = "MAILER-DAEMON@mx.example.org", "care@hub.test"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.set_content("Could not deliver.")
    report.add_attachment(original)  # message/rfc822
    raw = bytes(report).replace(b"multipart/mixed", b"multipart/report; report-type=delivery-status", 1)
    parsed = parse_message(raw)
    assert parsed.automation.kind == "bounce" and parsed.bounce.original_message_id == "<hub.abc@hub.test>"
    assert parsed.attachments == []  # the bounced mail is not a file of anyone's ticket


def test_charsets_fall_back_without_failing() -> None:
    assert decode_bytes("caf\u00e9".encode("latin-1"), "iso-8859-1") == "caf\u00e9"
    assert decode_bytes("caf\u00e9".encode(), "x-unknown") == "caf\u00e9"
    assert decode_bytes("caf\u00e9".encode("cp1252"), "x-unknown") == "caf\u00e9"
    assert decode_bytes(b"\x81\xff", "us-ascii") == "\ufffd\u00ff"
    assert decode_bytes(b"abc", "base64") == "abc"  # a codec, but not a text encoding
    raw = (b"From: =?koi8-r?b?8NLP18XSy8E=?= <a@example.com>\nSubject: =?x-unknown?q?caf=C3=A9?=\n"
           b"Content-Type: text/plain; charset=\"x-unknown\"\n\ncaf\xc3\xa9\n")
    parsed = parse_message(raw)
    assert parsed.sender.name == "\u041f\u0440\u043e\u0432\u0435\u0440\u043a\u0430"
    assert parsed.subject == "caf\u00e9" and parsed.text == "caf\u00e9"


def test_html_becomes_safe_readable_text() -> None:
    html = ("<html><head><style>p{color:red}</style><title>t</title></head><body><h1>Title</h1><p>One &amp; "
            "<b>two</b></p><ul><li>a</li><li>b</li></ul><a href='https://x.example/a'>link</a>"
            "<a href='javascript:alert(1)'>bad</a><img src=x onerror=alert(1) alt='pic'><!-- hidden -->"
            "<script>alert('x')</script></body></html>")
    text = html_to_text(html)
    assert text.splitlines()[0] == "Title"
    assert "One & two" in text and "- a\n- b" in text and "link <https://x.example/a>" in text
    assert "javascript" not in text and "color:red" not in text and "hidden" not in text and "[pic]" in text
    assert "<script>alert('x')</script>" in text


def test_attachment_limits_are_named() -> None:
    message = EmailMessage()
    message["From"], message["Subject"] = "a@example.com", "files"
    message.set_content("see files")
    message.add_attachment(b"x" * 2000, maintype="application", subtype="pdf", filename="big.pdf")
    message.add_attachment(b"MZ", maintype="application", subtype="octet-stream", filename="run.exe")
    message.add_attachment(b"ok", maintype="text", subtype="plain", filename="ok.txt")
    message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="pic.png")
    parsed = parse_message(bytes(message), MailLimits(max_attachment_bytes=1000, allowed_types=("text/*",
                                                                                                  "application/*")))
    assert [a.filename for a in parsed.attachments] == ["ok.txt"]
    assert [r.split(":")[0] for r in parsed.refused] == ["big.pdf", "run.exe", "pic.png"]


def test_quoted_replies_are_trimmed_in_several_languages() -> None:
    assert strip_quoted("Danke!\n\nAm 16.11.2026 um 09:14 schrieb Care <care@hub.test>:\n> alt") == "Danke!"
    assert strip_quoted("Merci\n\nLe lun. 16 nov. 2026 à 09:14, Care <care@hub.test> a écrit :\n> x") == "Merci"
    assert strip_quoted("Ok\n\nFrom: Care <care@hub.test>\nSent: Monday\nTo: me\nSubject: x\n\nold") == "Ok"
    assert strip_quoted("Ok\n-----Original Message-----\nold") == "Ok"
    assert strip_quoted("> only a quote") == "> only a quote"  # nothing else: keep it all
    assert strip_quoted("a\n> q\nanswer inline\n> q2") == "a\n> q\nanswer inline"


def test_written_messages_thread_and_say_they_are_automatic() -> None:
    message_id = make_message_id("notify:INC-000001:ack", "hub.test")
    assert message_id == make_message_id("notify:INC-000001:ack", "hub.test")
    message = build_message(sender="Care <care@hub.test>", to=["maria@example.org"], subject="Hi\r\nBcc: x@y",
                            body="Hello", message_id=message_id, references=["<a@x>", "<b@y>", "not an id"])
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"] == "<b@y>" and message["References"] == "<a@x> <b@y>"
    assert message["Bcc"] is None and message["Subject"] == "Hi Bcc: x@y"
    again = parse_message(bytes(message))
    assert again.message_id == message_id and again.automation.kind == "auto-reply"


def test_broken_mime_is_read_as_far_as_it_goes_and_named() -> None:
    from tests.connectors.email.test_broken_mime import BROKEN

    rewritten = parse_message((BROKEN / "10-wrong-boundary.eml").read_bytes())
    assert rewritten.text.startswith("Hello,\n\nthe printer on floor 2") and rewritten.attachments == []
    assert rewritten.defects == ["the body does not use the boundary its Content-Type declares "
                                 "('----=_Part_4417_1866530912.1764576764'); read with the one it uses "
                                 "('----=_NextPart_000_0012_01DB43A1.5C1E2B30')"]
    cut = parse_message((BROKEN / "11-cut-short.eml").read_bytes())
    (pdf,) = cut.attachments
    assert pdf.data.startswith(b"%PDF-1.4") and len(pdf.data) == 129
    assert cut.defects == ["the last part is never closed (the message may be cut short)",
                           "broken base64 in delivery-note.pdf: cut short; the 129 bytes before the cut are kept"]
    latin = parse_message((BROKEN / "12-wrong-charset.eml").read_bytes().replace(b"\n", b"\r\n"))
    assert latin.text.endswith("Grüße\nJürgen Weiß")
    assert latin.defects == ["text that is not utf-8 as declared; read as Windows-1252"]
    unparted = parse_message(b"From: a@example.com\nSubject: s\nContent-Type: multipart/mixed; boundary=b\n\n"
                             b"no parts at all\n")
    assert unparted.text == "no parts at all" and unparted.attachments == []
    assert unparted.defects == ["a multipart body without any of its declared parts (kept as text)"]
    assert parse_message(sample("01-plain-complaint.eml")).defects == []
