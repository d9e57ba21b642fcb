"""Request Tracker 5: two-way sync of one queue's tickets over the REST2 API."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.rt.connector import RTConnector

    return [RTConnector]
