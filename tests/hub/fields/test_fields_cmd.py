"""itsm-hub fields: define, list, change and remove custom fields from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import HubContext, get_cli


@pytest.fixture
def run(app_config: dict[str, Any]) -> Iterator[Any]:
    runner = CliRunner()
    contexts: list[HubContext] = []

    def invoke(*args: str) -> Any:
        contexts.append(HubContext(app_config))
        return runner.invoke(get_cli(), list(args), obj=contexts[-1], catch_exceptions=False)

    yield invoke
    for context in contexts:
        context.close()


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_fields_are_added_listed_changed_and_removed(run: Any) -> None:
    ok(run("org", "departments", "add", "guest-services", "--name", "Guest services"))
    assert ok(run("fields", "add", "vip", "--label", "VIP", "--type", "choice", "--options", "no, silver,gold",
                  "--department", "guest-services")) == "Added custom field vip.\n"
    ok(run("fields", "add", "cabin_number", "--label", "Cabin number", "--type", "text", "--required",
           "--department", "guest-services", "--kind", "incident", "--help-text", "As on the key card."))
    listed = ok(run("fields", "list", "--department", "guest-services", "--kind", "incident"))
    assert "vip\tchoice (no, silver, gold)\tVIP\tguest-services\tboth\toptional" in listed
    assert "cabin_number\ttext\tCabin number\tguest-services\tincident\trequired" in listed
    changed = ok(run("fields", "update", "vip", "--options", "no,silver,gold,platinum", "--kind", "incident"))
    assert "vip: kind None -> 'incident'" in changed
    assert ok(run("fields", "update", "vip")) == "Nothing changed for vip.\n"
    assert ok(run("fields", "remove", "vip")) == "Removed custom field vip.\n"


def test_errors_are_the_services_sentences(run: Any) -> None:
    refused = run("fields", "add", "size", "--label", "Size", "--type", "choice", "--department", "nowhere")
    assert refused.exit_code == 1
    assert "options: A choice field needs at least one option." in refused.output
    assert "department: No department 'nowhere'." in refused.output
    assert run("fields", "remove", "ghost").exit_code == 1
    assert run("fields", "add", "x", "--label", "X", "--type", "colour").exit_code == 2
