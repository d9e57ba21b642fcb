"""MQTT for manufacturing lines: machine alarms become correlated incidents, line change
requests become changes whose state is published back (see docs/connectors/manufacturing.md)."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.mqtt.connector import MqttConnector

    return [MqttConnector]
