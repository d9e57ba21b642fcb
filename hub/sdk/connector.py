"""Base classes a connector subclasses. The framework owns everything around them.

A connector declares what it is (``slug``, ``title``, ``version``, ``description``,
``config_schema``) and implements a few methods. Which base classes it derives from says
what it can do:

- :class:`WebhookSource`: the hub receives HTTP posts for it at
  ``POST /api/v1/hooks/<instance>`` and asks it to authenticate and split them;
- :class:`PollingSource`: the hub calls ``poll`` on a schedule, with the cursor it
  saved last time;
- :class:`ListenerSource`: the hub runs ``listen`` in a process of its own for as long
  as the instance is enabled (MQTT, OPC UA);
- :class:`Pusher`: the hub calls ``push`` to deliver a change to the remote system.

Every source implements ``normalize`` to say what a stored event means. The framework
stores each event raw before normalizing it, makes re-deliveries harmless (one event per
idempotency key), saves cursors in the same transaction as the events they cover,
retries with backoff, dead-letters, and records every run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from hub.sdk.http import HttpClient
from hub.sdk.schema import ConfigSchema
from hub.sdk.values import (
    EventInfo,
    InstanceInfo,
    OutboundMessage,
    PublicCredential,
    PushResult,
    RawEvent,
    TicketDraft,
)


@dataclass
class WebhookRequest:
    """An HTTP post to an instance's webhook, as the connector sees it."""

    method: str
    headers: Mapping[str, str]
    """Case-insensitive."""
    body: bytes
    query: Mapping[str, str]
    remote_addr: str | None
    received_at: datetime
    content_type: str = ""

    def json(self) -> Any:
        """The body as JSON, read within hub.sdk.safe_json's limits (ValueError if unreadable)."""
        from hub.sdk.safe_json import parse_json

        return parse_json(self.body.decode("utf-8"))


@dataclass
class Checkpoint:
    """Yielded by ``poll``: the cursor after the events yielded so far.

    The framework commits the events before it and this state together, so a crash
    never skips an event and a restart resumes from the last checkpoint.
    """

    state: dict[str, Any]


@dataclass
class PollResult:
    """Counts a poll may report besides its events (records the remote had but the
    connector skipped on purpose, for example)."""

    skipped: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class EventSink:
    """Where a listener hands its events; ``accept`` returns once the event is stored."""

    def accept(self, event: RawEvent) -> Any:  # pragma: no cover - implemented by the framework
        raise NotImplementedError

    def accept_many(self, events: list[RawEvent]) -> Any:
        return [self.accept(event) for event in events]

    def report(self, state: str, detail: str = "") -> None:
        """Tell the hub how the connection is (``connected``, ``disconnected``, ``error``)."""


