"""The generic webhook connector: signed JSON posts become tickets."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.webhook.connector import WebhookConnector

    return [WebhookConnector]
