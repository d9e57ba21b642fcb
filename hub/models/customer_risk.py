"""Customers at risk: a flag raised by the risk rules (hub.tracker.customer_risk), with reasons.

A customer has at most one open flag (``cleared_at`` empty); a new reason while it is open is
added to it, so the owner hears of each reason once. Clearing keeps the row, with who cleared
it and their note: the Insights trend counts flags open on each day from these rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, JSONType, utcnow


class CustomerRiskFlag(Base):
    """One time a customer was at risk: why, since when, and who cleared it with what note."""

    __tablename__ = "customer_risk_flags"
    __table_args__ = (
        Index("ix_customer_risk_flags_customer", "customer_id", "cleared_at"),
        Index("ix_customer_risk_flags_raised", "raised_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """``[{"rule": "low_score", "text": "Rated INC-000042 1 of 5", "ref": "INC-000042", "at": iso}]``."""
    cleared_at: Mapped[datetime | None]
    cleared_by: Mapped[str | None] = mapped_column(String(200))
    clear_note: Mapped[str | None] = mapped_column(Text)
    """Why the flag could go (required to clear it)."""
