"""The standard connector checks behind :func:`hub.testing.connector_test_class`.

Each check is a test method of :class:`ConnectorChecks`; the one-line contract makes a
subclass that names the connector and holds what it was given (``given``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import marshmallow as ma
import pytest
import requests

from hub.sdk.connector import Checkpoint, Connector, PollingSource, PollResult, Pusher, WebhookRequest
from hub.sdk.errors import AuthenticationError, ConnectorError, FatalError, RetriableError, SkippableError
from hub.sdk.schema import ConfigSchema, describe, looks_secret
from hub.sdk.values import RawEvent
from hub.testing.contract import (
    SLUG,
    VERSION,
    ContractArgs,
    _drafts,
    _overrides,
    _resolve,
    build,
    check_draft,
    default_push_message,
    event_info,
)


class _FaultTransport(requests.adapters.BaseAdapter):
    """Answers every request with one failure, to see how the connector reports it."""

    def __init__(self, status: int | None, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.status, self.headers, self.calls = status, headers or {}, 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.calls += 1
        if self.status is None:
            raise requests.ConnectionError("contract test: connection refused")
        response = requests.Response()
        response.status_code = self.status
        response.headers.update({"Content-Type": "application/json", **self.headers})
        response._content = b'{"error": "contract test"}'
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


FAULTS: tuple[tuple[int | None, dict[str, str], Any], ...] = (
    (429, {"Retry-After": "7"}, RetriableError),
    (503, {}, RetriableError),
    (401, {}, AuthenticationError),
    (400, {}, (FatalError, SkippableError)),
    (None, {}, RetriableError),
)


def _network_operation(connector: Connector) -> Callable[[], Any]:
    """The first thing the connector does that talks to its remote."""
    if isinstance(connector, PollingSource):
        poller = connector
        return lambda: list(poller.poll(dict(poller.state)))
    if isinstance(connector, Pusher):
        pusher = connector
        return lambda: pusher.push(default_push_message())
    return connector.check_connection


class ConnectorChecks:
    """The standard checks; :func:`hub.testing.contract.connector_test_class` makes a
    subclass per connector, with what it was given in ``given``."""

    cls: ClassVar[type[Connector]] = Connector
    given: ClassVar[ContractArgs]

    # -- metadata and configuration -----------------------------------------------

    def test_metadata_complete(self) -> None:
        cls = self.cls
        assert SLUG.match(cls.slug or ""), f"slug {cls.slug!r}: lower-case letters, digits, - or _"
        assert cls.title.strip(), "title is empty"
        assert cls.description.strip(), "description is empty"
        assert VERSION.match(cls.version or ""), f"version {cls.version!r} is not a PEP 440 version"
        capabilities = cls.capabilities()
        assert capabilities, "subclass WebhookSource, PollingSource, ListenerSource or Pusher"
        needed = {"webhook": "receive", "poll": "poll", "listen": "listen", "push": "push"}
        for capability in capabilities:
            assert _overrides(cls, needed[capability]), f"{capability} declared but {needed[capability]} missing"
        if set(capabilities) & {"webhook", "poll", "listen"}:
            assert _overrides(cls, "normalize"), "a source must implement normalize"

    def test_schema_valid_with_secrets_flagged(self, request: pytest.FixtureRequest) -> None:
        schema = self.cls.config_schema
        assert issubclass(schema, ConfigSchema), "config_schema must subclass hub.sdk.ConfigSchema"
        for info in describe(schema):
            assert info.title, f"field {info.name!r} has no title (metadata={{'title': ...}})"
            assert info.description, f"field {info.name!r} has no description"
            if looks_secret(info.name):
                assert info.secret, f"field {info.name!r} looks secret: declare it with hub.sdk.secret()"
        try:
            schema().load(_resolve(self.given.config, request))
        except ma.ValidationError as exc:
            pytest.fail(f"the contract's config does not load: {exc.messages}")

    def test_bad_config_rejected_with_field_errors(self, request: pytest.FixtureRequest) -> None:
        bad = _resolve(self.given.bad_config, request)
        bad = {} if bad is None else bad
        if bad == {} and not any(info.required for info in describe(self.cls.config_schema)):
            bad = {"not_a_field_of_this_connector": 1}
        with pytest.raises(ma.ValidationError) as caught:
            self.cls.config_schema().load(bad)
        messages = caught.value.messages
        assert isinstance(messages, dict) and messages, "errors must name the fields"
        assert all(isinstance(name, str) and name != "_schema" for name in messages), \
            f"errors must be per field, got {messages}"

    # -- connection -----------------------------------------------------------------

    def test_connection_check(self, request: pytest.FixtureRequest) -> None:
        connector = build(self.cls, _resolve(self.given.config, request))
        try:
            result = connector.check_connection()
        except ConnectorError as exc:
            if self.given.connection_ok:
                pytest.fail(f"check_connection failed with the contract's config: {exc.kind}: {exc.message}")
            return
        except Exception as exc:
            pytest.fail(f"check_connection raised {type(exc).__name__} instead of a hub.sdk error: {exc}")
        finally:
            connector.close()
        assert isinstance(result, str) and result, "check_connection must say what it reached"

    # -- events ---------------------------------------------------------------------

    def _events(self, request: pytest.FixtureRequest) -> list[RawEvent]:
        given = _resolve(self.given.events, request)
        if given is not None:
            return list(given)
        if issubclass(self.cls, PollingSource):
            connector = build(self.cls, _resolve(self.given.config, request), _resolve(self.given.state, request))
            assert isinstance(connector, PollingSource)
            try:
                return [item for item in connector.poll(dict(connector.state)) if isinstance(item, RawEvent)]
            finally:
                connector.close()
        return []

    def test_events_normalize_to_valid_drafts(self, request: pytest.FixtureRequest) -> None:
        if not set(self.cls.capabilities()) & {"webhook", "poll", "listen"}:
            pytest.skip("not a source")
        raws = self._events(request)
        assert raws, "give events=[RawEvent(...)] (or make poll yield some) so normalize can be checked"
        connector = build(self.cls, _resolve(self.given.config, request))
        try:
            for index, raw in enumerate(raws, start=1):
                assert isinstance(raw, RawEvent), f"event {index} is {type(raw).__name__}, not a RawEvent"
                assert raw.idempotency_key, f"event {index} has no idempotency key"
                json.dumps(raw.payload)
                json.dumps(raw.meta, default=str)
                try:
                    drafts = _drafts(connector.normalize(event_info(raw, index)))
                except SkippableError:
                    continue  # a deliberate quarantine is a valid answer
                for draft in drafts:
                    problems = check_draft(draft)
                    assert not problems, f"event {index}: {'; '.join(problems)}"
        finally:
            connector.close()

    def test_redelivery_is_idempotent(self, request: pytest.FixtureRequest, hub_contract_app: Any) -> None:
        """The source delivers the same events again (a poll repeated after a crash, a
        webhook retried): nothing new may be stored or opened."""
        if not set(self.cls.capabilities()) & {"webhook", "poll", "listen"}:
            pytest.skip("not a source")
        first_batch = self._events(request)
        assert first_batch, "give events=[RawEvent(...)] so re-delivery can be checked"
        second_batch = self._events(request)
        _, second = hub_contract_app.ingest_twice(self.cls, _resolve(self.given.config, request), first_batch,
                                                      second_batch)
        assert all(r.duplicate for r in second), \
            "a re-delivered event was stored again: its idempotency key must not change between deliveries"
        assert hub_contract_app.ticket_count_after_first == hub_contract_app.ticket_count_after_second

    # -- push -----------------------------------------------------------------------

    def test_push_is_idempotent(self, request: pytest.FixtureRequest) -> None:
        if not issubclass(self.cls, Pusher):
            pytest.skip("does not push")
        messages = _resolve(self.given.push_messages, request) or [default_push_message()]
        connector = build(self.cls, _resolve(self.given.config, request))
        assert isinstance(connector, Pusher)
        try:
            for message in messages:
                first = connector.push(message)
                again = connector.push(message)
                assert first.external_id == again.external_id, \
                    f"pushing {message.idempotency_key} twice gave {first.external_id} then {again.external_id}"
        finally:
            connector.close()

    # -- errors ---------------------------------------------------------------------

    def test_errors_map_to_taxonomy(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
        remote = set(self.cls.capabilities()) & {"poll", "push", "listen"}
        if not remote and self.given.fault_config is None:
            # A pure webhook receiver has no remote to fail; an unsigned, empty post must
            # be refused with a typed error (401 or 422 to the sender), never a crash.
            connector = build(self.cls, _resolve(self.given.config, request))
            empty = WebhookRequest(method="POST", headers={}, body=b"", query={}, remote_addr="127.0.0.1",
                                   received_at=datetime.now(UTC))
            try:
                with pytest.raises((AuthenticationError, SkippableError)):
                    connector.receive(empty)  # type: ignore[attr-defined]
            finally:
                connector.close()
            return
        if self.given.fault_config is not None:
            connector = build(self.cls, _resolve(self.given.fault_config, request))
            try:
                with pytest.raises(ConnectorError):
                    _network_operation(connector)()
            finally:
                connector.close()
            return
        for status, headers, expected in FAULTS:
            transport = _FaultTransport(status, headers)
            monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url, t=transport: t)
            monkeypatch.setattr("time.sleep", lambda seconds: None)
            connector = build(self.cls, _resolve(self.given.config, request), _resolve(self.given.state, request))
            try:
                _network_operation(connector)()
            except expected as exc:
                if status == 429:
                    assert exc.retry_after == 7, "Retry-After must be honoured (hub.sdk.parse_retry_after)"
            except Exception as exc:
                pytest.fail(f"HTTP {status or 'connection error'}: raised {type(exc).__name__} ({exc}); "
                            f"expected {expected}")
            else:
                if transport.calls:
                    pytest.fail(f"HTTP {status or 'connection error'} was swallowed; raise {expected}")
                pytest.fail("the connector made no HTTP request; pass fault_config= for a non-HTTP remote")
            finally:
                connector.close()
            monkeypatch.undo()

    # -- state ----------------------------------------------------------------------

    def test_state_round_trips(self, request: pytest.FixtureRequest) -> None:
        start = _resolve(self.given.state, request) or {}
        connector = build(self.cls, _resolve(self.given.config, request), start)
        try:
            assert json.loads(json.dumps(connector.state)) == connector.state, "state must be plain JSON"
            if not isinstance(connector, PollingSource):
                return
            saved, seen = dict(start), []
            for item in connector.poll(dict(start)):
                if isinstance(item, Checkpoint):
                    saved = item.state
                    assert json.loads(json.dumps(saved)) == saved, "a checkpoint's state must be plain JSON"
                elif isinstance(item, RawEvent):
                    seen.append(item.idempotency_key)
                elif not isinstance(item, PollResult):
                    pytest.fail(f"poll yielded {type(item).__name__}")
        finally:
            connector.close()
        resumed = build(self.cls, _resolve(self.given.config, request), saved)
        assert isinstance(resumed, PollingSource)
        try:
            again = [item.idempotency_key for item in resumed.poll(json.loads(json.dumps(saved)))
                     if isinstance(item, RawEvent)]
        finally:
            resumed.close()
        repeated = sorted(set(again) & set(seen))
        assert not repeated, f"after resuming from the saved state, poll yielded again: {repeated}"
