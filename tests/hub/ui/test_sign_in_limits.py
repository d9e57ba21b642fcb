"""Sign-in limits per client address behind a proxy (D3), and no lock-out switch per username (D19)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from tests.hub.ui.conftest import PASSWORD, add_user, csrf_of

WRONG = "not the password at all"


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rules with smaller numbers, so a test makes a handful of attempts, not thirty."""
    from hub.ui import auth

    monkeypatch.setattr(auth, "LOGIN_ATTEMPTS_PER_ADDRESS", 5)
    monkeypatch.setattr(auth, "LOGIN_FAILURES_PER_USER_AND_ADDRESS", 3)


def sign_in(app: Flask, address: str, username: str, password: str, forwarded: str | None = None) -> int:
    """One attempt by a browser at ``address`` (the proxy's, when ``forwarded`` names the client)."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": address}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/login", environ_base=environ, headers=headers).get_data(as_text=True)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(page)},
                           environ_base=environ, headers=headers)
    return int(response.status_code)


@pytest.fixture
def hub_with(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """An app with extra settings (and the user u_agent)."""
    from hub import create_app

    made: list[Flask] = []

    def build(**settings: Any) -> Flask:
        app = create_app({**app_config, **settings})
        if not made:  # later apps are more web nodes of the same hub
            add_user(app, "u_agent", "agent")
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["hub"].db.dispose()


def test_failures_lock_a_username_at_that_address_only(hub_with: Any) -> None:
    app = hub_with()
    assert [sign_in(app, "127.0.0.2", "u_agent", WRONG) for _ in range(10)] == [401] * 10
    assert sign_in(app, "127.0.0.2", "u_agent", PASSWORD) == 429  # the guesser's address waits
    assert sign_in(app, "127.0.0.3", "u_agent", PASSWORD) == 302  # the owner elsewhere signs in
    assert sign_in(app, "127.0.0.4", "u_agent", PASSWORD) == 302


def test_each_address_has_a_budget_of_attempts_whatever_the_usernames(hub_with: Any, small_limits: None) -> None:
    app = hub_with()
    assert [sign_in(app, "127.0.0.5", f"nobody{n}", WRONG) for n in range(5)] == [401] * 5
    assert sign_in(app, "127.0.0.5", "u_agent", PASSWORD) == 429
    assert sign_in(app, "127.0.0.6", "u_agent", PASSWORD) == 302


def test_behind_a_trusted_proxy_each_client_counts_on_its_own(hub_with: Any, small_limits: None) -> None:
    app = hub_with(TRUSTED_PROXIES="1")
    proxy = "127.0.0.7"
    codes = [sign_in(app, proxy, "u_agent", WRONG, forwarded=f"198.51.100.{n}") for n in range(1, 8)]
    assert codes == [401] * 7  # 7 clients, one address each: nobody is over a limit
    assert sign_in(app, proxy, "u_agent", PASSWORD, forwarded="198.51.100.99") == 302


def test_without_trusted_proxies_a_forwarded_header_changes_nothing(hub_with: Any, small_limits: None) -> None:
    app = hub_with()
    codes = [sign_in(app, "127.0.0.8", f"nobody{n}", WRONG, forwarded=f"198.51.100.{n}") for n in range(6)]
    assert codes == [401] * 5 + [429]  # a client cannot pick a new address by sending the header


def test_proxies_named_by_address_are_the_only_ones_believed(hub_with: Any, small_limits: None) -> None:
    app = hub_with(TRUSTED_PROXIES="127.0.0.7, 127.0.0.10")
    assert [sign_in(app, "127.0.0.9", "u_agent", WRONG, forwarded=f"198.51.100.{n}") for n in range(3)] == [401] * 3
    assert sign_in(app, "127.0.0.9", "u_agent", PASSWORD, forwarded="198.51.100.200") == 429  # not a proxy of ours
    # Two trusted proxies in a row: the client is the first address neither of them added.
    assert [sign_in(app, "127.0.0.7", "u_agent", WRONG, forwarded="6.6.6.6, 203.0.113.5, 127.0.0.10")
            for _ in range(3)] == [401] * 3
    assert sign_in(app, "127.0.0.7", "u_agent", PASSWORD, forwarded="203.0.113.5, 127.0.0.10") == 429
    assert sign_in(app, "127.0.0.7", "u_agent", PASSWORD, forwarded="203.0.113.6, 127.0.0.10") == 302


def test_a_bad_trusted_proxies_setting_stops_start_up_naming_it(app_config: dict[str, Any]) -> None:
    from hub import create_app
    from hub.app.settings import SettingsError

    with pytest.raises(SettingsError, match="HUB_TRUSTED_PROXIES"):
        create_app({**app_config, "TRUSTED_PROXIES": "the nginx"})


def test_limits_are_counted_in_the_hub_s_redis_for_every_web_node(hub_with: Any, small_limits: None) -> None:
    first, second = hub_with(), hub_with()  # two web nodes of one hub (same Redis and prefix)
    assert [sign_in(node, "127.0.0.11", "u_agent", WRONG) for node in (first, second, first)] == [401] * 3
    assert sign_in(first, "127.0.0.11", "u_agent", PASSWORD) == 429


def test_with_redis_away_limits_count_in_memory_and_sign_in_still_works(hub_with: Any, small_limits: None) -> None:
    from tests.support.processes import free_port

    app = hub_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert sign_in(app, "127.0.0.12", "u_agent", PASSWORD) == 302
    assert [sign_in(app, "127.0.0.12", "u_agent", WRONG) for _ in range(3)] == [401] * 3
    assert sign_in(app, "127.0.0.12", "u_agent", PASSWORD) == 429
