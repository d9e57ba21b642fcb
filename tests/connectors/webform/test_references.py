"""A web form's choices name departments and categories: checked when saved; a department or
a routing rule's group gone since never costs the person reporting their reference."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete

from hub.models import Department, Group
from hub.tracker.org import forget
from tests.connectors.webform.conftest import GUEST_FEEDBACK, post_page
from tests.hub.ui.conftest import Browser, add_user

FORM = "guest-feedback"
WHERE = {"name": "where", "label": "Where", "type": "select", "options": ["spa", "kitchen"], "maps_to": "department"}
REPORT = {"name": "Ines", "email": "ines@example.org", "category": "maintenance", "message": "The sauna is cold"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webform", "connectors.webform"), ("routing", "plugins.routing")]
    return app_config


def with_where(config: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(config)
    changed["fields"].insert(3, dict(WHERE))
    return changed


def vanish(app: Flask, model: Any, slug: str) -> None:
    """Delete a row behind the hub's back; the org lookups forget it as a restart would."""
    with app.extensions["hub"].db.transaction() as session:
        session.execute(delete(model).where(model.slug == slug))
        forget(session)


def test_a_choice_naming_an_unknown_department_is_refused(api: Any, forms: Any) -> None:
    api.post("/api/v1/departments", json={"slug": "spa", "name": "Spa"})
    response = api.patch(f"/api/v1/admin/instances/{FORM}", json={"config": with_where(GUEST_FEEDBACK)})
    assert response.status_code == 422
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json["errors"] == {"config.fields.3.options.1": ["No department 'kitchen'."]}
    bad_category = copy.deepcopy(GUEST_FEEDBACK)
    bad_category["fields"][3]["options"].append("laundry")
    made = api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "other", "config": bad_category})
    assert made.status_code == 422 and made.json["errors"] == {"config.fields.3.options.3": ["No category 'laundry'."]}
    department = api.patch(f"/api/v1/admin/instances/{FORM}", json={"department": "nowhere"})
    assert department.status_code == 422 and department.json["errors"] == {"department": ["No department 'nowhere'."]}


def test_the_builder_shows_the_unknown_department_beside_the_options(app: Flask, api: Any, forms: Any) -> None:
    add_user(app, "admin1", "admin")
    admin = Browser(app, "admin1")
    response = admin.post(f"/admin/forms/{FORM}/fields/new", {
        "label": "Where", "name": "where", "type": "select", "options": "spa\nkitchen", "maps_to": "department",
        "action": "save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="spec-options-error">' in html
    assert re.search(r'id="spec-options-error">[^<]*No department &#39;spa&#39;', html)
    assert re.search(r'id="spec-options"[^>]*aria-invalid="true"', html)


def test_a_report_routed_to_a_deleted_group_still_opens_with_its_reference(app: Flask, api: Any,
                                                                           forms: Any) -> None:
    api.post("/api/v1/groups", json={"slug": "wellness", "name": "Wellness"})
    rule = {"name": "sauna", "when": {"keywords": ["sauna"]}, "set": {"group": "wellness"}}
    assert api.put("/api/v1/admin/plugins/routing/settings", json={"settings": {"rules": [rule]}}).status_code == 200
    vanish(app, Group, "wellness")
    client = app.test_client()
    response = post_page(client, FORM, REPORT)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    assert f'Your reference is <strong class="reference">{ref}</strong>' in html
    status_link = html.split('<a class="button" href="')[1].split('"')[0]
    assert status_link.startswith("/s/") and client.get(status_link).status_code == 200
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    assert ticket["group"] is None and "routed:sauna" in ticket["tags"]
    assert api.get(f"/api/v1/admin/instances/{FORM}").json["quarantined_events"] == 0


def test_a_deleted_department_choice_opens_in_the_forms_own(app: Flask, api: Any, forms: Any) -> None:
    for slug in ("spa", "kitchen", "front-office"):
        api.post("/api/v1/departments", json={"slug": slug, "name": slug})
    changed = api.patch(f"/api/v1/admin/instances/{FORM}", json={"config": with_where(GUEST_FEEDBACK),
                                                                 "department": "front-office"})
    assert changed.status_code == 200, changed.json
    vanish(app, Department, "kitchen")
    sent = app.test_client().post(f"/api/v1/forms/{FORM}", json={"values": {**REPORT, "where": "kitchen"}})
    assert sent.status_code == 201, sent.json
    assert sent.json["ticket"] and sent.json["status_url"]
    ticket = api.get(f"/api/v1/incidents/{sent.json['ticket']}").json
    assert ticket["department"] == "front-office"
    note = api.get(f"/api/v1/incidents/{ticket['ref']}/audit").json[0]["note"]
    assert note == ("The form guest-feedback filled in department 'kitchen', which no longer exists; the ticket "
                    "went to the form's own department front-office.")
    add_user(app, "admin1", "admin")
    builder = Browser(app, "admin1").get(f"/admin/forms/{FORM}").get_data(as_text=True)
    assert ("Webform guest-feedback, field Where names department &#39;kitchen&#39;, which no longer exists; "
            "1 ticket opened in the form&#39;s own department since ") in builder
