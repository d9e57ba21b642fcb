"""A poll that stalls on purpose, run in a process of its own so a test can kill it.

``python -m tests.hub.jobs.stalled_poll CONFIG_JSON INSTANCE_ID`` builds the hub with the
test's settings and polls the instance: two events and a checkpoint are saved, then the
poller touches its ``ready_file`` and waits for ever, as a poll stuck on a remote would.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from marshmallow import fields

from hub.hookspecs import hookimpl
from hub.sdk import Checkpoint, ConfigSchema, PollingSource, RawEvent, TicketDraft


class StallConfig(ConfigSchema):
    ready_file = fields.String(required=True, metadata={"title": "Ready file", "description": "Touched when stuck."})


class StallingPoller(PollingSource):
    slug = "stall"
    title = "Stalling feed"
    version = "1.0.0"
    description = "Saves two events, then waits for ever (tests only)."
    config_schema = StallConfig
    default_poll_interval = 3600

    def poll(self, state: dict[str, Any]) -> Iterator[Any]:
        for number in (1, 2):
            yield RawEvent(idempotency_key=f"stall:{number}", payload={"title": f"Stalled item {number}"})
        yield Checkpoint({"after": 2})
        Path(self.config["ready_file"]).touch()
        threading.Event().wait()

    def normalize(self, event: Any) -> TicketDraft:
        return TicketDraft(title=event.payload["title"])


class StallPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [StallingPoller]


def main(config_json: str, instance_id: str) -> None:
    from hub import create_app
    from hub.jobs.polling import run_poll

    config = json.loads(config_json)
    config["PLUGINS"] = [("stall", StallPlugin())]
    app = create_app(config)
    with app.app_context():
        run_poll(app.extensions["hub"], int(instance_id), job_id="stalled-on-purpose")


if __name__ == "__main__":
    main(*sys.argv[1:3])
