"""Two forms as an admin would define them for the shared samples, and helpers to post to them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import SAMPLES

GUEST_FEEDBACK = {
    "title": "Tell us what went wrong", "intro": "We answer within the hour.",
    "fields": [
        {"name": "name", "label": "Your name", "type": "text", "required": True, "maps_to": "requester_name"},
        {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "requester_email",
         "help": "We send your reference and updates here."},
        {"name": "room", "label": "Room number", "type": "text", "max_length": 10},
        {"name": "category", "label": "Topic", "type": "select", "required": True,
         "options": ["housekeeping", "food", "maintenance"], "maps_to": "category"},
        {"name": "message", "label": "What happened?", "type": "textarea", "required": True,
         "maps_to": "description"},
        {"name": "photo", "label": "A photo", "type": "file"},
    ],
}
FACILITIES = {
    "title": "Facilities request", "kind": "incident", "allowed_origins": ["https://intranet.example.org"],
    "fields": [
        {"name": "name", "label": "Name", "type": "text", "required": True, "maps_to": "requester_name"},
        {"name": "email", "label": "Email", "type": "email", "required": True, "maps_to": "requester_email"},
        {"name": "building", "label": "Building", "type": "text", "required": True},
        {"name": "message", "label": "Problem", "type": "textarea", "required": True, "maps_to": "description"},
        {"name": "urgency", "label": "How urgent?", "type": "select", "options": ["low", "medium", "high"],
         "maps_to": "urgency"},
    ],
}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webform", "connectors.webform")]
    return app_config


@pytest.fixture
def forms(api: Any) -> dict[str, Any]:
    for slug in ("housekeeping", "food", "maintenance"):
        assert api.post("/api/v1/categories", json={"slug": slug, "name": slug.title()}).status_code == 201
    for slug, config in (("guest-feedback", GUEST_FEEDBACK), ("facilities-request", FACILITIES)):
        response = api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": slug, "enabled": True,
                                                              "config": config})
        assert response.status_code == 201, response.json
    return {"guest-feedback": GUEST_FEEDBACK, "facilities-request": FACILITIES}


def samples() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (SAMPLES / "webform" / "submissions.jsonl").read_text().splitlines() if line]


def form_token(client: Any, slug: str) -> dict[str, str]:
    html = client.get(f"/f/{slug}").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|submission)" value="([^"]+)"', html))
    assert set(fields) == {"csrf_token", "submission"}, "the form has no CSRF token or submission id"
    return fields


def post_page(client: Any, slug: str, values: dict[str, Any], **extra: Any) -> Any:
    return client.post(f"/f/{slug}", data={**form_token(client, slug), **values, **extra},
                       content_type="multipart/form-data")
