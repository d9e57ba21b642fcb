"""ServiceNow: two-way sync of incidents and change requests over the Table API."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.servicenow.connector import ServiceNowConnector

    return [ServiceNowConnector]
