"""Custom fields: what an admin asks for on a department's tickets, and each ticket's answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base, IdType, JSONType, utcnow

#: What a custom field holds: free text, a number, one of its options, a calendar day, or
#: a configuration item of the organisation model (by its key).
FIELD_TYPES = ("text", "number", "choice", "date", "ci")


class CustomField(Base):
    """A field an admin defined for the tickets of one department (or all) and one kind (or both).

    Names are unique across the hub, so ``custom_fields: {name: value}`` in the API and a
    list filter ``cf.<name>=`` never need the department to say which field they mean.
    """

    __tablename__ = "custom_fields"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    """The key in the API and in mappings (``cabin_number``): lower-case letters, digits, ``_``."""
    label: Mapped[str] = mapped_column(String(200))
    help: Mapped[str] = mapped_column(String(500), default="")
    type: Mapped[str] = mapped_column(String(16))
    """``text``, ``number``, ``choice``, ``date`` or ``ci`` (FIELD_TYPES)."""
    options: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """The values a ``choice`` field takes, in the order forms offer them; empty for the rest."""
    required: Mapped[bool] = mapped_column(default=False)
    """A person opening a ticket (a page, the API, a web form) must fill it in; sources that
    cannot (an alarm) are not held to it."""
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    """The department whose tickets have it; None for every department's."""
    kind: Mapped[str | None] = mapped_column(String(16))
    """``incident`` or ``change``; None for both."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Forms and pages show fields by position, then name."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketFieldValue(Base):
    """One ticket's value of one custom field, typed so lists can filter on it by index.

    The ticket's ``custom_fields`` JSON holds the same values for reading (pages, the API,
    exports read no second table); this table is what filters look values up in, on
    PostgreSQL and SQLite alike, through ``(field_id, value, ticket_id)`` indexes.
    """

    __tablename__ = "ticket_field_values"
    __table_args__ = (
        Index("ix_ticket_field_values_text", "field_id", "text_value", "ticket_id"),
        Index("ix_ticket_field_values_number", "field_id", "number_value", "ticket_id"),
        Index("ix_ticket_field_values_ci", "ci_id"),
    )

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("custom_fields.id", ondelete="CASCADE"), primary_key=True)
    text_value: Mapped[str | None] = mapped_column(String(500))
    """Text, the chosen option, the day as ``YYYY-MM-DD`` (sorts as it should) or the item's key."""
    number_value: Mapped[float | None] = mapped_column(Float)
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("configuration_items.id", ondelete="SET NULL"))
    """The configuration item a ``ci`` field names; a key renamed later is followed by id."""
