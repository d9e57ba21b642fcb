"""HMAC-SHA256 signatures with a timestamp, as senders compute them and the hub checks them.

    signature = "sha256=" + hex(HMAC-SHA256(secret, f"{timestamp}." + body))

sent in ``X-Hub-Signature-256`` with the Unix time in ``X-Hub-Timestamp``. Signing the
timestamp with the body lets the hub refuse a captured request replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(secret: str, body: bytes, timestamp: int | None = None) -> tuple[str, str]:
    """Return (timestamp, signature header value) for a body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return stamp, f"sha256={digest}"


def verified_signature(secret: str, body: bytes, timestamp: str, header: str) -> str | None:
    """The signature the hub computes for this body and time if the header carries it, else None.

    Whitespace around the header's value is forgiven; callers that remember signatures
    (the replay guard) must use the returned value, never the header as sent.
    """
    _, expected = sign(secret, body, int(timestamp))
    return expected if hmac.compare_digest(expected.encode(), header.strip().encode()) else None


def signature_matches(secret: str, body: bytes, timestamp: str, header: str) -> bool:
    return verified_signature(secret, body, timestamp, header) is not None
