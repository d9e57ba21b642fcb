"""A sync instance's field rules on the admin form: an error deep in one rule is shown on the
Field rules input, saying which rule and which part of it (issue 25 point 3)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("servicenow", "connectors.servicenow")]
    return app_config


def test_a_rule_error_is_shown_on_the_field_rules_input(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    rules = [{"field": "title", "remote": "short_description"},
             {"field": "impact", "remote": "impact", "values_in": {"1": "huge"}}]
    response = admin.post("/admin/instances/new", {
        "connector": "servicenow", "slug": "sn", "name": "ServiceNow", "enabled": "on",
        "config.instance_url": "https://example.service-now.com", "config.username": "hub",
        "config.password": "secret-password", "config.tables": "incident",
        "config.field_map": json.dumps(rules)})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "1.values_in: &#39;1&#39; maps to &#39;huge&#39; is no hub impact" in html
    assert "&#34;values_in&#34;: {" in html or "&quot;values_in&quot;" in html or '"values_in"' in html


def test_field_rules_are_edited_as_one_json_list(app: Flask, as_role: Any) -> None:
    admin = as_role("admin")
    rules = [{"field": "title", "remote": "short_description"},
             {"field": "planned_start", "remote": "start_date", "kind": "change"}]
    saved = admin.post("/admin/instances/new", {
        "connector": "servicenow", "slug": "sn", "name": "ServiceNow", "enabled": "on",
        "config.instance_url": "https://example.service-now.com", "config.username": "hub",
        "config.password": "secret-password", "config.tables": "incident\nchange_request",
        "config.field_map": json.dumps(rules)})
    assert saved.status_code in (302, 303), saved.get_data(as_text=True)[-2000:]

    page = admin.get("/admin/instances/sn").get_data(as_text=True)
    assert "start_date" in page and "{&#39;field&#39;" not in page  # shown as JSON, not as Python
