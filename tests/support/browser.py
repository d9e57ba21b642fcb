"""Finding Chromium for the browser tests, and the one fixture that launches it.

The browser tests drive a system Chromium through Playwright. It is looked for in this
order: ``HUB_TEST_CHROMIUM`` (a path or a command name), then ``chromium``,
``chromium-browser``, ``google-chrome`` and ``google-chrome-stable`` on PATH, then the
Chromium that ``python -m playwright install chromium`` downloads. Missing, the tests skip
with a reason that names what was looked for and how to install it, or fail with
HUB_TEST_REQUIRE_SERVICES=1 (tests.support.services.missing).

The tests then open a tab per person with ``open_tab`` (a viewport of ``WIDTHS``, screenshots
and the sideways-scroll check) and ``sign_in`` through the login page.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
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


# -- a signed-in tab with screenshots and layout checks, shared by the browser tests

#: The two widths every page is looked at: a laptop and a phone.
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: Where UPDATE_SCREENSHOTS=1 writes the copies the docs show.
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery"


def sideways_scroll(page: Any, name: str) -> list[str]:
    """The page shown now, as a sentence when it is wider than the window (a table in its
    scrolling wrapper, or a ``pre``, may be wider: it scrolls on its own); else empty."""
    scroll_width, inner_width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll_width <= inner_width:
        return []
    wide = page.evaluate("""(limit) => Array.from(document.querySelectorAll('body *'))
        .filter(el => el.getBoundingClientRect().right > limit + 1)
        .filter(el => !(el.parentElement.closest('.table-wrap, pre')))
        .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))""", inner_width)
    return [f"{name}: scrolls sideways ({scroll_width}px wide in {inner_width}px; widest: {wide})"]


def screenshot_dir(fallback: Path) -> Path:
    """$SCREENSHOT_DIR when set (CI keeps it), else ``fallback`` (the test's tmp dir)."""
    shots = Path(os.environ.get("SCREENSHOT_DIR") or fallback)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


@contextmanager
def open_tab(chromium: Any, size: str, *, prefix: str, shots: Path, for_docs: Collection[str] = (),
             timeout_ms: float = 10_000, accept_dialogs: bool = False, check_layout: bool = True,
             **context_options: Any) -> Iterator[Any]:
    """A page in a new browser context (one person's browser) at ``size`` (a key of WIDTHS).

    ``tab.shot(name)`` writes ``<prefix>-<name>-<size>.png`` (full page) into ``shots`` (with
    ``focus``, a selector, also ``...-screen.png``: the window scrolled to it), and a
    copy into docs/screenshots when UPDATE_SCREENSHOTS=1 and ``name`` or ``name-size`` is in
    ``for_docs``; with ``check_layout`` it also notes a page that scrolls sideways. Leaving
    the block fails on any script or CSP error the browser reported and on any layout
    problem noted. ``accept_dialogs`` says yes to ``data-confirm`` questions;
    ``context_options`` go to ``new_context`` (e.g. ``locale="es-ES"``).
    """
    viewport = WIDTHS[size]
    context = chromium.new_context(viewport=viewport, **context_options)
    context.set_default_timeout(timeout_ms)
    tab = context.new_page()
    errors: list[str] = []
    problems: list[str] = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    if accept_dialogs:
        tab.on("dialog", lambda dialog: dialog.accept())

    def shot(name: str, focus: str | None = None) -> None:
        tab.screenshot(path=str(shots / f"{prefix}-{name}-{size}.png"), full_page=True)
        if focus is not None:  # also the screen around ``focus``, as a person sees it
            tab.locator(focus).first.scroll_into_view_if_needed()
            tab.screenshot(path=str(shots / f"{prefix}-{name}-{size}-screen.png"))
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" and ({name, f"{name}-{size}"} & set(for_docs)):
            DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(DOCS_SHOTS / f"{prefix}-{name}-{size}.png"), full_page=True)
        if check_layout:
            problems.extend(sideways_scroll(tab, f"{prefix}-{name}"))

    tab.shot = shot
    tab.size = size
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"the browser reported errors (CSP or script): {errors}"
    assert not problems, "\n".join(problems)


def sign_in(page: Any, url: str, username: str, password: str = PASSWORD, *, landing: str = r".*/tickets$") -> None:
    """The sign-in page, filled and sent; waits for the page it lands on (the ticket list)."""
    page.goto(url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(landing))


@contextmanager
def live_hub_with_admin(app: Any, username: str = "ada") -> Iterator[str]:
    """The app served on a free port, with one admin (``username``, PASSWORD) to sign in as."""
    from hub.auth.users import create_user
    from tests.support.live import live_server

    with app.extensions["hub"].db.transaction() as session:
        create_user(session=session, username=username, role="admin", password=PASSWORD, display_name="Ada Admin")
    with live_server(app) as url:
        yield url
