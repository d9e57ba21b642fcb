"""A web form that asks its department's custom fields: shown with their labels and options,
checked in the requester's language, and kept on the ticket as its custom fields."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.fields.conftest import define_examples

CABIN_FORM = {"title": "Tell us about your cabin", "kind": "incident", "ask_custom_fields": True,
              "fields": [{"name": "message", "label": "What is wrong?", "type": "textarea", "required": True,
                          "maps_to": "description"}]}


@pytest.fixture
def cabin_form(api: Any) -> Any:
    define_examples(api)
    response = api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "cabin", "enabled": True,
                                                         "department": "guest-services", "config": CABIN_FORM})
    assert response.status_code == 201, response.json
    return api


def test_the_form_asks_its_departments_fields(app: Any, cabin_form: Any) -> None:
    html = app.test_client().get("/f/cabin").get_data(as_text=True)
    assert '<label for="field-cabin_number">Cabin number</label>' in html
    assert "As on the key card, e.g. 7104." in html
    assert '<option value="gold">gold</option>' in html
    assert "field-lot" not in html  # quality's fields are not asked here


def test_answers_are_checked_and_become_the_tickets_custom_fields(app: Any, cabin_form: Any) -> None:
    api = cabin_form
    client = app.test_client()
    refused = client.post("/api/v1/forms/cabin", json={"values": {"message": "Too warm", "vip": "diamond"}})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"cabin_number", "vip"}
    spanish = client.post("/api/v1/forms/cabin", json={"language": "es", "values": {"message": "Hace calor"}})
    assert spanish.status_code == 422 and spanish.json["errors"]["cabin_number"] == ["Rellene este campo."]
    made = client.post("/api/v1/forms/cabin", json={"values": {"message": "Too warm", "cabin_number": "7104",
                                                               "vip": "gold"}})
    assert made.status_code == 201, made.json
    ticket = api.get(f"/api/v1/incidents/{made.json['ticket']}").json
    assert ticket["custom_fields"] == {"cabin_number": "7104", "vip": "gold"}
    assert ticket["department"] == "guest-services"


def test_a_number_field_is_checked_as_a_number(app: Any, api: Any) -> None:
    define_examples(api)
    config = {"title": "Report a defect", "ask_custom_fields": True,
              "fields": [{"name": "what", "label": "What did you find?", "maps_to": "title", "required": True}]}
    assert api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "defects", "enabled": True,
                                                     "department": "quality", "config": config}).status_code == 201
    client = app.test_client()
    assert 'type="number"' in client.get("/f/defects").get_data(as_text=True)
    bad = client.post("/api/v1/forms/defects", json={"values": {"what": "Scratches", "batch": "twelve"}})
    assert bad.status_code == 422 and bad.json["errors"] == {"batch": ["Enter a number, like 42 or 3.5."]}
    good = client.post("/api/v1/forms/defects", json={"values": {"what": "Scratches", "batch": "12",
                                                                 "defect_code": "D2", "lot": "L-77"}})
    assert good.status_code == 201, good.json
    assert api.get(f"/api/v1/incidents/{good.json['ticket']}").json["custom_fields"] == {
        "batch": 12, "defect_code": "D2", "lot": "L-77"}
