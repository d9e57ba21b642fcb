"""Departments and fields the custom field tests share: guest services and quality, as the docs tell."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.ui.conftest import as_role  # noqa: F401 - the pages' signed-in browsers


def define_examples(api: Any) -> None:
    """Guest services ask for the cabin and whether the guest is a VIP; quality for lot, batch, defect code."""
    for slug, name in (("guest-services", "Guest services"), ("quality", "Quality")):
        assert api.post("/api/v1/departments", json={"slug": slug, "name": name}).status_code == 201
    assert api.post("/api/v1/configuration-items", json={"key": "plant-a/line-3", "name": "Line 3",
                                                         "kind": "line"}).status_code == 201
    for body in (
        {"name": "cabin_number", "label": "Cabin number", "type": "text", "required": True,
         "department": "guest-services", "kind": "incident", "help": "As on the key card, e.g. 7104."},
        {"name": "vip", "label": "VIP", "type": "choice", "options": ["no", "silver", "gold"],
         "department": "guest-services"},
        {"name": "lot", "label": "Lot", "type": "text", "department": "quality", "position": 1},
        {"name": "batch", "label": "Batch", "type": "number", "department": "quality", "position": 2},
        {"name": "defect_code", "label": "Defect code", "type": "choice", "options": ["D1", "D2", "D7"],
         "department": "quality", "position": 3},
        {"name": "found_on", "label": "Found on", "type": "date", "department": "quality", "position": 4},
        {"name": "line", "label": "Line", "type": "ci", "department": "quality", "position": 5},
    ):
        response = api.post("/api/v1/custom-fields", json=body)
        assert response.status_code == 201, response.json


@pytest.fixture
def examples(api: Any) -> Any:
    define_examples(api)
    return api

