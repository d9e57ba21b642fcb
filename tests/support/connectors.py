"""Small connectors for tests: a poller over an in-memory feed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import fields

from hub.hookspecs import hookimpl
from hub.sdk import (
    Checkpoint,
    ConfigSchema,
    FatalError,
    ListenerSource,
    PollingSource,
    RawEvent,
    RetriableError,
    TicketDraft,
)

#: feed name -> list of items {"id": int, "title": str}; tests append to it.
FEEDS: dict[str, list[dict[str, Any]]] = {}
#: feed name -> raise after yielding this many events (simulates a crash mid-poll).
CRASH_AFTER: dict[str, int] = {}
POLLS: list[str] = []
#: feed name -> answer the poll with a 429 asking to wait this many seconds.
RATE_LIMITED: dict[str, float] = {}


class FeedConfig(ConfigSchema):
    feed = fields.String(required=True, metadata={"title": "Feed", "description": "Name of the test feed."})


class FeedPoller(PollingSource):
    slug = "feed"
    title = "Test feed"
    version = "1.0.0"
    description = "Polls an in-memory list (tests only)."
    config_schema = FeedConfig
    default_poll_interval = 60

    def poll(self, state: dict[str, Any]) -> Iterator[Any]:
        POLLS.append(self.config["feed"])
        if self.config["feed"] in RATE_LIMITED:
            raise RetriableError("429 Too Many Requests", retry_after=RATE_LIMITED[self.config["feed"]], status=429)
        after = int(state.get("after", 0))
        crash = CRASH_AFTER.get(self.config["feed"])
        yielded = 0
        for item in FEEDS.get(self.config["feed"], []):
            if item["id"] <= after:
                continue
            if crash is not None and yielded >= crash:
                raise FatalError("the remote went away mid-poll")
            yield RawEvent(idempotency_key=f"item:{item['id']}", payload=item)
            yielded += 1
            if item["id"] % 2 == 0:
                yield Checkpoint({"after": item["id"]})

    def normalize(self, event: Any) -> TicketDraft:
        return TicketDraft(title=event.payload["title"])


class FeedPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [FeedPoller]


class ListenConfig(ConfigSchema):
    channel = fields.String(required=True, metadata={"title": "Channel", "description": "Test channel name."})


#: channel -> messages a test pushes; the listener drains them (tests only).
CHANNELS: dict[str, list[dict[str, Any]]] = {}
ACKED: dict[str, list[int]] = {}


class ChannelListener(ListenerSource):
    slug = "channel"
    title = "Test channel"
    version = "1.0.0"
    description = "Listens to an in-memory channel (tests only)."
    config_schema = ListenConfig

    def listen(self, sink: Any, stop: Any) -> None:
        channel = self.config["channel"]
        sink.report("connected")
        while not stop.is_set():
            pending = CHANNELS.get(channel, [])
            if not pending:
                stop.wait(0.02)
                continue
            message = pending[0]
            sink.accept(RawEvent(idempotency_key=f"msg:{message['seq']}", payload=message))
            ACKED.setdefault(channel, []).append(message["seq"])  # acknowledged only after it is stored
            pending.pop(0)

    def normalize(self, event: Any) -> TicketDraft:
        return TicketDraft(title=event.payload["title"], correlation_key=event.payload.get("key"))


class ChannelPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [ChannelListener]
