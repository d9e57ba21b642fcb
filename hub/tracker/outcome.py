"""What applying one change to a ticket came to: created, updated, ignored, ...

The ingest pipeline returns it and sync's remote updates return it too; it lives in the
tracker so sync (below ingest) need not import the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.models import Ticket


@dataclass
class Outcome:
    status: str
    action: str | None = None
    ticket: Ticket | None = None
    reason: str | None = None
    correlation_key: str | None = None
