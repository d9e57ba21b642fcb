"""Testing helpers for connector authors: the contract suite.

    from hub.testing import connector_test_class

    TestMyConnector = connector_test_class(MyConnector, config={...}, events=[...])
"""

from hub.testing.contract import check_draft, connector_test_class, default_push_message, sample_ticket

__all__ = ["check_draft", "connector_test_class", "default_push_message", "sample_ticket"]
