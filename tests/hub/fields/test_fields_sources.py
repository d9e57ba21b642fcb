"""Custom fields from sources and extensions: a webhook mapping fills them in (custom:<name>),
a bad value from a source is left out with a note instead of losing the event, and the SDK
reads and sets them for a sync mapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.webhook.signing import sign
from hub.sdk import tracker
from hub.sdk.actors import Actor
from hub.sdk.tracker_errors import ValidationFailed
from tests.hub.fields.conftest import define_examples

SECRET = "s3cret-of-the-quality-lab-system"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


def post(app: Any, body: Any) -> Any:
    raw = json.dumps(body).encode()
    stamp, signature = sign(SECRET, raw, None)
    return app.test_client().post("/api/v1/hooks/lab", data=raw, headers={
        "X-Hub-Timestamp": stamp, "X-Hub-Signature-256": signature, "Content-Type": "application/json"})


def lab_instance(api: Any, mapping: dict[str, Any]) -> Any:
    return api.post("/api/v1/admin/instances", json={
        "connector": "webhook", "slug": "lab", "name": "Quality lab", "enabled": True, "department": "quality",
        "config": {"secret": SECRET, "idempotency_field": "id", "mapping": mapping}})


def test_a_webhook_mapping_fills_in_custom_fields(app: Any, api: Any) -> None:
    define_examples(api)
    refused = lab_instance(api, {"title": "summary", "custom:Lot": "lot", "colour": "c"})
    assert refused.status_code == 422, refused.json
    made = lab_instance(api, {"title": "summary", "external_id": "id", "custom:lot": "sample.lot",
                              "custom:batch": "sample.batch", "custom:defect_code": {
                                  "path": "finding", "map": {"scratch": "D1", "dent": "D7"}},
                              "custom:line": "where"})
    assert made.status_code == 201, made.json
    response = post(app, {"id": "s-1", "summary": "Scratched housings", "sample": {"lot": "L-77", "batch": 12},
                          "finding": "dent", "where": "plant-a/line-3"})
    assert response.status_code == 201, response.json
    ticket = api.get(f"/api/v1/incidents/{response.json['ticket']}").json
    assert ticket["department"] == "quality"
    assert ticket["custom_fields"] == {"lot": "L-77", "batch": 12, "defect_code": "D7", "line": "plant-a/line-3"}
    assert [item["ref"] for item in api.get("/api/v1/incidents?custom=defect_code:D7").json["items"]] == [
        ticket["ref"]]


def test_a_bad_value_from_a_source_is_left_out_and_the_history_says_why(app: Any, api: Any) -> None:
    define_examples(api)
    assert lab_instance(api, {"title": "summary", "custom:batch": "batch", "custom:lot": "lot"}).status_code == 201
    response = post(app, {"id": "s-2", "summary": "Dented lids", "batch": "twelve", "lot": "L-9"})
    assert response.status_code == 201, response.json  # the report is never lost for a field
    ref = response.json["ticket"]
    assert api.get(f"/api/v1/incidents/{ref}").json["custom_fields"] == {"lot": "L-9"}
    created = api.get(f"/api/v1/incidents/{ref}/audit").json[0]
    assert "Custom field batch left out: A number, like 42 or 3.5." in created["note"]


def test_the_sdk_reads_and_sets_custom_fields_for_sync_mappings(app: Any, api: Any) -> None:
    define_examples(api)
    ref = api.post("/api/v1/incidents", json={"title": "Scratches", "department": "quality",
                                              "custom_fields": {"lot": "L-1", "jira_key": "QA-7"}}).json["ref"]
    actor = Actor(type="connector", name="Jira", origin="connector:jira")
    with app.extensions["hub"].db.transaction() as session:
        fields = tracker.custom_field_definitions(session, department="quality", kind="incident")
        assert [info.name for info in fields] == ["lot", "batch", "defect_code", "found_on", "line"]
        assert tracker.get_custom_fields(session, ref) == {"lot": "L-1", "jira_key": "QA-7"}
        changed = tracker.set_custom_fields(session, ref, {"batch": "8", "lot": None}, actor)
        assert changed == {"batch": (None, 8), "lot": ("L-1", None)}
        with pytest.raises(ValidationFailed) as refused:
            tracker.set_custom_fields(session, ref, {"defect_code": "D9"}, actor)
        assert refused.value.errors == {"custom_fields.defect_code": ["Must be one of: D1, D2, D7."]}
        assert tracker.set_custom_fields(session, ref, {"defect_code": "D9", "found_on": "2026-11-23"}, actor,
                                         strict=False) == {"found_on": (None, "2026-11-23")}
    assert api.get(f"/api/v1/incidents/{ref}").json["custom_fields"] == {
        "batch": 8, "jira_key": "QA-7", "found_on": "2026-11-23"}