class Connector:
    """Base of every connector. Subclass one or more of the capability classes below."""

    slug: ClassVar[str] = ""
    """Unique, lower-case, URL-safe name, e.g. ``servicenow``."""
    title: ClassVar[str] = ""
    version: ClassVar[str] = "0.0.0"
    description: ClassVar[str] = ""
    config_schema: ClassVar[type[ConfigSchema]] = ConfigSchema
    default_poll_interval: ClassVar[int | None] = None
    """Seconds between polls when the admin sets none (PollingSource)."""
    sends_mail: ClassVar[bool] = False
    """A Pusher that delivers outbox messages with action ``mail`` (payload: to, cc,
    subject, body, template, context) to people; hub.delivery.notifications picks such an instance."""

    def __init__(
        self,
        *,
        instance: InstanceInfo,
        config: Mapping[str, Any],
        state: Mapping[str, Any] | None = None,
        allow_private_urls: bool = False,
        services: Any = None,
    ) -> None:
        self.instance = instance
        self.config: dict[str, Any] = dict(config)
        """Validated settings, secrets included (decrypted for this use only)."""
        self.state: dict[str, Any] = dict(state or {})
        self.allow_private_urls = allow_private_urls
        self.services = services
        """Framework helpers for this instance while it receives a webhook: ``now()`` and
        ``is_replay(digest, idempotency_key, window_seconds)`` (a signature already used for
        another event within the window). None outside a request."""
        self.log = logging.getLogger(f"hub.connector.{self.slug}.{instance.slug}")

    # -- capabilities ------------------------------------------------------------------

    @classmethod
    def capabilities(cls) -> list[str]:
        names = []
        for base, name in ((WebhookSource, "webhook"), (PollingSource, "poll"), (ListenerSource, "listen"),
                           (Pusher, "push")):
            if issubclass(cls, base):
                names.append(name)
        return names

    def http(self, base_url: str = "", **kwargs: Any) -> HttpClient:
        """An HttpClient that honours the hub's URL policy."""
        kwargs.setdefault("allow_private", self.allow_private_urls)
        return HttpClient(base_url, **kwargs)

    @classmethod
    def public_credentials(cls, config: Mapping[str, Any]) -> list[PublicCredential]:
        """What the remote's admin must trust for this instance (a certificate the hub
        presents), from its stored settings without the secrets; the instance's admin
        page shows each with its facts and a download. None by default."""
        return []

    def check_connection(self) -> str:
        """Reach the remote with the configured credentials; return what was reached.

        Raise :class:`hub.sdk.errors.AuthenticationError` for refused credentials and
        another ConnectorError for anything else. The default has nothing to check.
        """
        return "nothing to check"

    def normalize(self, event: EventInfo) -> TicketDraft | list[TicketDraft] | None:
        """Say what a stored event means. Raise SkippableError to quarantine it."""
        return None

    def close(self) -> None:
        """Release connections. Called when the framework is done with this object."""


class WebhookSource(Connector):
    def receive(self, request: WebhookRequest) -> list[RawEvent]:
        """Authenticate a post and return the events in it.

        Raise AuthenticationError (answered 401 with its message) for a bad signature or
        token, SkippableError (answered 422) for a body that cannot be read at all.
        """
        raise NotImplementedError

    def defers_reading(self) -> bool:
        """True to answer 202 as soon as the events are stored, and read them in a worker.

        For noisy sources that need a fast acknowledgement more than the ticket's
        reference in the response: the hub takes several times more events per second
        this way, and a burst is read in batches. The default reads at once (201 with the ticket).
        """
        return False


class PollingSource(Connector):
    def poll(self, state: dict[str, Any]) -> Iterator[RawEvent | Checkpoint | PollResult]:
        """Yield new events since ``state``, with Checkpoints as the cursor advances."""
        raise NotImplementedError

    def reconcile_state(self, state: dict[str, Any]) -> dict[str, Any] | None:
        """The state a full re-read starts from, for the reconcile job; None (the default)
        means this source cannot re-read everything.

        A reconcile polls from this state once: versions already stored are recognised by
        their idempotency keys and cost nothing, and the checkpoints it passes are not
        saved, so the instance's own cursor stays where it was. Sync connectors whose
        empty state means "from the configured start" return ``{}``.
        """
        return None


class ListenerSource(Connector):
    def listen(self, sink: EventSink, stop: threading.Event) -> None:
        """Run until ``stop`` is set, handing each event to ``sink.accept`` and
        acknowledging it to the source only after ``accept`` returns."""
        raise NotImplementedError


class Pusher(Connector):
    pushes_state: ClassVar[bool] = False
    """True when each push brings the remote record to the ticket's state *as it is at
    delivery* (a sync connector), so a later message supersedes an earlier one. False (the
    default) when each message carries its own change (``payload``): then a dead letter
    holds the later messages of its record until it is replayed or discarded, so the remote
    never gets an older change after a newer one."""

    @classmethod
    def push_mode(cls, config: Mapping[str, Any]) -> str:
        """Which ticket changes this instance is sent: ``links`` (tickets linked to its
        records; the default), ``all`` (every change), or ``none``."""
        return "links"

    def push(self, message: OutboundMessage) -> PushResult:
        """Deliver one change. Must be idempotent on ``message.idempotency_key``:
        a retry after a timeout must not create a second remote record."""
        raise NotImplementedError


ConnectorFactory = Callable[..., Connector]
