"""The built-in webhook connector passes the contract, like any third-party one must."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.webhook.connector import WebhookConnector
from hub.sdk import RawEvent
from hub.testing import connector_test_class
from tests.support.sink import Sink, running_sink


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as receiver:
        yield receiver


def config(request: Any) -> dict[str, Any]:
    return {"secret": "a-secret-for-the-contract", "idempotency_field": "id",
            "push_url": request.getfixturevalue("sink").url}


TestWebhookContract = connector_test_class(
    WebhookConnector,
    config=config,
    bad_config={"secret": "short", "auth": "magic"},
    events=[
        RawEvent(idempotency_key="field:1", payload={"id": 1, "title": "Disk full", "impact": "high"}),
        RawEvent(idempotency_key="field:2", payload={"id": 2, "title": "Disk fine again", "action": "clear"}),
    ],
)
