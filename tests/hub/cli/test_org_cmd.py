"""itsm-hub org: departments, groups with members, categories and items from the command line,
with readable errors and exit codes (1 for a refusal, 2 for a wrong option)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from hub.cli import HubContext, get_cli


@pytest.fixture
def run(app_config: dict[str, Any]) -> Iterator[Any]:
    runner = CliRunner()
    contexts: list[HubContext] = []

    def invoke(*args: str) -> Any:
        contexts.append(HubContext(app_config))
        return runner.invoke(get_cli(), ["org", *args], obj=contexts[-1], catch_exceptions=False)

    yield invoke
    for context in contexts:
        context.close()


def ok(result: Any) -> str:
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_departments_are_added_listed_renamed_and_removed(run: Any) -> None:
    assert ok(run("departments", "add", "care", "--name", "Customer care", "--email", "care@example.org")) == (
        "Added department care.\n")
    assert "care\tCustomer care\tcare@example.org" in ok(run("departments", "list"))
    renamed = ok(run("departments", "update", "care", "--slug", "guest-care", "--email", ""))
    assert "care: slug 'care' -> 'guest-care'" in renamed and "email 'care@example.org' -> None" in renamed
    assert ok(run("departments", "update", "guest-care", "--name", "Customer care")) == (
        "Nothing changed for guest-care.\n")
    assert ok(run("departments", "remove", "guest-care")) == "Removed guest-care.\n"


def test_errors_are_readable_with_exit_codes(run: Any) -> None:
    bad = run("departments", "add", "Not A Slug", "--name", "X")
    assert bad.exit_code == 1 and "slug: Lower-case letters" in bad.output and "Traceback" not in bad.output
    missing = run("departments", "remove", "nowhere")
    assert missing.exit_code == 1 and "No department 'nowhere'." in missing.output
    usage = run("cis", "add", "plant-a", "--kind", "spaceship", "--name", "A")
    assert usage.exit_code == 2 and "spaceship" in usage.output
    no_name = run("cis", "add", "plant-a")
    assert no_name.exit_code == 2 and "Give --name." in no_name.output


def test_a_group_gets_members_and_refuses_requesters(app: Flask, run: Any) -> None:
    from tests.hub.ui.conftest import add_user

    add_user(app, "maria", "agent")
    add_user(app, "omar", "agent")
    add_user(app, "rita", "requester")
    assert ok(run("groups", "add", "line-3", "--name", "Line 3", "--member", "maria")) == (
        "Added group line-3 with maria.\n")
    assert ok(run("groups", "add-member", "line-3", "omar", "maria")) == (
        "omar added to line-3.\nmaria is in line-3 already.\n")
    refused = run("groups", "add-member", "line-3", "rita")
    assert refused.exit_code == 1 and "rita is a requester; only agents and admins join groups." in refused.output
    assert "line-3\tLine 3\t\tmaria,omar" in ok(run("groups", "list"))
    assert ok(run("groups", "remove-member", "line-3", "maria")) == "maria removed from line-3.\n"
    assert ok(run("groups", "remove", "line-3")) == "Removed line-3.\n"


def test_categories_with_a_repeated_slug_ask_which(run: Any) -> None:
    ok(run("departments", "add", "care", "--name", "Care"))
    ok(run("categories", "add", "noise", "--name", "Noise"))
    ok(run("categories", "add", "noise", "--name", "Noise", "--department", "care"))
    which = run("categories", "update", "noise", "--name", "Loud")
    assert which.exit_code == 1 and "Several categories are called 'noise' (no department, care)" in which.output
    assert "name 'Noise' -> 'Loud'" in ok(run("categories", "update", "noise", "--in", "care", "--name", "Loud"))
    assert ok(run("categories", "remove", "noise", "--department", "")) == "Removed noise.\n"


def test_items_form_a_tree_refuse_loops_and_merge(app: Flask, api: Any, run: Any) -> None:
    ok(run("cis", "add", "plant-a", "--name", "Plant A", "--kind", "site"))
    ok(run("cis", "add", "plant-a/line-3", "--name", "Line 3", "--kind", "line", "--parent", "plant-a",
           "--owner", "alice", "--criticality", "high"))
    for machine in ("filler", "capper"):
        ok(run("cis", "add", f"plant-a/line-3/{machine}", "--name", machine.title(), "--kind", "machine",
               "--parent", "plant-a/line-3"))
    listed = ok(run("cis", "list")).splitlines()
    assert [line.split("\t")[0] for line in listed] == [
        "plant-a", "  plant-a/line-3", "    plant-a/line-3/capper", "    plant-a/line-3/filler"]
    assert "\thigh\talice\t0 open" in listed[1]
    loop = run("cis", "update", "plant-a", "--parent", "plant-a/line-3/capper")
    assert loop.exit_code == 1 and "The hierarchy must not loop." in loop.output
    api.post("/api/v1/incidents", json={"title": "Capper jams", "ci": "plant-a/line-3/capper"})
    refused = run("cis", "remove", "plant-a/line-3/capper")
    assert refused.exit_code == 1 and "is in use: 1 open ticket." in refused.output
    merged = ok(run("cis", "remove", "plant-a/line-3/capper", "--merge-into", "plant-a/line-3/filler"))
    assert merged == "Merged plant-a/line-3/capper into plant-a/line-3/filler (1 ticket moved).\n"
    history = ok(run("cis", "history", "plant-a/line-3", "--below")).splitlines()
    assert history[0] == "plant-a > plant-a/line-3: 1 incidents, 0 changes, 1 open, 1 occurrences"
    assert history[1].startswith("INC-") and history[1].endswith("plant-a/line-3/filler\tCapper jams")
