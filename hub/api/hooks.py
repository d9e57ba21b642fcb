"""POST /api/v1/hooks/<instance>: events from any webhook connector, stored before answering.

The route is generic: it finds the instance, asks its connector (a WebhookSource) to
authenticate the request and split it into events, stores each raw event and applies it
in the same transaction, and answers:

- 201 with the ticket when the event opened one,
- 200 when it was applied to an existing ticket or repeats an event already stored,
- 202 when it was stored but not applied (ignored, quarantined with a reason),
- 401 with the reason when the signature or token is wrong, too old or replayed,
- 503 with the reason when the connector's plugin is installed but not enabled,
- 409 when an idempotency key already stored comes with other content (nothing is stored).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, cast

from flask import Blueprint, jsonify, request, url_for
from werkzeug.exceptions import NotFound

from hub.api.context import runtime, unit_of_work
from hub.api.presenters import PLURAL
from hub.api.problems import problem
from hub.auth.web import public
from hub.ingest.pipeline import IngestResult, RedoCarefully, ingest, store_events
from hub.jobs.reader import wake_reader
from hub.plugins.connector_services import ConnectorServices
from hub.plugins.instances import get_instance, instance_info, plugin_not_enabled
from hub.sdk.connector import WebhookRequest, WebhookSource
from hub.sdk.errors import AuthenticationError, ConnectorError
from hub.sdk.tracker_errors import NotFound as TrackerNotFound
from hub.sdk.values import InstanceInfo
from hub.tracker.states import kind_of_ref

bp = Blueprint("hooks", __name__, url_prefix="/api/v1/hooks")

def _status(results: list[IngestResult]) -> int:
    if any(result.action == "created" and not result.duplicate for result in results):
        return 201
    if any(result.status == "applied" or result.duplicate for result in results):
        return 200
    return 202


class _Refused(Exception):
    """Raised inside the unit of work so that it rolls back, then answered as a problem."""

    def __init__(self, status: int, title: str, detail: str, kind: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.kind = status, title, detail, kind


@bp.errorhandler(_Refused)
def refused(exc: _Refused) -> Any:
    headers = {"WWW-Authenticate": 'HMAC realm="itsm-hub"'} if exc.status == 401 else None
    return problem(exc.status, exc.title, exc.detail, kind=exc.kind, headers=headers)


#: How long a process trusts what it read of an instance (config, secrets, switch): the
#: webhook path then needs no query for it. An admin's change applies within this time.
INSTANCE_CACHE_SECONDS = 2.0


def _webhook_connector(session: Any, slug: str) -> tuple[InstanceInfo, WebhookSource]:
    hub = runtime()
    cache = hub.caches.setdefault("webhook_instances", {})
    hit = cache.get(slug)
    if hit is None or time.monotonic() - hit[0] >= INSTANCE_CACHE_SECONDS:
        try:
            instance = get_instance(session, slug)
        except TrackerNotFound:
            raise NotFound(f"No webhook instance {slug!r}.") from None
        config = {**(instance.config or {}), **hub.secrets.open(instance.secrets)}
        hit = (time.monotonic(), instance_info(session, instance), config)
        cache[slug] = hit
    info, config = hit[1], hit[2]
    cls = hub.plugins.connectors.get(info.connector)
    switched_off = plugin_not_enabled(hub, info.connector)
    if switched_off and cls is not None and issubclass(cls, WebhookSource):
        raise _Refused(503, "Plugin not enabled", switched_off, "plugin-not-enabled")
    if cls is None or not issubclass(cls, WebhookSource) or not info.enabled:
        raise NotFound(f"No enabled webhook instance {slug!r}.")
    connector = cls(instance=info, config=config, state={}, services=ConnectorServices(session, info.id),
                    allow_private_urls=bool(hub.settings.get("ALLOW_PRIVATE_URLS")))
    return info, connector


def _received(connector: WebhookSource) -> list[Any]:
    """Let the connector authenticate and split the request; refusals become problems."""
    incoming = WebhookRequest(
        method=request.method, headers=cast(Mapping[str, str], request.headers), body=request.get_data(cache=False),
        query=request.args, remote_addr=request.remote_addr, received_at=runtime().now(),
        content_type=request.content_type or "",
    )
    try:
        return connector.receive(incoming)
    except AuthenticationError as exc:
        raise _Refused(401, "Unauthorized", exc.message, "webhook-authentication") from None
    except ConnectorError as exc:
        raise _Refused(422, "Unreadable event", exc.message, "webhook-unreadable") from None


@bp.post("/<slug>/bulk")
@public
def receive_bulk(slug: str) -> Any:
    """Many events at once (NDJSON, up to 10,000 lines): stored in one transaction and
    answered 202; workers read and apply them in batches."""
    with unit_of_work() as session:
        instance, connector = _webhook_connector(session, slug)
        try:
            raws = _received(connector)
        finally:
            connector.close()
        stored = store_events(session, instance.id, raws, refuse_changed=True)
    ids = sorted(stored.values())
    if ids:
        # The instance's reader reads them in arrival order, batches of new tickets beside a
        # helper (hub.jobs.reader); Redis being away only delays it: housekeeping finds them.
        from hub.jobs.reader import wake_reader

        wake_reader(runtime(), instance.id)
    response = jsonify(accepted=len(ids), duplicates=len(raws) - len(ids), events=len(raws),
                       first_event_id=ids[0] if ids else None)
    response.status_code = 202
    return response


def _ingest_request(slug: str, raws: list[Any], *, alone: bool) -> tuple[InstanceInfo, bool, list[IngestResult]]:
    """Store and read the request's events in one transaction. ``alone`` (tried first): a
    request of one event reads it without a savepoint (hub.ingest.pipeline, RedoCarefully).
    ``raws`` is filled with the events the connector found, so that a second try reuses them
    (the body is read once; a connector that remembers signatures would refuse it again)."""
    with unit_of_work() as session:
        instance, connector = _webhook_connector(session, slug)
        try:
            raws[:] = raws or _received(connector)
            deferred = connector.defers_reading()
            # The sender chooses the keys: one that comes back with other content is a 409.
            results = [ingest(session=session, instance=instance, connector=connector, raw=raw, process=not deferred,
                              refuse_changed=True, alone=alone and len(raws) == 1) for raw in raws]
        finally:
            connector.close()
    return instance, deferred, results


@bp.post("/<slug>")
@public
def receive(slug: str) -> Any:
    raws: list[Any] = []
    try:
        instance, deferred, results = _ingest_request(slug, raws, alone=True)
    except RedoCarefully:  # rolled back, the stored event with it: again with a savepoint
        instance, deferred, results = _ingest_request(slug, raws, alone=False)
    if deferred and any(result.status == "received" and not result.duplicate for result in results):
        wake_reader(runtime(), instance.id)
    if not results:
        return problem(422, "Unreadable event", "The request carried no event.", kind="webhook-unreadable")
    body: dict[str, Any] = results[0].as_dict() if len(results) == 1 else {"events": [r.as_dict() for r in results]}
    response = jsonify(body)
    response.status_code = _status(results)
    if response.status_code == 201 and results[0].ticket_ref:
        kind = kind_of_ref(results[0].ticket_ref) or "incident"
        response.headers["Location"] = url_for(f"{PLURAL[kind]}.TicketItem", ref=results[0].ticket_ref)
    return response
