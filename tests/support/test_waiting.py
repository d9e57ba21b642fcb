"""The waiting helper: returns what the probe found, stretches its deadline, explains a timeout."""

from __future__ import annotations

import itertools

import pytest

from tests.support import waiting
from tests.support.waiting import WaitTimeout, load_scale, wait_until


def test_returns_the_first_true_value() -> None:
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "ready", what="the counter", timeout=5, interval=0) == "ready"


def test_a_timeout_says_what_was_awaited_the_last_error_and_the_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TEST_TIMEOUT_SCALE", "1")

    def probe() -> bool:
        raise ConnectionRefusedError("nothing on port 9")

    with pytest.raises(WaitTimeout) as failure:
        wait_until(probe, what="the discard server", timeout=0.1, interval=0.01, log=lambda: "line 1\nbind failed")
    message = str(failure.value)
    assert "the discard server" in message
    assert "ConnectionRefusedError: nothing on port 9" in message
    assert message.endswith("bind failed")


def test_errors_not_ignored_propagate_at_once() -> None:
    calls = []

    def probe() -> bool:
        calls.append(1)
        raise RuntimeError("the server died")

    with pytest.raises(RuntimeError, match="died"):
        wait_until(probe, what="a dead server", timeout=60, ignore=())
    assert len(calls) == 1


def test_the_deadline_follows_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_TEST_TIMEOUT_SCALE", raising=False)
    monkeypatch.setattr(waiting.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(waiting.os, "getloadavg", lambda: (10.0, 0.0, 0.0))
    assert load_scale() == 5.0
    monkeypatch.setattr(waiting.os, "getloadavg", lambda: (0.3, 0.0, 0.0))
    assert load_scale() == 1.0
    monkeypatch.setattr(waiting.os, "getloadavg", lambda: (500.0, 0.0, 0.0))
    assert load_scale() == waiting.MAX_SCALE


def test_the_setting_overrides_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TEST_TIMEOUT_SCALE", "2.5")
    assert waiting.scaled(4) == 10.0
    monkeypatch.setenv("HUB_TEST_TIMEOUT_SCALE", "fast")
    with pytest.raises(ValueError, match="HUB_TEST_TIMEOUT_SCALE must be a number"):
        load_scale()
