"""Web forms: definitions checked by the admin API, each shared sample through the page and the JSON endpoint."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest

from tests.connectors.webform.conftest import GUEST_FEEDBACK, form_token, post_page, samples

SAMPLES = samples()
REAL = [SAMPLES[0], SAMPLES[2], SAMPLES[4]]


def test_a_bad_definition_answers_field_errors(api: Any, app: Any) -> None:
    response = api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "broken", "config": {
        "title": "x", "fields": [{"name": "Topic!", "label": "Topic"}]}})
    assert response.status_code == 422 and "Lower-case letters" in str(response.json["errors"])
    response = api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "broken", "config": {
        "title": "x", "fields": [{"name": "topic", "label": "Topic", "type": "select", "maps_to": "title"}]}})
    assert response.status_code == 422 and "needs options" in str(response.json["errors"])
    response = api.post("/api/v1/admin/instances", json={"connector": "webform", "slug": "broken", "config": {
        "title": "x", "fields": [{"name": "room", "label": "Room"}]}})
    assert response.status_code == 422 and "title or the description" in str(response.json["errors"])


def test_the_page_is_accessible_and_self_contained(app: Any, forms: Any) -> None:
    html = app.test_client().get("/f/guest-feedback").get_data(as_text=True)
    for spec in GUEST_FEEDBACK["fields"]:
        assert f'<label for="field-{spec["name"]}">' in html
    assert 'aria-describedby="help-email"' in html and 'enctype="multipart/form-data"' in html
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html
    assert app.test_client().get("/f/no-such-form").status_code == 404


@pytest.mark.parametrize("sample", REAL, ids=["guest", "markup", "facilities"])
def test_each_real_sample_through_the_page(app: Any, api: Any, forms: Any, sample: dict[str, Any]) -> None:
    client = app.test_client()
    response = post_page(client, sample["form"], sample["fields"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    assert f"Your reference is <strong class=\"reference\">{ref}</strong>" in html
    status_link = html.split('<a class="button" href="')[1].split('"')[0]
    assert status_link.startswith("/s/") and client.get(status_link).status_code == 200
    _check_ticket(api, ref, sample)


@pytest.mark.parametrize("sample", REAL, ids=["guest", "markup", "facilities"])
def test_each_real_sample_through_json(app: Any, api: Any, forms: Any, sample: dict[str, Any]) -> None:
    response = app.test_client().post(f"/api/v1/forms/{sample['form']}", json={"values": sample["fields"]})
    assert response.status_code == 201, response.json
    assert response.json["status_url"].split("/s/")[1]
    _check_ticket(api, response.json["ticket"], sample)


def _check_ticket(api: Any, ref: str, sample: dict[str, Any]) -> None:
    ticket = api.get(f"/api/v1/incidents/{ref}").json
    fields = sample["fields"]
    assert ticket["requester"] == {"name": fields["name"], "email": fields["email"]}
    assert ticket["description"].startswith(fields["message"])  # stored as text, exactly as sent
    assert ticket["title"] == fields["message"][:120]
    if sample["form"] == "guest-feedback":
        assert ticket["category"] == fields["category"]
        if fields["room"]:
            assert ticket["custom_fields"] == {"room": fields["room"]}
    else:
        assert ticket["urgency"] == "high" and ticket["custom_fields"] == {"building": "Atelier B"}
    assert f"form:{sample['form']}" in ticket["tags"]


def test_invalid_fields_are_shown_beside_the_fields_with_the_input_kept(app: Any, api: Any, forms: Any) -> None:
    invalid = SAMPLES[1]["fields"]
    response = post_page(app.test_client(), "guest-feedback", invalid)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-summary"' in html and 'href="#field-email"' in html and 'href="#field-message"' in html
    assert '<p class="field-error" id="error-email">Enter an email address like name@example.org.</p>' in html
    assert 'value="not-an-email"' in html and 'value="Tom"' in html and 'aria-invalid="true"' in html
    answer = app.test_client().post("/api/v1/forms/guest-feedback", json={"values": invalid})
    assert answer.status_code == 422 and set(answer.json["errors"]) == {"email", "message"}
    assert api.get("/api/v1/incidents").json["items"] == []


def test_the_spam_trap_accepts_quietly_and_makes_no_ticket(app: Any, api: Any, forms: Any) -> None:
    spam = SAMPLES[3]["fields"]
    page = post_page(app.test_client(), "guest-feedback", spam)
    assert page.status_code == 200 and "Thank you" in page.get_data(as_text=True)
    assert app.test_client().post("/api/v1/forms/guest-feedback", json={"values": spam}).status_code == 202
    assert api.get("/api/v1/incidents").json["items"] == []


def test_markup_is_shown_as_text_on_the_status_page(app: Any, forms: Any) -> None:
    client = app.test_client()
    html = post_page(client, "guest-feedback", SAMPLES[2]["fields"]).get_data(as_text=True)
    status = client.get(html.split('<a class="button" href="')[1].split('"')[0]).get_data(as_text=True)
    assert "DROP TABLE tickets" in status and "<script>alert(1)</script>" not in status


def test_sending_the_same_form_twice_makes_one_ticket(app: Any, api: Any, forms: Any) -> None:
    client = app.test_client()
    token = form_token(client, "guest-feedback")
    for _ in range(2):
        response = client.post("/f/guest-feedback", data={**token, **SAMPLES[0]["fields"]},
                               content_type="multipart/form-data")
        assert response.status_code == 200
    assert len(api.get("/api/v1/incidents").json["items"]) == 1


def test_an_address_that_submits_too_often_is_refused(app: Any, api: Any, forms: Any) -> None:
    api.patch("/api/v1/admin/instances/guest-feedback",
              json={"config": {**GUEST_FEEDBACK, "submissions_per_hour": 2}})
    client = app.test_client()
    for _ in range(2):
        assert post_page(client, "guest-feedback", SAMPLES[0]["fields"]).status_code == 200
    refused = post_page(client, "guest-feedback", SAMPLES[0]["fields"])
    assert refused.status_code == 429 and "Too many reports" in refused.get_data(as_text=True)
    late = client.post("/api/v1/forms/guest-feedback", json={"values": SAMPLES[0]["fields"]})
    assert late.status_code == 429 and late.headers["Retry-After"]


def test_files_within_the_limits_are_attached(app: Any, api: Any, forms: Any) -> None:
    client = app.test_client()
    photo = (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 100), "towels.png", "image/png")
    response = post_page(client, "guest-feedback", SAMPLES[0]["fields"], photo=photo)
    assert response.status_code == 200
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    attached = api.get(f"/api/v1/incidents/{ref}/attachments").json
    assert [(a["filename"], a["content_type"], a["size"]) for a in attached] == [("towels.png", "image/png", 108)]
    program = (io.BytesIO(b"MZ..."), "invoice.exe", "application/x-msdownload")
    refused = post_page(client, "guest-feedback", SAMPLES[0]["fields"], photo=program)
    assert refused.status_code == 422 and "are not accepted" in refused.get_data(as_text=True)
    big = {"filename": "big.png", "content_type": "image/png", "data": base64.b64encode(b"0" * 5_000_001).decode()}
    answer = client.post("/api/v1/forms/guest-feedback", json={"values": SAMPLES[0]["fields"], "files": {"photo": big}})
    assert answer.status_code == 422 and "larger than" in answer.json["errors"]["photo"][0]


def test_the_json_endpoint_answers_only_allowed_origins(app: Any, forms: Any) -> None:
    client = app.test_client()
    preflight = client.options("/api/v1/forms/facilities-request", headers={
        "Origin": "https://intranet.example.org", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://intranet.example.org"
    other = client.post("/api/v1/forms/facilities-request", json={"values": SAMPLES[4]["fields"]},
                        headers={"Origin": "https://evil.example"})
    assert other.status_code == 403 and other.headers["Content-Type"].startswith("application/problem+json")
    assert "Access-Control-Allow-Origin" not in other.headers
    assert client.post("/api/v1/forms/facilities-request", data="nope").status_code == 400


def test_a_disabled_form_is_closed(app: Any, api: Any, forms: Any) -> None:
    api.patch("/api/v1/admin/instances/guest-feedback", json={"enabled": False})
    assert app.test_client().get("/f/guest-feedback").status_code == 404
    assert app.test_client().post("/api/v1/forms/guest-feedback", json={"values": {}}).status_code == 404
