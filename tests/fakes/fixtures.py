"""Pytest fixtures serving each fake for one test: ``from tests.fakes.fixtures import *``.

Each fixture yields a running ``FakeServer``; ``server.url`` is the base URL and
``server.fake`` the control API. At teardown the server stops, and an exception raised
inside the double fails the test: that is a bug in the double, and hiding it would let a
client test pass for the wrong reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest

from tests.fakes.base import FakeService
from tests.fakes.jira import JiraFake
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake

__all__ = ["jira_server", "rt_server", "servicenow_server"]

FakeT = TypeVar("FakeT", bound=FakeService)


def _serve(fake: FakeT) -> Iterator[FakeServer[FakeT]]:
    server = FakeServer(fake).start()
    try:
        yield server
    finally:
        server.stop()
    if fake.internal_errors:
        pytest.fail(f"the {fake.system} double raised: {fake.internal_errors!r}", pytrace=False)


@pytest.fixture
def servicenow_server() -> Iterator[FakeServer[ServiceNowFake]]:
    """ServiceNow: Basic ``admin``/``admin`` or ``Bearer sn-token``."""
    yield from _serve(ServiceNowFake())


@pytest.fixture
def jira_server() -> Iterator[FakeServer[JiraFake]]:
    """Jira Cloud: Basic ``hub@example.com``/``jira-token``, project ITSM (a service project)."""
    yield from _serve(JiraFake())


@pytest.fixture
def rt_server() -> Iterator[FakeServer[RTFake]]:
    """RT 5: ``Authorization: token rt-token`` (user ``hub``), queue General."""
    yield from _serve(RTFake())
