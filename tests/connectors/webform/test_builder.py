"""The web form builder: admins add, edit, remove and reorder fields; the public form follows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from connectors.webform.builder_forms import TARGET_TITLES, TYPE_TITLES, name_from_label
from connectors.webform.config import FIELD_TYPES, TARGETS
from tests.connectors.webform.conftest import post_page
from tests.hub.ui.conftest import Browser, add_user

FORM = "guest-feedback"
PAGES = ("/admin/forms/", f"/admin/forms/{FORM}", f"/admin/forms/{FORM}/fields/new", f"/admin/forms/{FORM}/fields/room")


@pytest.fixture
def as_role(app: Flask) -> Any:
    """``as_role("agent")``: a browser signed in as a new user with that role, as in tests/hub/ui."""
    made: dict[str, Browser] = {}

    def build(role: str) -> Browser:
        if role not in made:
            add_user(app, f"{role}1", role)
            made[role] = Browser(app, f"{role}1")
        return made[role]

    return build


def stored(app: Flask, slug: str = FORM) -> dict[str, Any]:
    from hub.plugins.instances import get_instance

    with app.extensions["hub"].db.reading() as session:
        return dict(get_instance(session, slug).config)


def names(app: Flask, slug: str = FORM) -> list[str]:
    return [spec["name"] for spec in stored(app, slug)["fields"]]


def field(**values: Any) -> dict[str, Any]:
    return {"label": "Floor", "type": "text", "maps_to": "custom", "action": "save", **values}


@pytest.mark.parametrize("url", PAGES)
def test_the_builder_is_for_admins_only(app: Flask, as_role: Any, forms: Any, url: str) -> None:
    assert as_role("admin").get(url).status_code == 200
    for role in ("agent", "requester"):
        response = as_role(role).get(url)
        assert response.status_code == 403 and "cannot open this page" in response.get_data(as_text=True)
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_writes_need_an_admin_and_the_csrf_token(app: Flask, as_role: Any, forms: Any) -> None:
    agent, admin = as_role("agent"), as_role("admin")
    before = stored(app)
    for url, data in ((f"/admin/forms/{FORM}/fields/new", field()), (f"/admin/forms/{FORM}/fields/room", field()),
                      (f"/admin/forms/{FORM}/fields/room/move", {"direction": "up"}),
                      (f"/admin/forms/{FORM}/fields/room/delete", {}), (f"/admin/forms/{FORM}", {"title": "X"}),
                      ("/admin/forms/new", {"slug": "x", "title": "X"})):
        assert agent.post(url, data).status_code == 403, url
        refused = admin.post(url, data, csrf=False)
        assert refused.status_code == 400 and "did not come from this site" in refused.get_data(as_text=True), url
    assert stored(app) == before


def test_the_builder_lists_the_fields_in_order_with_a_preview(app: Flask, as_role: Any, forms: Any) -> None:
    html = as_role("admin").text(f"/admin/forms/{FORM}")
    rows = re.findall(r'<tr id="row-([a-z_]+)"', html)
    assert rows == ["name", "email", "room", "category", "message", "photo"]
    assert 'aria-label="Move Your name up" disabled' in html and 'aria-label="Move A photo down" disabled' in html
    assert "housekeeping, food, maintenance" in html and "Requester&#39;s email" in html
    # The preview is the public form's own markup, with ids of its own.
    assert 'id="preview-field-room"' in html and '<label for="preview-field-room">Room number' in html
    assert 'id="preview-help-email"' in html and 'type="file" id="preview-field-photo"' in html
    assert 'href="/f/guest-feedback"' in html and 'href="/admin/instances/guest-feedback"' in html


def test_the_field_form_has_labelled_inputs_for_every_type_and_target(app: Flask, as_role: Any,
                                                                       forms: Any) -> None:
    html = as_role("admin").text(f"/admin/forms/{FORM}/fields/category")
    for name in ("label", "type", "required", "help", "options", "maps_to", "name", "max_length"):
        assert f'<label for="spec-{name}">' in html, name
        assert f'id="spec-{name}" name="{name}"' in html, name
    assert html.count("<fieldset>") == 3 and "<legend>Where the answer goes</legend>" in html
    assert all(f'<option value="{kind}"' in html for kind in FIELD_TYPES)
    assert all(f'<option value="{target}"' in html for target in TARGETS)
    assert set(TYPE_TITLES) == set(FIELD_TYPES) and set(TARGET_TITLES) == set(TARGETS)
    assert '<option value="select" selected>' in html and '<option value="category" selected>' in html
    assert ">housekeeping\nfood\nmaintenance</textarea>" in html
    assert 'id="spec-required" name="required" checked' in html


def test_add_edit_move_and_remove_round_trip_into_the_config(app: Flask, as_role: Any, forms: Any) -> None:
    admin = as_role("admin")
    added = admin.post(f"/admin/forms/{FORM}/fields/new", field(
        label="Which floor?", type="select", options="Ground\n 1st \n\n2nd", required="on", help="Where you are."))
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/admin/forms/{FORM}#fields")
    spec = stored(app)["fields"][-1]
    assert spec == {"name": "which_floor", "label": "Which floor?", "type": "select", "required": True,
                    "help": "Where you are.", "max_length": None, "options": ["Ground", "1st", "2nd"],
                    "maps_to": "custom"}
    edited = admin.post(f"/admin/forms/{FORM}/fields/room", field(label="Room", name="room_no", max_length="6"))
    assert edited.status_code == 302
    assert stored(app)["fields"][2] == {"name": "room_no", "label": "Room", "type": "text", "required": False,
                                        "help": "", "max_length": 6, "options": [], "maps_to": "custom"}
    assert admin.post(f"/admin/forms/{FORM}/fields/which_floor/move", {"direction": "up"}).status_code == 302
    assert names(app)[-2:] == ["which_floor", "photo"]
    admin.post(f"/admin/forms/{FORM}/fields/name/move", {"direction": "down"})
    admin.post(f"/admin/forms/{FORM}/fields/name/move", {"direction": "up"})
    admin.post(f"/admin/forms/{FORM}/fields/name/move", {"direction": "up"})  # already first: nothing moves
    assert names(app) == ["name", "email", "room_no", "category", "message", "which_floor", "photo"]
    removed = admin.post(f"/admin/forms/{FORM}/fields/photo/delete", follow=True)
    assert "Removed the field A photo." in removed.get_data(as_text=True)
    assert names(app) == ["name", "email", "room_no", "category", "message", "which_floor"]
    assert stored(app)["title"] == "Tell us what went wrong"  # the rest of the config is kept
    heading = admin.post(f"/admin/forms/{FORM}", {"title": "Report a problem", "intro": "", "kind": "change"})
    assert heading.status_code == 302
    assert (stored(app)["title"], stored(app)["intro"], stored(app)["kind"]) == ("Report a problem", "", "change")


@pytest.mark.parametrize(("values", "input_name", "message"), [
    ({"label": ""}, "label", "Give the field a label"),
    ({"type": "select", "options": ""}, "options", "A select field needs options."),
    ({"name": "Room!"}, "name", "Lower-case letters, digits and _."),
    ({"name": "email"}, None, "Field names must be unique: email."),
    ({"name": "website"}, None, "reserved for the spam trap"),
    ({"maps_to": "requester_email"}, None, "Only one field may fill in: requester_email."),
    ({"max_length": "lots"}, "max_length", "Not a valid integer."),
    ({"type": "select", "options": "a\nb", "maps_to": "urgency"}, "options", "Impact and urgency take low"),
    ({"type": "radio"}, "type", "Must be one of"),
])
def test_bad_fields_are_explained_on_the_page_and_not_stored(app: Flask, as_role: Any, forms: Any, values: Any,
                                                             input_name: str | None, message: str) -> None:
    admin = as_role("admin")
    before = stored(app)
    response = admin.post(f"/admin/forms/{FORM}/fields/new", field(**values))
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert "There is a problem" in html and message in html
    if input_name:
        assert f'<p class="field-error" id="spec-{input_name}-error">' in html
        assert re.search(rf'id="spec-{input_name}"[^>]*aria-invalid="true"', html)
    assert 'value="' + (values.get("label", "Floor") or "") + '"' in html  # what was typed stays
    assert stored(app) == before


def test_preview_shows_a_draft_without_saving(app: Flask, as_role: Any, forms: Any) -> None:
    admin = as_role("admin")
    before = stored(app)
    draft = field(label="Room or suite", name="room", action="preview")
    response = admin.post(f"/admin/forms/{FORM}/fields/room", draft)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and '<label for="preview-field-room">Room or suite' in html
    assert stored(app) == before
    draft = admin.post(f"/admin/forms/{FORM}/fields/new", field(label="Bring a pet?", type="checkbox",
                                                                action="preview"))
    assert draft.status_code == 200 and 'type="checkbox" id="preview-field-bring_a_pet"' in draft.get_data(as_text=True)
    assert stored(app) == before


def test_a_removal_that_would_break_the_form_is_refused_readably(app: Flask, as_role: Any,
                                                                  forms: Any) -> None:
    admin = as_role("admin")
    response = admin.post(f"/admin/forms/{FORM}/fields/message/delete")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The field What happened? was not removed" in html
    assert "One field must fill in the title or the description." in html
    assert "message" in names(app)
    heading = admin.post(f"/admin/forms/{FORM}", {"title": "", "kind": "incident"})
    assert heading.status_code == 422 and 'id="heading-title-error"' in heading.get_data(as_text=True)


def test_unknown_forms_and_fields_are_404_not_500(app: Flask, as_role: Any, forms: Any) -> None:
    admin = as_role("admin")
    assert admin.get("/admin/forms/nope").status_code == 404
    assert admin.get(f"/admin/forms/{FORM}/fields/nope").status_code == 404
    assert admin.post(f"/admin/forms/{FORM}/fields/nope/delete").status_code == 404


def test_the_menu_shows_web_forms_to_admins_only(app: Flask, as_role: Any, forms: Any) -> None:
    assert 'href="/admin/forms/"' in as_role("admin").text("/admin/")
    assert 'href="/admin/forms/"' not in as_role("agent").text("/tickets")


def test_a_form_built_here_is_served_publicly_and_files_a_ticket(app: Flask, as_role: Any, api: Any) -> None:
    admin = as_role("admin")
    bad = admin.post("/admin/forms/new", {"slug": "Not a slug", "title": "Lost property"})
    assert bad.status_code == 422 and 'id="new-slug-error"' in bad.get_data(as_text=True)
    made = admin.post("/admin/forms/new", {"slug": "lost-property", "title": "Lost property", "enabled": "on"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/admin/forms/lost-property")
    taken = admin.post("/admin/forms/new", {"slug": "lost-property", "title": "Again"})
    assert taken.status_code == 422 and "exists already" in taken.get_data(as_text=True)
    slug = "lost-property"
    for values in (field(label="Your email", type="email", maps_to="requester_email", required="on"),
                   field(label="What did you lose?", maps_to="title", required="on", max_length="80"),
                   field(label="Colour", type="select", options="black\nred\nother")):
        assert admin.post(f"/admin/forms/{slug}/fields/new", values).status_code == 302
    admin.post(f"/admin/forms/{slug}/fields/what_did_you_lose/move", {"direction": "up"})
    admin.post(f"/admin/forms/{slug}/fields/what_did_you_lose/move", {"direction": "up"})
    admin.post(f"/admin/forms/{slug}", {"title": "Lost something?", "intro": "We look for it.", "kind": "incident"})
    assert names(app, slug) == ["what_did_you_lose", "message", "your_email", "colour"]

    guest = app.test_client()
    page = guest.get(f"/f/{slug}").get_data(as_text=True)
    assert "<h1>Lost something?</h1>" in page and 'id="field-what_did_you_lose"' in page
    assert page.index("field-what_did_you_lose") < page.index("field-message") < page.index("field-colour")
    refused = post_page(guest, slug, {"what_did_you_lose": "", "message": "x", "your_email": "nope", "colour": "pink"})
    assert refused.status_code == 422
    sent = post_page(guest, slug, {"what_did_you_lose": "A blue scarf", "message": "Left it in the lobby.",
                                   "your_email": "guest@example.org", "colour": "other"})
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200, html[:2000]
    ref = re.search(r"\b(INC-\d+)\b", html)
    assert ref, html[:2000]
    ticket = api.get(f"/api/v1/incidents/{ref.group(1)}").json
    assert ticket["title"] == "A blue scarf" and ticket["requester"]["email"] == "guest@example.org"
    assert "Left it in the lobby." in ticket["description"] and "Colour: other" in ticket["description"]
    assert f"form:{slug}" in ticket["tags"]


def test_names_are_made_from_labels() -> None:
    assert name_from_label("Room number") == "room_number"
    assert name_from_label("Café (près)") == "cafe_pres"
    assert name_from_label("1st choice") == "f_1st_choice"
    assert name_from_label("?!") == ""


def test_the_saved_message_does_not_stop_twice_after_a_question(app: Flask, as_role: Any, forms: Any) -> None:
    admin = as_role("admin")
    admin.post(f"/admin/forms/{FORM}/fields/new", field(label="Which floor?"))
    page = admin.get(f"/admin/forms/{FORM}").get_data(as_text=True)
    assert "Added the field Which floor?<" in page and "Which floor?." not in page
    admin.post(f"/admin/forms/{FORM}/fields/new", field(label="Floor"))
    assert "Added the field Floor.<" in admin.get(f"/admin/forms/{FORM}").get_data(as_text=True)
