"""Testing helpers for connector authors: the contract suite and what your own tests need.

    from hub.testing import connector_test_class

    TestMyConnector = connector_test_class(MyConnector, config={...}, events=[...])

``build`` makes a configured connector object, ``event_info`` the stored form of a
RawEvent (what ``normalize`` receives), ``sample_ticket`` and ``default_push_message``
the values the contract pushes, ``check_draft`` the problems of a draft.
"""

from hub.testing.contract import (
    build,
    check_draft,
    connector_test_class,
    default_push_message,
    event_info,
    sample_ticket,
)

__all__ = ["build", "check_draft", "connector_test_class", "default_push_message", "event_info", "sample_ticket"]
