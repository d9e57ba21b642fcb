"""The connector SDK: what a connector author imports.

    from hub.sdk import PollingSource, Pusher, ConfigSchema, secret, TicketDraft, RawEvent
"""

from hub.sdk.connector import (
    Checkpoint,
    Connector,
    EventSink,
    ListenerSource,
    PollingSource,
    PollResult,
    Pusher,
    WebhookRequest,
    WebhookSource,
)
from hub.sdk.errors import (
    AuthenticationError,
    ConnectorError,
    FatalError,
    RetriableError,
    SkippableError,
    error_for_status,
    parse_retry_after,
)
from hub.sdk.http import HttpClient, check_url
from hub.sdk.schema import ConfigSchema, FieldInfo, describe, secret
from hub.sdk.values import (
    Attachment,
    AttachmentInfo,
    CommentInfo,
    EventInfo,
    InstanceInfo,
    LinkInfo,
    OutboundMessage,
    PushResult,
    RawEvent,
    TicketDraft,
    TicketInfo,
)

__all__ = [
    "Attachment",
    "AttachmentInfo",
    "AuthenticationError",
    "Checkpoint",
    "CommentInfo",
    "ConfigSchema",
    "Connector",
    "ConnectorError",
    "EventInfo",
    "EventSink",
    "FatalError",
    "FieldInfo",
    "HttpClient",
    "InstanceInfo",
    "LinkInfo",
    "ListenerSource",
    "OutboundMessage",
    "PollResult",
    "PollingSource",
    "PushResult",
    "Pusher",
    "RawEvent",
    "RetriableError",
    "SkippableError",
    "TicketDraft",
    "TicketInfo",
    "WebhookRequest",
    "WebhookSource",
    "check_url",
    "describe",
    "error_for_status",
    "parse_retry_after",
    "secret",
]
