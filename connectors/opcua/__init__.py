"""OPC UA Alarms & Conditions: a server's conditions become correlated incidents, and an
incident acknowledged in the hub can acknowledge its condition on the server
(see docs/connectors/manufacturing.md). ``uaclient`` is the asyncua client underneath."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.opcua.connector import OpcUaConnector

    return [OpcUaConnector]
