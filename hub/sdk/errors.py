"""The errors a connector raises, and what the framework does with each.

=====================  ===============================================================
``RetriableError``     Try again later (rate limits, 5xx, timeouts). ``retry_after``
                       seconds, when the remote said so, is honoured.
``AuthenticationError``  Credentials refused (401/403). The instance shows the error;
                       deliveries wait and retry, so fixing the secret resumes them.
``SkippableError``     This one record is bad; record it and go on with the rest.
``FatalError``         Repeating will not help (a 400 for our payload, a missing
                       project): dead-letter the delivery or stop the run.
=====================  ===============================================================

Anything else a connector raises is treated as retriable and logged as a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class ConnectorError(Exception):
    """Base class; ``kind`` names the taxonomy entry."""

    kind = "fatal"

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.status = status


class RetriableError(ConnectorError):
    kind = "retriable"


class FatalError(ConnectorError):
    kind = "fatal"


class SkippableError(ConnectorError):
    kind = "skippable"


class AuthenticationError(ConnectorError):
    kind = "authentication"


RETRIABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_for_status(status: int, message: str = "", headers: Mapping[str, str] | None = None) -> ConnectorError | None:
    """The taxonomy error for an HTTP status, or None for success (2xx and 3xx)."""
    if status < 400:
        return None
    text = message or f"HTTP {status}"
    retry_after = parse_retry_after((headers or {}).get("Retry-After"))
    if status in RETRIABLE_STATUSES or status >= 500:
        return RetriableError(text, retry_after=retry_after, status=status)
    if status in (401, 403):
        return AuthenticationError(text, status=status)
    return FatalError(text, status=status)
