"""Every pair of states of each lifecycle: allowed exactly where DESIGN.md and issue 22 say."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from hub.sdk.tracker_errors import IllegalTransition
from hub.tracker.states import CHANGE, INCIDENT, MACHINES, PROBLEM, format_ref, kind_of_ref

# The lifecycles written out independently of the code, as the design describes them.
INCIDENT_ALLOWED = {
    ("new", "acknowledged"), ("new", "in_progress"), ("new", "on_hold"), ("new", "resolved"), ("new", "cancelled"),
    ("acknowledged", "in_progress"), ("acknowledged", "on_hold"), ("acknowledged", "resolved"),
    ("acknowledged", "cancelled"),
    ("in_progress", "on_hold"), ("in_progress", "resolved"), ("in_progress", "cancelled"),
    ("on_hold", "in_progress"), ("on_hold", "resolved"), ("on_hold", "cancelled"),
    ("resolved", "closed"), ("resolved", "in_progress"),
}
CHANGE_ALLOWED = {
    ("draft", "submitted"), ("draft", "cancelled"),
    ("submitted", "assessment"), ("submitted", "approved"), ("submitted", "draft"), ("submitted", "cancelled"),
    ("assessment", "approved"), ("assessment", "rejected"), ("assessment", "draft"), ("assessment", "cancelled"),
    ("approved", "scheduled"), ("approved", "cancelled"),
    ("submitted", "implementing"), ("assessment", "implementing"),  # emergency changes only
    ("rejected", "draft"),
    ("scheduled", "implementing"), ("scheduled", "cancelled"),
    ("implementing", "review"), ("implementing", "failed"), ("implementing", "backed_out"),
    ("review", "closed"), ("review", "failed"), ("review", "backed_out"),
}
# Issue 22 point 2: new -> investigating -> known error -> resolved -> closed.
PROBLEM_ALLOWED = {
    ("new", "investigating"), ("new", "cancelled"),
    ("investigating", "known_error"), ("investigating", "resolved"), ("investigating", "cancelled"),
    ("known_error", "resolved"), ("known_error", "investigating"),
    ("resolved", "closed"), ("resolved", "investigating"),
}
STANDARD = SimpleNamespace(change_type="standard")
NORMAL = SimpleNamespace(change_type="normal")
EMERGENCY = SimpleNamespace(change_type="emergency")
IMPLEMENTED_FIRST = {("submitted", "implementing"), ("assessment", "implementing")}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(INCIDENT.states, repeat=2)))
def test_incident_pair(current: str, target: str) -> None:
    if (current, target) in INCIDENT_ALLOWED:
        INCIDENT.check(current, target, SimpleNamespace())
    else:
        with pytest.raises(IllegalTransition) as caught:
            INCIDENT.check(current, target, SimpleNamespace())
        assert set(caught.value.allowed) == {to for frm, to in INCIDENT_ALLOWED if frm == current}
        assert caught.value.status == 409


@pytest.mark.parametrize(("current", "target"), list(itertools.product(CHANGE.states, repeat=2)))
def test_change_pair(current: str, target: str) -> None:
    ticket = STANDARD if (current, target) == ("submitted", "approved") else NORMAL
    ticket = EMERGENCY if (current, target) in IMPLEMENTED_FIRST else ticket
    if (current, target) in CHANGE_ALLOWED:
        CHANGE.check(current, target, ticket)
    else:
        with pytest.raises(IllegalTransition) as caught:
            CHANGE.check(current, target, ticket)
        assert set(caught.value.allowed) <= {to for frm, to in CHANGE_ALLOWED if frm == current}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(PROBLEM.states, repeat=2)))
def test_problem_pair(current: str, target: str) -> None:
    understood = SimpleNamespace(workaround="Reset it.", root_cause="A worn belt.")
    if (current, target) in PROBLEM_ALLOWED:
        PROBLEM.check(current, target, understood)
    else:
        with pytest.raises(IllegalTransition) as caught:
            PROBLEM.check(current, target, understood)
        assert set(caught.value.allowed) == {to for frm, to in PROBLEM_ALLOWED if frm == current}


def test_a_known_error_needs_a_workaround_and_a_resolution_a_root_cause() -> None:
    blank = SimpleNamespace(workaround="  ", root_cause=None)
    with pytest.raises(IllegalTransition) as caught:
        PROBLEM.check("investigating", "known_error", blank)
    assert "workaround" in caught.value.detail
    for current in ("investigating", "known_error"):
        with pytest.raises(IllegalTransition) as caught:
            PROBLEM.check(current, "resolved", blank)
        assert "root cause" in caught.value.detail
    assert PROBLEM.allowed("investigating", blank) == ["cancelled"]


def test_a_normal_change_cannot_skip_assessment() -> None:
    with pytest.raises(IllegalTransition) as caught:
        CHANGE.check("submitted", "approved", NORMAL)
    assert "standard" in caught.value.detail
    assert "approved" not in caught.value.allowed
    assert "approved" in CHANGE.allowed("submitted", STANDARD)


def test_unknown_state_names_the_states() -> None:
    with pytest.raises(IllegalTransition) as caught:
        INCIDENT.check("new", "done", SimpleNamespace())
    assert caught.value.detail.startswith("'done' is not an incident state.")
    assert "new, acknowledged" in caught.value.detail


def test_final_states_allow_nothing() -> None:
    assert set(INCIDENT.final_states) == {"closed", "cancelled"}
    assert set(CHANGE.final_states) == {"closed", "failed", "backed_out", "cancelled"}
    assert set(PROBLEM.final_states) == {"closed", "cancelled"}
    with pytest.raises(IllegalTransition) as caught:
        INCIDENT.check("closed", "new", SimpleNamespace())
    assert "none (final state)" in caught.value.detail


def test_every_state_is_reachable_from_the_initial_one() -> None:
    for machine in MACHINES.values():
        seen, frontier = {machine.initial}, [machine.initial]
        while frontier:
            for target in machine.moves[frontier.pop()]:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
        assert seen == set(machine.states), machine.kind


def test_refs_round_trip() -> None:
    assert format_ref("incident", 42) == "INC-000042"
    assert format_ref("change", 1234567) == "CHG-1234567"
    assert kind_of_ref("inc-000042") == "incident"
    assert kind_of_ref("CHG-7") == "change"
    assert format_ref("problem", 3) == "PRB-000003" and kind_of_ref("prb-000003") == "problem"
    assert kind_of_ref("XYZ-1") is None
    assert kind_of_ref("INC-abc") is None


def test_only_an_emergency_change_is_implemented_before_approval() -> None:
    for current in ("submitted", "assessment"):
        with pytest.raises(IllegalTransition) as caught:
            CHANGE.check(current, "implementing", NORMAL)
        assert "approved after the fact" in caught.value.detail
        assert "implementing" not in CHANGE.allowed(current, NORMAL)
        assert "implementing" in CHANGE.allowed(current, EMERGENCY)
