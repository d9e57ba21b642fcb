"""A guest who fills in the form in Spanish is answered in Spanish: the page, the
acknowledgement that reaches a real SMTP server, later mails, and the status page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis

from tests.connectors.webform.conftest import post_page
from tests.support.jobs import drain
from tests.support.mail_fixtures import smtp_sink, smtp_sink_factory  # noqa: F401 - fixtures
from tests.support.services import need_redis

GUEST = {"name": "Tomás", "email": "tomas@example.org", "room": "12", "category": "maintenance",
         "message": "La ducha no tiene agua caliente."}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    prefix = f"lang{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, BASE_URL="http://hub.test",
                      PLUGINS=[("webform", "connectors.webform"), ("email", "connectors.email"),
                               ("notify", "plugins.notify")])
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


@pytest.fixture
def relay(api: Any, smtp_sink: Any) -> Any:  # noqa: F811 - the fixture imported above
    """The send-only smtp connector, delivering to the test's SMTP server."""
    config = {"smtp_host": smtp_sink.host, "smtp_port": smtp_sink.port, "smtp_security": "plain",
              "from_address": "recepcion@hotel.test", "from_name": "Recepción"}
    created = api.post("/api/v1/admin/instances", json={"connector": "smtp", "slug": "relay", "enabled": True,
                                                        "config": config})
    assert created.status_code == 201, created.json
    return smtp_sink


def _text(message: Any) -> str:
    return str(message.message.get_content()).replace("\r\n", "\n")


