"""Jira Cloud and Jira Service Management: two-way sync of issues over REST v3."""

from __future__ import annotations

from hub.hookspecs import hookimpl


@hookimpl
def register_connectors() -> list[type]:
    from connectors.jira.connector import JiraConnector

    return [JiraConnector]
