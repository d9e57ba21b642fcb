"""Chromium is found through HUB_TEST_CHROMIUM or PATH, and a miss says what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import ChromiumNotFound, find_chromium


def fake_browser(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_the_first_known_name_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_TEST_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    expected = fake_browser(tmp_path, "chromium-browser")
    fake_browser(tmp_path, "google-chrome")
    assert find_chromium() == str(expected)


def test_the_setting_wins_and_may_be_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    fake_browser(tmp_path, "chromium")
    (tmp_path / "opt").mkdir()
    elsewhere = fake_browser(tmp_path / "opt", "my-chrome")
    monkeypatch.setenv("HUB_TEST_CHROMIUM", str(elsewhere))
    assert find_chromium() == str(elsewhere)


def test_a_wrong_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_TEST_CHROMIUM", str(tmp_path / "nothing-here"))
    with pytest.raises(ChromiumNotFound, match=r"HUB_TEST_CHROMIUM=.*nothing-here.* is not an executable"):
        find_chromium()


def test_nothing_found_says_what_was_looked_for_and_how_to_install(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_TEST_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChromiumNotFound) as missing:
        find_chromium(playwright_default=str(tmp_path / "ms-playwright" / "chrome"))
    message = str(missing.value)
    assert "chromium, chromium-browser, google-chrome" in message
    assert "apt-get install chromium" in message and "playwright install chromium" in message


def test_playwright_s_own_download_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUB_TEST_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    downloaded = fake_browser(tmp_path, "chrome")
    assert find_chromium(playwright_default=str(downloaded)) == str(downloaded)