def test_a_spanish_form_gets_a_spanish_acknowledgement_and_status_page(app: Any, api: Any, forms: Any,
                                                                       relay: Any) -> None:
    guest = app.test_client()
    form = guest.get("/f/guest-feedback?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in form and ">Enviar</button>" in form and "(opcional)" in form
    assert 'action="?lang=es"' in form  # the answer speaks the language the form was shown in

    refused = post_page(guest, "guest-feedback", {**GUEST, "email": "no-address", "message": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Revise estos 2 campos" in html
    assert "Rellene este campo." in html and "Introduzca una dirección de correo electrónico" in html

    thanks = post_page(guest, "guest-feedback", GUEST).get_data(as_text=True)
    assert "Hemos recibido su incidencia" in thanks and "Su número de referencia es" in thanks
    ref = api.get("/api/v1/incidents").json["items"][0]["ref"]
    assert api.get(f"/api/v1/incidents/{ref}").json["language"] == "es"

    drain(app, until=lambda: len(relay.messages) >= 1, what="the acknowledgement to reach the SMTP server")
    (ack,) = relay.messages
    assert ack.rcpt_tos == ("tomas@example.org",)
    assert ack.message["Subject"] == f"[{ref}] Recibida: La ducha no tiene agua caliente."
    body = _text(ack)
    assert body.startswith(f"Hola, Tomás:\n\nHemos recibido su solicitud y la hemos registrado con la referencia "
                           f"{ref}:\n")
    assert "Puede seguirla aquí, sin necesidad de cuenta:" in body and f"mantenga [{ref}] en el asunto" in body
    status_link = re.search(r"http://hub\.test(/s/\S+)", body)
    assert status_link, body

    # Another browser, no cookie, no Accept-Language: the ticket's language.
    page = app.test_client().get(status_link.group(1))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="es">' in html
    for text in ("Estado", "Recibida. El equipo la revisará en breve.", "Su incidencia", "Añadir un mensaje",
                 "Hemos recibido su incidencia.", "La ducha no tiene agua caliente."):
        assert text in html, text
    assert "Your report" not in html

    # An agent answers from an English page: the guest's mail is still Spanish.
    api.post(f"/api/v1/incidents/{ref}/comments", json={"body": "El técnico sube en diez minutos."})
    api.post(f"/api/v1/incidents/{ref}/transitions", json={"to": "resolved", "resolution": "Calentador reparado"})
    drain(app, until=lambda: len(relay.messages) >= 3, what="the comment and resolution mails")
    comment, resolved = relay.messages[1:]
    assert comment.message["Subject"] == f"[{ref}] Novedad: La ducha no tiene agua caliente."
    assert "escribió en" in _text(comment) and "El técnico sube en diez minutos." in _text(comment)
    assert resolved.message["Subject"] == f"[{ref}] Resuelta: La ducha no tiene agua caliente."
    assert f"Su solicitud {ref} ha sido resuelta." in _text(resolved)
    survey = app.test_client().get(status_link.group(1)).get_data(as_text=True)
    assert "¿Se ha resuelto?" in survey and "¿Cuál es su grado de satisfacción?" in survey


def test_the_json_endpoint_records_the_bodys_language(app: Any, api: Any, forms: Any) -> None:
    values = {"name": "Jean", "email": "jean@example.org", "building": "B", "message": "Fuite d'eau"}
    missing = app.test_client().post("/api/v1/forms/facilities-request", json={"values": {}, "language": "fr-BE"})
    assert missing.status_code == 422 and missing.json["errors"]["name"] == ["Veuillez remplir ce champ."]
    created = app.test_client().post("/api/v1/forms/facilities-request", json={"values": values, "language": "fr"})
    assert created.status_code == 201, created.json
    assert api.get(f"/api/v1/incidents/{created.json['ticket']}").json["language"] == "fr"
    # No language in the body: the browser's, else the hub's default.
    german = app.test_client().post("/api/v1/forms/facilities-request", json={"values": {**values, "name": "Jo"}},
                                    headers={"Accept-Language": "de-AT"})
    assert api.get(f"/api/v1/incidents/{german.json['ticket']}").json["language"] == "de"


def test_an_english_form_stays_english(app: Any, api: Any, forms: Any) -> None:
    html = app.test_client().get("/f/guest-feedback").get_data(as_text=True)
    assert '<html lang="en">' in html and ">Send</button>" in html and "(optional)" in html


SPANISH_WORDS = {"title": "Cuéntenos qué ha fallado", "intro": "Le respondemos en menos de una hora.",
                 "fields": {"name": {"label": "Su nombre"}, "email": {"label": "Correo electrónico",
                                                                       "help": "Le enviamos aquí su referencia."},
                            "category": {"label": "Tema", "options": {"maintenance": "Mantenimiento",
                                                                       "food": "Comida"}},
                            "room": {"label": "Número de habitación"},
                            "message": {"label": "¿Qué ha pasado?"},
                            "gone": {"label": "A field the form no longer has"}}}


def test_a_form_can_carry_its_own_words_in_other_languages(app: Any, api: Any, forms: Any) -> None:
    from tests.connectors.webform.conftest import GUEST_FEEDBACK

    refused = api.patch("/api/v1/admin/instances/guest-feedback", json={"config": {
        **GUEST_FEEDBACK, "translations": {"Spanish!": {"title": "x"}}}})
    assert refused.status_code == 422 and "language tag" in str(refused.json)
    changed = api.patch("/api/v1/admin/instances/guest-feedback", json={"config": {
        **GUEST_FEEDBACK, "translations": {"es": SPANISH_WORDS}}})
    assert changed.status_code == 200, changed.json
    html = app.test_client().get("/f/guest-feedback", headers={"Accept-Language": "es-MX"}).get_data(as_text=True)
    for text in ("<h1>Cuéntenos qué ha fallado</h1>", "Le respondemos en menos de una hora.",
                 '<label for="field-name">Su nombre</label>', "Le enviamos aquí su referencia.",
                 '<option value="maintenance">Mantenimiento</option>', '<option value="housekeeping">housekeeping',
                 "A photo"):  # what the translation leaves out is shown as defined
        assert text in html, text
    english = app.test_client().get("/f/guest-feedback").get_data(as_text=True)
    assert "<h1>Tell us what went wrong</h1>" in english and '<option value="maintenance">maintenance<' in english
    # The stored value is the option's, whatever text the guest read.
    guest = app.test_client()
    guest.get("/f/guest-feedback?lang=es")
    assert post_page(guest, "guest-feedback", GUEST).status_code == 200
    ticket = api.get(api.get("/api/v1/incidents").json["items"][0]["url"]).json
    assert (ticket["category"], ticket["language"]) == ("maintenance", "es")
