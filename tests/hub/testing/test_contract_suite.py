"""The contract suite can fail: one deliberately broken connector per check.

Each broken connector differs from a good one in one way; running the generated classes
with pytester shows exactly the matching check failing and every other one passing.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

MODULE = r'''
import json
import threading
import uuid
from datetime import datetime

import pytest
from flask import Flask, jsonify, request
from marshmallow import fields, validate
from werkzeug.serving import make_server

from hub.sdk import (ConfigSchema, Checkpoint, PollingSource, Pusher, PushResult, RawEvent, RetriableError,
                     TicketDraft, secret)
from hub.testing import connector_test_class


def remote_app():
    app = Flask("remote")
    app.items = [{"id": n, "title": f"Item {n}"} for n in range(1, 4)]
    app.created = {}

    @app.get("/items")
    def items():
        after = int(request.args.get("after", 0))
        return jsonify([item for item in app.items if item["id"] > after])

    @app.post("/items")
    def create():
        key = request.headers.get("Idempotency-Key") or uuid.uuid4().hex
        app.created.setdefault(key, f"R-{len(app.created) + 1}")
        return jsonify({"id": app.created[key]}), 201

    @app.get("/ping")
    def ping():
        return "pong"

    return app


@pytest.fixture
def remote():
    server = make_server("127.0.0.1", 0, remote_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class GoodConfig(ConfigSchema):
    url = fields.String(required=True, metadata={"title": "URL", "description": "Base URL of the remote."})
    api_token = secret(load_default="t", title="API token", description="Sent as a bearer token.")


class Good(PollingSource, Pusher):
    slug = "good"
    title = "Good"
    version = "1.0.0"
    description = "Polls items and pushes tickets."
    config_schema = GoodConfig

    def client(self):
        return self.http(self.config["url"])

    def check_connection(self):
        self.client().get("/ping")
        return "pong"

    def key(self, item):
        return f"item:{item['id']}"

    def checkpoint(self, item):
        return {"after": item["id"]}

    def poll(self, state):
        for item in self.client().get("/items", params={"after": state.get("after", 0)}).json():
            yield RawEvent(idempotency_key=self.key(item), payload=item)
            yield Checkpoint(self.checkpoint(item))

    def normalize(self, event):
        return TicketDraft(title=event.payload["title"], impact="high")

    def push(self, message):
        response = self.client().post("/items", json={"title": message.ticket.title},
                                      headers=self.push_headers(message))
        return PushResult(external_id=response.json()["id"])

    def push_headers(self, message):
        return {"Idempotency-Key": message.idempotency_key}


class NoDescription(Good):
    description = ""


class PlainToken(Good):
    class config_schema(ConfigSchema):
        url = fields.String(required=True, metadata={"title": "URL", "description": "Base URL."})
        api_token = fields.String(load_default="t", metadata={"title": "Token", "description": "Bearer token."})


class AcceptsAnything(Good):
    class config_schema(ConfigSchema):
        class Meta:
            unknown = "exclude"
        url = fields.String(load_default="http://127.0.0.1:1", metadata={"title": "URL", "description": "Base."})
        api_token = secret(load_default="t", title="API token", description="Bearer.")


class CrashingCheck(Good):
    def check_connection(self):
        raise ValueError("forgot to handle this")


class BadDrafts(Good):
    def normalize(self, event):
        return TicketDraft(title=event.payload["title"], impact="critical")


class RandomKeys(Good):
    def key(self, item):
        return uuid.uuid4().hex


class PushesTwice(Good):
    def push_headers(self, message):
        return {}


class SwallowsErrors(Good):
    def poll(self, state):
        try:
            yield from super().poll(state)
        except Exception:
            return


class StateNotJson(Good):
    def checkpoint(self, item):
        return {"after": item["id"], "at": datetime(2026, 1, 1)}


def config(request):
    return {"url": request.getfixturevalue("remote")}


for cls in (Good, NoDescription, PlainToken, AcceptsAnything, CrashingCheck, BadDrafts, RandomKeys, PushesTwice,
            SwallowsErrors, StateNotJson):
    globals()[f"Test{cls.__name__}"] = connector_test_class(cls, config=config)
'''

EXPECTED_FAILURE = {
    "Good": None,
    "NoDescription": "test_metadata_complete",
    "PlainToken": "test_schema_valid_with_secrets_flagged",
    "AcceptsAnything": "test_bad_config_rejected_with_field_errors",
    "CrashingCheck": "test_connection_check",
    "BadDrafts": "test_events_normalize_to_valid_drafts",
    "RandomKeys": "test_redelivery_is_idempotent",
    "PushesTwice": "test_push_is_idempotent",
    "SwallowsErrors": "test_errors_map_to_taxonomy",
    "StateNotJson": "test_state_round_trips",
}


def test_each_check_fails_for_its_broken_connector(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_contracts=MODULE)
    # A subprocess: an in-process run would unload and reload modules (cryptography's
    # bindings do not survive that).
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "-W", "error")
    report: dict[str, dict[str, str]] = {}
    for line in result.outlines:
        outcome, _, nodeid = line.partition(" ")
        if outcome not in ("PASSED", "FAILED", "SKIPPED", "ERROR") or "::" not in nodeid:
            continue
        cls_name, test_name = nodeid.split(" ")[0].split("::")[1:3]
        report.setdefault(cls_name.removeprefix("Test"), {})[test_name] = outcome.lower()
    assert set(report) == set(EXPECTED_FAILURE), report.keys()
    for connector, failing in EXPECTED_FAILURE.items():
        failed = sorted(test for test, outcome in report[connector].items() if outcome in ("failed", "error"))
        assert failed == ([failing] if failing else []), (connector, report[connector])
