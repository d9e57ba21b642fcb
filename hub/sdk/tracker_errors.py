"""Domain errors: the tracker's services raise them, and so may plugins and connectors
(a settings form's ValidationFailed, a NotFound). The API turns each into one problem+json
status; the CLI prints it. They live in the SDK so an extension can raise them importing
nothing but hub.sdk."""

from __future__ import annotations

from typing import Any


class TrackerError(Exception):
    """Base of every error a tracker service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(TrackerError):
    status = 404
    title = "Not found"


class ValidationFailed(TrackerError):
    """Input broke a domain rule; ``errors`` maps each field to its messages."""

    status = 422
    title = "Validation failed"

    def __init__(self, errors: dict[str, list[str]], detail: str = "Some fields are not valid.") -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


class IllegalTransition(TrackerError):
    status = 409
    title = "Illegal transition"

    def __init__(self, kind: str, current: str, target: str, allowed: list[str], reason: str = "") -> None:
        detail = reason or (
            f"{'An' if kind[:1] in 'aeiou' else 'A'} {kind} in state '{current}' cannot move to '{target}'. "
            f"Allowed: {', '.join(allowed) if allowed else 'none (final state)'}."
        )
        super().__init__(detail, current=current, target=target, allowed=allowed)
        self.allowed = allowed


class Conflict(TrackerError):
    status = 409
    title = "Conflict"


class PreconditionFailed(TrackerError):
    """A write named a version (If-Match) that is no longer current."""

    status = 412
    title = "Precondition failed"


class Vetoed(TrackerError):
    """A plugin refused the ticket in before_ticket_create."""

    status = 422
    title = "Refused by a plugin"

    def __init__(self, plugin: str, reason: str) -> None:
        super().__init__(f"{plugin}: {reason}", plugin=plugin, reason=reason)
        self.plugin = plugin
        self.reason = reason


class Forbidden(TrackerError):
    status = 403
    title = "Forbidden"
