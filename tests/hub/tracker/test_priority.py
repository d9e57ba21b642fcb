"""Priority from impact x urgency: the ITIL matrix and its overrides."""

from __future__ import annotations

import itertools

import pytest

from hub.tracker.priority import LEVELS, PriorityMatrix

ITIL = {
    ("high", "high"): 1, ("high", "medium"): 2, ("high", "low"): 3,
    ("medium", "high"): 2, ("medium", "medium"): 3, ("medium", "low"): 4,
    ("low", "high"): 3, ("low", "medium"): 4, ("low", "low"): 5,
}


@pytest.mark.parametrize(("impact", "urgency"), list(itertools.product(LEVELS, repeat=2)))
def test_default_matrix(impact: str, urgency: str) -> None:
    assert PriorityMatrix().priority(impact, urgency) == ITIL[(impact, urgency)]


def test_override_changes_only_the_given_cells() -> None:
    matrix = PriorityMatrix({"high": {"low": 2}, "low": {"low": 4}})
    assert matrix.priority("high", "low") == 2
    assert matrix.priority("low", "low") == 4
    assert matrix.priority("high", "high") == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"huge": {"low": 1}}, "unknown impact 'huge'"),
        ({"high": {"soon": 1}}, "unknown urgency 'soon'"),
        ({"high": {"low": 0}}, "expected 1 to 5"),
        ({"high": {"low": True}}, "expected 1 to 5"),
        ({"high": {"low": "2"}}, "expected 1 to 5"),
    ],
)
def test_bad_overrides_name_the_cell(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PriorityMatrix(overrides)


def test_api_uses_the_configured_matrix(app_config: dict, tmp_path) -> None:
    from hub import create_app
    from tests.conftest import ApiClient, make_token

    app_config["PRIORITY_MATRIX"] = '{"low": {"low": 4}}'
    app = create_app(app_config)
    client = ApiClient(app.test_client(), make_token(app, "agent"))
    created = client.post("/api/v1/incidents", json={"title": "Squeaky door", "impact": "low", "urgency": "low"})
    assert created.status_code == 201
    assert created.json["priority"] == 4
    app.extensions["hub"].db.dispose()
