"""docs/sdk-reference.md is what hub.sdk says of itself, and names everything it exports."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import hub.sdk as sdk
from hub.cli.sdk_reference import render_sdk_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "sdk-reference.md"


def test_the_committed_reference_is_the_generated_one() -> None:
    assert DOC.read_text() == render_sdk_reference(), "run `itsm-hub config docs` and commit docs/sdk-reference.md"


def test_every_exported_name_has_a_heading() -> None:
    text = render_sdk_reference()
    missing = [name for name in sdk.__all__ if f"### `{name}" not in text]
    assert not missing


def test_every_field_of_a_value_is_listed_with_its_meaning() -> None:
    text = render_sdk_reference()
    for cls in (sdk.TicketDraft, sdk.OutboundMessage, sdk.PushResult):
        for item in dataclasses.fields(cls):
            assert f"| `{item.name}` |" in text, (cls.__name__, item.name)
    # A field documented by the string under it carries that text into the table.
    assert "| `thread_key` | `str \\| None` | `None` | This event's own message id" in text


def test_docstring_markup_becomes_markdown() -> None:
    text = render_sdk_reference()
    assert ":class:`" not in text and "``" not in text.replace("```", "")


def test_every_service_function_has_a_heading() -> None:
    import importlib
    import inspect

    from hub.cli.sdk_reference import SERVICE_MODULES

    text = render_sdk_reference()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        short = module_name.rsplit(".", 1)[-1]
        functions = [name for name in module.__all__ if inspect.isfunction(getattr(module, name))
                     and getattr(module, name).__module__ == module_name]
        assert functions, module_name
        missing = [name for name in functions if f"### `{short}.{name}(session" not in text]
        assert not missing, (module_name, missing)
