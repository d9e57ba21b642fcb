"""The hub's services a connector or plugin may call beyond its hooks: connector instances,
plugin settings, the ingest pipeline, and the records a report or page reads.

Importing them from here, not from the core's modules, is the contract
(tests/hub/test_boundaries.py checks it): these names stay put across releases.
"""

from __future__ import annotations

from hub.core.runtime import runtime_of
from hub.ingest.pipeline import ingest
from hub.sdk.storable import first_unstorable
from hub.models import Category, ConfigurationItem, ConnectorInstance, Department, Group, Ticket
from hub.plugins.admin import json_ready, present_settings, update_settings
from hub.plugins.instances import (
    build_connector,
    create_instance,
    get_instance,
    list_instances,
    present_instance,
    update_instance,
)

__all__ = [
    "Category",
    "ConfigurationItem",
    "ConnectorInstance",
    "Department",
    "Group",
    "Ticket",
    "build_connector",
    "create_instance",
    "first_unstorable",
    "get_instance",
    "ingest",
    "json_ready",
    "list_instances",
    "present_instance",
    "present_settings",
    "runtime_of",
    "update_instance",
    "update_settings",
]
