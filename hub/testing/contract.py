"""The contract every connector must pass, as one line in its own tests::

    from hub.testing import connector_test_class
    TestAcme = connector_test_class(AcmeConnector, config={...}, events=[RawEvent(...)])

The generated class runs the standard checks: metadata complete; schema valid with
secrets flagged; bad config rejected with field errors; the connection check answers or
raises a typed error; events normalize to valid drafts; a re-delivered event changes
nothing; a repeated push makes no second record; failures map to the error taxonomy;
state survives a JSON round trip and a resumed poll repeats nothing.

``config`` (and the other arguments) may be callables taking pytest's ``request``, so a
config can point at a fixture's test server: ``config=lambda request: {"url":
request.getfixturevalue("acme_server").url}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.sdk.connector import (
    Connector,
    ListenerSource,
    PollingSource,
    Pusher,
    WebhookSource,
)
from hub.sdk.values import DRAFT_ACTIONS, EventInfo, InstanceInfo, OutboundMessage, RawEvent, TicketDraft, TicketInfo

SLUG = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
VERSION = re.compile(r"^\d+(\.\d+)*([ab]|rc)?\d*(\.post\d+)?(\.dev\d+)?$")
LEVELS = (None, "low", "medium", "high")
Value = Any


def _resolve(value: Value, request: pytest.FixtureRequest) -> Any:
    return value(request) if callable(value) else value


def instance_for(connector_cls: type[Connector], config: dict[str, Any]) -> InstanceInfo:
    return InstanceInfo(id=1, slug=f"{connector_cls.slug}-contract", name="contract test",
                        connector=connector_cls.slug, enabled=True, department=None, config=config)


def build(connector_cls: type[Connector], config: dict[str, Any], state: dict[str, Any] | None = None) -> Connector:
    loaded = dict(connector_cls.config_schema().load(config))
    return connector_cls(instance=instance_for(connector_cls, loaded), config=loaded, state=state or {},
                         allow_private_urls=True)


def event_info(raw: RawEvent, ident: int = 1) -> EventInfo:
    return EventInfo(id=ident, instance_id=1, idempotency_key=raw.idempotency_key, received_at=datetime.now(UTC),
                     payload=raw.payload, body=raw.body, content_type=raw.content_type, meta=dict(raw.meta))


def sample_ticket() -> TicketInfo:
    now = datetime.now(UTC)
    return TicketInfo(
        id=1, ref="INC-000001", kind="incident", title="Contract test ticket", description="Made by the contract test.",
        status="new", impact="medium", urgency="medium", priority=3, department=None, category=None, ci=None,
        group=None, assignee=None, requester_name="Test Requester", requester_email="requester@example.org",
        source="api", source_instance_id=None, correlation_key=None, occurrence_count=1, tags=[], custom_fields={},
        change_type=None, risk=None, planned_start=None, planned_end=None, created_at=now, updated_at=now,
        acknowledged_at=None, first_response_at=None, resolved_at=None, closed_at=None, response_due_at=None,
        resolve_due_at=None, version=1,
    )


def default_push_message() -> OutboundMessage:
    return OutboundMessage(id=1, action="create", payload={}, idempotency_key="contract-push-1", attempt=1,
                           ticket=sample_ticket(), link=None)


def check_draft(draft: Any) -> list[str]:
    """What is wrong with a draft a connector produced (empty when it is valid)."""
    if not isinstance(draft, TicketDraft):
        return [f"normalize returned {type(draft).__name__}, not a TicketDraft"]
    problems = []
    if draft.action not in DRAFT_ACTIONS:
        problems.append(f"action {draft.action!r} is not one of {DRAFT_ACTIONS}")
    if draft.kind not in ("incident", "change"):
        problems.append(f"kind {draft.kind!r}")
    for name in ("impact", "urgency"):
        if getattr(draft, name) not in LEVELS:
            problems.append(f"{name} {getattr(draft, name)!r} is not low, medium or high")
    if draft.priority is not None and draft.priority not in (1, 2, 3, 4, 5):
        problems.append(f"priority {draft.priority!r}")
    if draft.action == "open" and not (isinstance(draft.title, str) and draft.title.strip()):
        problems.append("an 'open' draft needs a title")
    if draft.action == "ignore" and not draft.reason:
        problems.append("an 'ignore' draft should say why (reason)")
    try:
        json.dumps(draft.custom_fields)
        json.dumps(draft.extra, default=str)
    except (TypeError, ValueError) as exc:
        problems.append(f"custom_fields/extra are not JSON: {exc}")
    return problems


def _drafts(result: Any) -> list[Any]:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]


def _overrides(connector_cls: type[Connector], method: str) -> bool:
    for base in connector_cls.__mro__:
        if method in vars(base):
            return base not in (Connector, WebhookSource, PollingSource, ListenerSource, Pusher)
    return False


@dataclass(frozen=True)
class ContractArgs:
    """What a connector's contract was given (see :func:`connector_test_class`)."""

    config: Value
    events: Value = None
    bad_config: Value = None
    push_messages: Value = None
    fault_config: Value = None
    connection_ok: bool = True
    state: Value = None


def connector_test_class(
    connector_cls: type[Connector],
    *,
    config: Value,
    events: Value = None,
    bad_config: Value = None,
    push_messages: Value = None,
    fault_config: Value = None,
    connection_ok: bool = True,
    state: Value = None,
) -> type:
    """A pytest class with the standard connector checks.

    ``events``: RawEvents as the source delivers them (required for sources, unless the
    connector is a PollingSource and ``poll`` yields some with ``config``).
    ``bad_config``: a config that must be refused (default ``{}``).
    ``push_messages``: OutboundMessages to push (default: one create of a sample ticket).
    ``fault_config``: for connectors that do not speak HTTP, a config under which the
    remote is unreachable; the connector must then raise a ConnectorError.
    ``connection_ok``: whether ``check_connection`` must succeed with ``config``.
    """
    from hub.testing.checks import ConnectorChecks  # the checks use this module's helpers

    given = ContractArgs(config=config, events=events, bad_config=bad_config, push_messages=push_messages,
                         fault_config=fault_config, connection_ok=connection_ok, state=state)
    name = f"Test{connector_cls.__name__}Contract"
    return type(name, (ConnectorChecks,), {"cls": connector_cls, "given": given, "__qualname__": name})


def names_of_checks() -> Iterable[str]:
    from hub.testing.checks import ConnectorChecks

    return [name for name in vars(ConnectorChecks) if name.startswith("test_")]
