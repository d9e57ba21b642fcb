"""A form's submissions per hour count per client, behind the reverse proxy too (D3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.webform.conftest import GUEST_FEEDBACK, samples

SAMPLE = samples()[0]
PROXY = {"REMOTE_ADDR": "127.0.0.7"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["TRUSTED_PROXIES"] = "1"
    return app_config


@pytest.fixture
def two_an_hour(api: Any, forms: Any) -> None:
    response = api.patch("/api/v1/admin/instances/guest-feedback",
                         json={"config": {**GUEST_FEEDBACK, "submissions_per_hour": 2}})
    assert response.status_code == 200, response.json


def post_json(app: Any, client_address: str, submission: str) -> Any:
    return app.test_client().post("/api/v1/forms/guest-feedback", json={"values": SAMPLE["fields"],
                                                                      "submission": submission},
                                  environ_base=PROXY, headers={"X-Forwarded-For": client_address})


def test_clients_behind_the_proxy_each_have_their_own_allowance(app: Any, two_an_hour: None) -> None:
    answers = [post_json(app, f"198.51.100.{n}", f"s{n}").status_code for n in range(1, 6)]
    assert answers == [201] * 5  # five guests, one report each: the proxy's address is not the limit


def test_one_client_over_its_allowance_is_refused_with_retry_after(app: Any, two_an_hour: None) -> None:
    first, second, third = (post_json(app, "198.51.100.7", f"t{n}") for n in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 429)
    assert third.mimetype == "application/problem+json" and int(third.headers["Retry-After"]) > 0
    assert post_json(app, "198.51.100.8", "u1").status_code == 201
