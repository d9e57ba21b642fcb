"""JSON typed into an admin form (a connector's mapping, a plugin's rules) is read within
the limits every client input keeps: a readable error beside the field, never a 500."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from hub.sdk.schema import FieldInfo
from hub.ui.forms import config_from_form

MAPPING = FieldInfo(name="mapping", type="object", title="Mapping", description="", required=False,
                    secret=False, many=False, default=None, choices=None)


def read(text: str) -> tuple[dict, dict]:
    return config_from_form([MAPPING], MultiDict({"config.mapping": text}))


def test_a_json_object_is_read() -> None:
    assert read('{"title": "$.subject"}') == ({"mapping": {"title": "$.subject"}}, {})


@pytest.mark.parametrize(("text", "said"), [
    ("[" * 100_000 + "]" * 100_000, "nested deeper than 64 levels"),
    ('{"a": 1', "Not valid JSON: Expecting"),
    ('{"a": NaN}', "Not valid here: a:"),
    ('{"a": ' + "9" * 5000 + "}", "Not valid here: a:"),
])
def test_unreadable_json_is_a_field_error(text: str, said: str) -> None:
    config, errors = read(text)
    assert config == {}
    assert said in errors["mapping"][0]


def test_a_list_of_nested_settings_is_shown_and_read_back_as_json() -> None:
    """A web form's fields on its instance page: each field has a shape of its own, so one per
    line cannot hold them (they used to come out as Python reprs that never saved again)."""
    from connectors.webform.config import WebformConfig
    from hub.sdk.schema import describe
    from hub.ui.forms import config_fields

    infos = describe(WebformConfig)
    stored = {"title": "Cuéntenos", "fields": [
        {"name": "message", "label": "¿Qué ha pasado?", "type": "textarea", "maps_to": "description"}],
        "file_types": ["image/png", "application/pdf"]}
    shown = {f.info.name: f for f in config_fields(infos, stored)}
    assert shown["fields"].widget == "textarea" and "JSON list." in shown["fields"].hint
    assert '"label": "¿Qué ha pasado?"' in shown["fields"].value  # JSON, as typed: not escaped
    assert shown["file_types"].value == "image/png\napplication/pdf"  # plain items stay one per line
    sent = MultiDict({f"config.{name}": f.value for name, f in shown.items()})
    config, errors = config_from_form(infos, sent)
    assert errors == {}
    assert config["fields"] == stored["fields"] and config["file_types"] == stored["file_types"]
    _, bad = config_from_form(infos, MultiDict({"config.fields": "{'name': 'message'}"}))
    assert bad["fields"][0].startswith("Not valid JSON")
