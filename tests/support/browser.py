"""Finding Chromium for the browser tests, and the one fixture that launches it.

The browser tests drive a system Chromium through Playwright. It is looked for in this
order: ``HUB_TEST_CHROMIUM`` (a path or a command name), then ``chromium``,
``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on PATH, then the
Chromium that ``python -m playwright install chromium`` downloads. Missing, the tests skip
with a reason that names what was looked for and how to install it, or fail with
HUB_TEST_REQUIRE_SERVICES=1 (tests.support.services.missing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.services import missing

#: Command names tried on PATH, in order (Debian, Ubuntu, Google's packages).
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SETTING = "HUB_TEST_CHROMIUM"
HOW_TO_INSTALL = (f"install it (Debian: apt-get install chromium; or python -m playwright install chromium) "
                  f"or set {SETTING} to its path")


class ChromiumNotFound(Exception):
    """No usable Chromium; the message says what was looked for and how to install one."""


def find_chromium(playwright_default: str | None = None) -> str:
    """The Chromium executable to launch; ChromiumNotFound says what is missing."""
    setting = os.environ.get(SETTING, "").strip()
    if setting:
        found = shutil.which(setting)
        if found is None:
            raise ChromiumNotFound(f"{SETTING}={setting!r} is not an executable file or a command on PATH")
        return found
    for name in NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    if playwright_default and os.access(playwright_default, os.X_OK):
        return playwright_default
    raise ChromiumNotFound(f"no Chromium: {', '.join(NAMES)} are not on PATH ({os.environ.get('PATH', '')}), "
                           f"{SETTING} is not set and Playwright has not downloaded one; {HOW_TO_INSTALL}")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright Browser) shared by a test module; tests open their own contexts."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("browser", "the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        try:
            executable = find_chromium(_playwright_default(playwright))
        except ChromiumNotFound as exc:
            missing("browser", str(exc))
        # --no-sandbox: CI runs the tests as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


def _playwright_default(playwright: Any) -> str | None:
    try:
        path = str(playwright.chromium.executable_path)
    except Exception:  # Playwright without its browsers cannot even name the path: that is "not found"
        return None
    return path if Path(path).exists() else None
