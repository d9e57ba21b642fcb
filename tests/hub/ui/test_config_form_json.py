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
