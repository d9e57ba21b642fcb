"""Which language a page speaks: the requester's choice, their ticket's, their browser's, the hub's.

A hotel guest who reported in Spanish reads the status page in Spanish; one who never said
gets their browser's language; agents' pages stay in the language they have a catalogue for.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.app.settings import SettingsError
from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket


def _ticket(api: Any, runtime: Any, **extra: Any) -> tuple[str, str]:
    response = api.post("/api/v1/incidents", json={"title": "Kein Warmwasser", "requester": {
        "name": "Gina", "email": "gina@example.org"}, **extra})
    assert response.status_code == 201, response.json
    with runtime.db.transaction() as session:
        token = status_token(session, get_ticket(session, response.json["ref"]))
    return response.json["ref"], f"/s/{token}"


def _html(client: Any, path: str, **headers: str) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return str(response.get_data(as_text=True))


def _language_of(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match, "the page names no language"
    return match.group(1)


def test_the_order_is_choice_then_ticket_then_browser_then_default(app: Any, api: Any, runtime: Any) -> None:
    _, spanish = _ticket(api, runtime, language="es")
    _, unknown = _ticket(api, runtime)
    client = app.test_client()
    german_browser = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    assert _language_of(_html(client, unknown)) == "en"  # nothing known: HUB_DEFAULT_LANGUAGE
    assert _language_of(_html(client, unknown, **german_browser)) == "de"  # the browser's
    assert _language_of(_html(client, spanish, **german_browser)) == "es"  # the ticket's beats the browser's
    html = _html(client, f"{spanish}?lang=fr", **german_browser)  # a choice beats them all ...
    assert _language_of(html) == "fr" and "Votre signalement" in html
    assert client.get_cookie("hub_lang").value == "fr"
    assert _language_of(_html(client, spanish, **german_browser)) == "fr"  # ... and is kept
    assert _language_of(_html(client, unknown)) == "fr"
    # Nothing the hub does not speak is taken: an unknown choice falls through to the rest.
    assert _language_of(_html(app.test_client(), f"{spanish}?lang=tlh")) == "es"
    assert "hub_lang" not in str(app.test_client().get(f"{spanish}?lang=tlh").headers.getlist("Set-Cookie"))


def test_a_german_browser_reads_the_status_page_in_german(app: Any, api: Any, runtime: Any) -> None:
    ref, page = _ticket(api, runtime)
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "Der Techniker kommt um 14 Uhr."})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "in_progress"})
    html = _html(app.test_client(), page, **{"Accept-Language": "de-CH, fr;q=0.8"})
    for text in ("Ihre Meldung", "Wird bearbeitet.", "Neuigkeiten", "Ihre Nachricht an das Team", "Senden",
                 "Zum Inhalt springen", "Ihre Meldung ist eingegangen."):
        assert text in html, text
    assert "Your report" not in html and "Being worked on." not in html
    # Dates as German writes them (16.11.2026, 14:14), in the hub's zone (UTC here).
    assert re.search(r">\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} UTC</time>", html), html


def test_dates_follow_the_locale_and_the_hubs_zone(app_config: dict[str, Any], api: Any, app: Any,
                                                    runtime: Any) -> None:
    from hub.ui.languages import requester_moment

    moment = datetime(2026, 11, 16, 13, 14, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        # Outside a requester's page the locale is the default; forced here as a mail would.
        from hub.sdk.i18n import in_language

        with in_language("es"):
            assert ">16 nov 2026, 13:14 UTC</time>" in requester_moment(moment)
        with in_language("fr"):
            assert ">16 nov. 2026, 13:14 UTC</time>" in requester_moment(moment)


@pytest.fixture
def berlin(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config.update(TIMEZONE="Europe/Berlin", DEFAULT_LANGUAGE="de")
    return app_config


def test_the_hubs_zone_and_default_language_settings(berlin: dict[str, Any], app: Any, api: Any,
                                                     runtime: Any) -> None:
    _, page = _ticket(api, runtime)
    html = _html(app.test_client(), page)  # no Accept-Language: the hub's default
    assert _language_of(html) == "de" and "Ihre Meldung" in html
    assert re.search(r">\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} (MEZ|MESZ|CET|CEST)</time>", html), html


def test_the_switcher_names_each_language_in_itself(app: Any, api: Any, runtime: Any) -> None:
    _, page = _ticket(api, runtime, language="es")
    html = _html(app.test_client(), page)
    switcher = html.split('<nav class="languages"')[1].split("</nav>")[0]
    assert 'aria-label="Idioma"' in switcher
    for tag, name in (("en", "English"), ("de", "Deutsch"), ("es", "Español"), ("fr", "Français")):
        assert f'?lang={tag}" lang="{tag}" hreflang="{tag}"' in switcher and f">{name}</a>" in switcher
    assert re.search(r'lang="es" hreflang="es" aria-current="true">Español', switcher)
    # The agents' pages have no switcher, and speak English whatever the browser says.
    login = _html(app.test_client(), "/login", **{"Accept-Language": "de"})
    assert 'class="languages"' not in login and _language_of(login) == "en" and "Sign in" in login


@pytest.fixture
def spanish_only(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config.update(LANGUAGES="es", DEFAULT_LANGUAGE="es")
    return app_config


def test_one_language_means_no_switcher(spanish_only: dict[str, Any], app: Any, api: Any, runtime: Any) -> None:
    _, page = _ticket(api, runtime)
    html = _html(app.test_client(), page, **{"Accept-Language": "de"})
    assert _language_of(html) == "es" and 'class="languages"' not in html
    assert api.post("/api/v1/incidents", json={"title": "x", "language": "de"}).status_code == 422


def test_the_api_takes_a_language_the_hub_speaks(api: Any) -> None:
    created = api.post("/api/v1/incidents", json={"title": "Ruido", "language": "es-MX"})
    assert created.status_code == 201 and created.json["language"] == "es"  # a region counts as its language
    refused = api.post("/api/v1/incidents", json={"title": "Noise", "language": "tlh"})
    assert refused.status_code == 422
    assert refused.json["errors"]["language"] == ["Not a language the hub speaks; use one of: en, de, es, fr."]
    ref = created.json["ref"]
    etag = api.get(f"/api/v1/incidents/{ref}").headers["ETag"]
    changed = api.patch(f"/api/v1/incidents/{ref}", json={"language": "fr"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json["language"] == "fr"
    assert api.post("/api/v1/incidents", json={"title": "No language"}).json["language"] is None


@pytest.mark.parametrize(("settings", "named"), [
    ({"LANGUAGES": "en,de,it"}, "HUB_LANGUAGES: no catalogue for it"),
    ({"DEFAULT_LANGUAGE": "nl"}, "HUB_DEFAULT_LANGUAGE: 'nl' is not one of HUB_LANGUAGES"),
    ({"LANGUAGES": "en,deutsch"}, "HUB_LANGUAGES"),
    ({"TIMEZONE": "Mars/Olympus"}, "HUB_TIMEZONE"),
])
def test_bad_language_settings_stop_start_up_by_name(app_config: dict[str, Any], settings: dict[str, str],
                                                     named: str) -> None:
    from hub import create_app

    with pytest.raises(SettingsError, match=re.escape(named)):
        create_app({**app_config, **settings})


def test_mails_are_written_in_the_tickets_language_wherever_they_are_made(app: Any) -> None:
    from dataclasses import replace

    from hub.sdk.values import TicketInfo
    from plugins.notify import mails

    now = datetime(2026, 11, 16, tzinfo=UTC)
    ticket = TicketInfo(
        id=7, ref="INC-000007", kind="incident", title="Ducha fría", description="", status="new", impact="medium",
        urgency="medium", priority=3, department=None, category=None, ci=None, group=None, assignee=None,
        requester_name="Gina", requester_email="gina@example.org", source="webform", source_instance_id=None,
        correlation_key=None, occurrence_count=1, tags=[], custom_fields={}, change_type=None, risk=None,
        planned_start=None, planned_end=None, created_at=now, updated_at=now, acknowledged_at=None,
        first_response_at=None, resolved_at=None, closed_at=None, response_due_at=None, resolve_due_at=None,
        version=1, language="es")
    with app.test_request_context("/login", headers={"Accept-Language": "de"}):  # an agent's page around it
        subject, body = mails.acknowledgement(ticket, "http://hub.test/s/x")
        assert subject == "Recibida: Ducha fría"
        assert body.startswith("Hola, Gina:\n\nHemos recibido su solicitud y la hemos registrado con la "
                               "referencia INC-000007:\n")
        subject, body = mails.status(ticket, "on_hold", "http://hub.test/s/x")
        assert subject == "Ducha fría: está en espera" and "Su solicitud INC-000007 está en espera." in body
        english, _ = mails.acknowledgement(replace(ticket, language=None), "http://hub.test/s/x")
        assert english == "Received: Ducha fría"  # none known: HUB_DEFAULT_LANGUAGE
    with app.app_context():  # a worker's job: no request at all
        assert mails.resolution(replace(ticket, language="fr"), "", "u")[0] == "Résolu\u00a0: Ducha fría"
    # Outside an app (a unit test of the plugin alone) the words stay English.
    assert mails.comment(ticket, "Hola", "Ana", "u")[0] == "Update: Ducha fría"
