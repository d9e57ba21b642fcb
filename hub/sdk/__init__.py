"""The connector SDK: what a connector author imports.

    from hub.sdk import PollingSource, Pusher, ConfigSchema, secret, TicketDraft, RawEvent

``__version__`` is the SDK's own version (semantic versioning, apart from the hub's):
the major number changes when a name here, in a hub.sdk submodule or in hub.hookspecs is
removed or changes incompatibly; the minor number when one is added; the patch number
for fixes. A connector package can require it (``hub.sdk.require("1.2")`` at import).
"""

__version__ = "1.4.0"

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
from hub.sdk.references import MissingReference, OrgReference
from hub.sdk.schedules import Schedule
from hub.sdk.schema import ConfigSchema, FieldInfo, describe, secret
from hub.sdk.values import (
    Attachment,
    AttachmentInfo,
    CommentInfo,
    CustomFieldInfo,
    DepartmentInfo,
    EventInfo,
    GroupInfo,
    IngestResult,
    InstanceInfo,
    LinkInfo,
    NotificationInfo,
    OutboundMessage,
    PersonInfo,
    PublicCredential,
    PushResult,
    RawEvent,
    ServicePoint,
    TicketDraft,
    TicketFigures,
    TicketInfo,
    TrendFigures,
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
    "CustomFieldInfo",
    "DepartmentInfo",
    "EventInfo",
    "EventSink",
    "FatalError",
    "FieldInfo",
    "GroupInfo",
    "HttpClient",
    "IngestResult",
    "InstanceInfo",
    "LinkInfo",
    "ListenerSource",
    "MissingReference",
    "NotificationInfo",
    "OrgReference",
    "OutboundMessage",
    "PersonInfo",
    "PollResult",
    "PollingSource",
    "PublicCredential",
    "PushResult",
    "Pusher",
    "RawEvent",
    "RetriableError",
    "Schedule",
    "ServicePoint",
    "SkippableError",
    "TicketDraft",
    "TicketFigures",
    "TicketInfo",
    "TrendFigures",
    "WebhookRequest",
    "WebhookSource",
    "__version__",
    "check_url",
    "describe",
    "error_for_status",
    "parse_retry_after",
    "require",
    "secret",
]


def require(minimum: str) -> None:
    """Fail at import, naming both versions, when this SDK is older than ``minimum``
    ("1.2" or "1.2.0") or of another major version."""
    have = tuple(int(part) for part in __version__.split("."))
    try:
        want = tuple(int(part) for part in minimum.split("."))
    except ValueError:
        raise ValueError(f"hub.sdk.require: {minimum!r} is not a version like '1.2'") from None
    want = (*want, 0, 0, 0)[:3]
    if want[0] != have[0] or want > have:
        raise ImportError(f"this package needs hub.sdk {minimum} (same major version, at least that); "
                          f"the installed hub has hub.sdk {__version__}")
