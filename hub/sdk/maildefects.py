"""Broken MIME, read as far as it goes, and named in words an agent understands.

Mail that reaches a mailbox is often broken in the same few ways, and no MTA repairs it:
a body that uses another boundary than its Content-Type declares (a gateway or a client
rewrote one of them), a message cut short (no closing boundary, base64 stopping
mid-group), text in another charset than declared. The standard library's parser notes
these as defect classes on the parts; this module turns them into sentences, finds the
boundary a body really uses, and decodes base64 as far as its whole groups go.
"""

from __future__ import annotations

import base64
import binascii
import re
from email import errors
from email.message import Message

__all__ = ["decode_base64", "describe_defects", "find_used_boundary", "with_boundary"]

_DEFECT_TEXT: dict[type[errors.MessageDefect], str] = {
    errors.CloseBoundaryNotFoundDefect: "the last part is never closed (the message may be cut short)",
    errors.NoBoundaryInMultipartDefect: "a multipart type without a boundary",
    errors.MissingHeaderBodySeparatorDefect: "a header line without a colon (the body may start too early)",
    errors.FirstHeaderLineIsContinuationDefect: "the first header line is a continuation line",
    errors.MisplacedEnvelopeHeaderDefect: "an mbox 'From ' line among the headers",
    errors.InvalidMultipartContentTransferEncodingDefect: "a multipart with a transfer encoding it may not have",
    errors.InvalidBase64PaddingDefect: "broken base64 (padding)",
    errors.InvalidBase64CharactersDefect: "broken base64 (characters outside base64)",
    errors.InvalidBase64LengthDefect: "broken base64 (length)",
    errors.UndecodableBytesDefect: "8-bit bytes where only ASCII may be",
}
_UNUSED_BOUNDARY = "a multipart body without any of its declared parts (kept as text)"
# A consequence of the boundary defects above; naming it too would say the same twice.
_IMPLIED = (errors.MultipartInvariantViolationDefect,)
_BOUNDARY_LINE = re.compile(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", re.MULTILINE)
_BOUNDARY_PARAM = re.compile(rb'(boundary\s*=\s*)("[^"\r\n]*"|[^;\s]+)', re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BASE64_ALPHABET = re.compile(r"[^A-Za-z0-9+/=]")


def describe_defects(message: Message) -> list[str]:
    """What the parser found broken in any part of the message, as sentences, each once."""
    found: list[str] = []
    for part in _parts(message):
        for defect in getattr(part, "defects", None) or []:
            if isinstance(defect, _IMPLIED):
                continue
            if isinstance(defect, errors.StartBoundaryNotFoundDefect):
                text = _UNUSED_BOUNDARY
            else:
                text = next((words for kind, words in _DEFECT_TEXT.items() if isinstance(defect, kind)),
                            _words(type(defect).__name__))
            if text not in found:
                found.append(text)
    return found


def _parts(message: Message) -> list[Message]:
    try:
        return list(message.walk())
    except Exception:  # a tree too broken to walk: its top still has defects to tell
        return [message]


def _words(name: str) -> str:
    """``SomeThingDefect`` -> ``some thing``: an unknown defect still reads as words."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Defect")).lower()


def find_used_boundary(raw: bytes, message: Message) -> str | None:
    """The boundary the body of a multipart message really uses, when it is not the declared one."""
    if not any(isinstance(defect, errors.StartBoundaryNotFoundDefect) for defect in message.defects):
        return None
    end = _HEADER_END.search(raw)
    if end is None:
        return None
    declared = (message.get_boundary() or "").encode("utf-8", "replace")
    for match in _BOUNDARY_LINE.finditer(raw, end.end()):
        used = match.group(1)
        if used.endswith(b"--"):
            used = used[:-2]  # only the closing line is left: it names the boundary as well
        if used and used != declared:
            return used.decode("ascii")
    return None


def with_boundary(raw: bytes, boundary: str) -> bytes:
    """The message with its header's first boundary parameter set to ``boundary``."""
    end = _HEADER_END.search(raw)
    if end is None:
        return raw
    header = _BOUNDARY_PARAM.sub(lambda match: match.group(1) + b'"' + boundary.encode("ascii") + b'"',
                                 raw[:end.start()], count=1)
    return header + raw[end.start():]


def decode_base64(payload: str) -> tuple[bytes | None, str | None]:
    """Content from base64 text, and what was wrong with it (None when nothing was).

    Text with characters outside the alphabet is not base64 at all: None, so the caller
    keeps it as sent. Base64 that only stops short (a message cut off mid-line) gives the
    bytes of its whole four-character groups.
    """
    text = re.sub(r"\s+", "", payload)
    try:
        return base64.b64decode(text, validate=True), None
    except (binascii.Error, ValueError):
        pass
    if _BASE64_ALPHABET.search(text):
        return None, "characters outside base64; kept as sent"
    whole = text.rstrip("=")
    whole = whole[: len(whole) - len(whole) % 4]
    try:
        data = base64.b64decode(whole, validate=True)
    except (binascii.Error, ValueError):
        return None, "not decodable; kept as sent"
    return data, f"cut short; the {len(data)} bytes before the cut are kept"
