"""The hooks the SLA plugin declares (``register_hookspecs``): other plugins implement them
to hear about service levels; the SLA engine emits them through ``hub.sdk.tracker.emit``.

docs/hooks.md lists them under "Hooks plugins declare"; tests/plugins/sla keeps it equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.hookspecs import hookspec

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from hub.sdk.values import TicketInfo


@hookspec
def sla_warning(ticket: TicketInfo, target: str, due_at: datetime, session: Session) -> None:
    """A service-level target (``response`` or ``resolution``) is close to its due time."""


@hookspec
def sla_breached(ticket: TicketInfo, target: str, due_at: datetime, session: Session) -> None:
    """A service-level target (``response`` or ``resolution``) passed its due time unmet."""
