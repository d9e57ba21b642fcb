"""The D11 pattern on pages: numbers from forms and queries are bounded before use, so an
admin's typo (or a crafted link) is a message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from hub.ui.forms import parse_int
from tests.hub.ui.conftest import Browser, add_user


def test_parse_int_reads_only_what_a_database_integer_holds() -> None:
    assert [parse_int(text) for text in ("42", "-7", str(2**63 - 1))] == [42, -7, 2**63 - 1]
    assert [parse_int(text, -1) for text in (str(2**63), "9" * 30, "9" * 5000, "x", "", None)] == [-1] * 6


@pytest.mark.parametrize("before", ["9" * 19, "9" * 30, "9" * 5000])
def test_a_huge_before_on_the_events_page_shows_the_first_page(app: Any, before: str) -> None:
    add_user(app, "admin1", "admin")
    assert Browser(app, "admin1").get(f"/admin/events?before={before}").status_code == 200


@pytest.mark.parametrize("days", ["1000000000", "3000000", "3651", "9" * 5000])
def test_a_token_expiry_past_ten_years_is_refused_with_a_message(app: Any, days: str) -> None:
    add_user(app, "admin1", "admin")
    browser = Browser(app, "admin1")
    response = browser.post("/admin/tokens", {"name": "x", "role": "agent", "expires_days": days})
    assert response.status_code in (200, 422), response.status_code
    assert "1 to 3650" in response.get_data(as_text=True)
