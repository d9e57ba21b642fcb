"""Date-times clients send: aware, and within the times the hub stores, checked before any
conversion (an offset of +14:00 on 0001-01-01 overflows when turned into UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import fields

from hub.models.base import EARLIEST, LATEST, storable_moment


class ClientDateTime(fields.AwareDateTime):
    """An ISO 8601 date-time with an offset, read as UTC."""

    default_error_messages = {
        "range": f"Must lie between {EARLIEST.date().isoformat()} and {LATEST.date().isoformat()} (UTC).",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not storable_moment(moment):
            raise self.make_error("range")
        return moment.astimezone(UTC)
