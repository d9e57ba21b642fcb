"""pytest fixtures for mail: a private Dovecot for the run, a fresh IMAP user and an SMTP sink per test.

Bring them into a test module or conftest with::

    from tests.support.mail_fixtures import *  # noqa: F403

* ``dovecot`` (session): the running ``DovecotServer``; started on first use, stopped
  at the end of the run (per xdist worker: each worker runs its own instance).
* ``mailbox`` (function): a new user on it, so tests never see each other's mail;
  ``mailbox_factory`` makes more (``mailbox_factory()`` -> ``Mailbox``).
* ``smtp_sink`` (function): a plain ``SmtpSink``; ``smtp_sink_factory(starttls=True,
  users={...}, ...)`` makes variants. All are stopped after the test.

When Dovecot or aiosmtpd is missing, the test is skipped, or fails under
HUB_TEST_REQUIRE_SERVICES=1 (see tests.support.services).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.imap import SERVICE as IMAP_SERVICE
from tests.support.imap import DovecotServer, DovecotUnavailable, Mailbox
from tests.support.services import missing

if TYPE_CHECKING:
    from tests.support.smtp import SmtpSink

__all__ = ["dovecot", "mailbox", "mailbox_factory", "smtp_sink", "smtp_sink_factory"]

# Per process; with the test name in front it also makes Dovecot's log easy to follow.
_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    try:
        server = DovecotServer()
    except DovecotUnavailable as exc:
        missing(IMAP_SERVICE, str(exc))
        raise  # missing() always raises; this keeps type checkers and readers sure of it
    # A start failure with Dovecot installed is a broken setup, never a reason to skip.
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox_factory(dovecot: DovecotServer, request: pytest.FixtureRequest) -> Iterator[Callable[[], Mailbox]]:
    created: list[str] = []
    slug = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name).strip("-")[:40] or "user"

    def make() -> Mailbox:
        user = f"{slug}-{next(_user_numbers)}"
        password = secrets.token_urlsafe(12)
        dovecot.add_user(user, password)
        created.append(user)
        return Mailbox(dovecot, user, password)

    yield make
    # Connections a test leaves open (a client that was never closed) would pile up
    # against Dovecot's process limits over a long run.
    for user in created:
        dovecot.drop_connections(user)


@pytest.fixture
def mailbox(mailbox_factory: Callable[[], Mailbox]) -> Mailbox:
    return mailbox_factory()


def _smtp_sink_class() -> type[SmtpSink]:
    try:
        from tests.support.smtp import SmtpSink
    except ImportError as exc:  # aiosmtpd is a test-only dependency
        missing("SMTP sink (aiosmtpd)", f"{exc}; pip install aiosmtpd")
        raise
    return SmtpSink


@pytest.fixture
def smtp_sink_factory() -> Iterator[Callable[..., SmtpSink]]:
    sink_class = _smtp_sink_class()
    # An ExitStack so one sink failing to stop does not leave the others running.
    with contextlib.ExitStack() as stack:

        def make(**options: Any) -> SmtpSink:
            return stack.enter_context(sink_class(**options))

        yield make


@pytest.fixture
def smtp_sink(smtp_sink_factory: Callable[..., SmtpSink]) -> SmtpSink:
    return smtp_sink_factory()
