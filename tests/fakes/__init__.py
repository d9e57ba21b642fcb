"""Test doubles of the remote ticket systems the hub syncs with: ServiceNow, Jira, RT.

Each double is an in-memory fake (``ServiceNowFake``, ``JiraFake``, ``RTFake``) with a
Python control API, served over real HTTP by ``FakeServer``. Fixtures are in
``tests.fakes.fixtures``; import them with ``from tests.fakes.fixtures import *``.
"""

from tests.fakes.base import FakeClock, FakeService, Fault, RecordedRequest
from tests.fakes.jira import JiraFake
from tests.fakes.rt import RTFake
from tests.fakes.runner import FakeServer
from tests.fakes.servicenow import ServiceNowFake

__all__ = [
    "FakeClock",
    "FakeServer",
    "FakeService",
    "Fault",
    "JiraFake",
    "RTFake",
    "RecordedRequest",
    "ServiceNowFake",
]
