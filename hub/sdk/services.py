"""Deprecated: the names SDK 1.0 exported here, kept until SDK 2.0.

They were the core's own functions and ORM models, re-exported: an extension importing
them depended on the core's modules and got database rows. Their replacements return SDK
values and import nothing of the core:

- connector instances, plugin settings, ingest, departments and groups:
  :mod:`hub.sdk.hub_services` (``get_instance(session, slug)`` and the others take slugs
  and return :class:`hub.sdk.values.InstanceInfo`, ``DepartmentInfo``, ``GroupInfo``,
  ``IngestResult``);
- ``first_unstorable``: :mod:`hub.sdk.storable`; ``json_ready``: :mod:`hub.sdk.schema`;
- ``runtime_of``: what a plugin read from the Runtime has a service of its own
  (``hub.sdk.hub_services.mail_message_id``, ``hub.sdk.tracker.now``,
  ``hub.sdk.tracker.plugin_settings``);
- the ORM models: the services above and :mod:`hub.sdk.tracker`.

Importing this module imports nothing of the core. An old name is looked up when it is
first used (module ``__getattr__``), by module name through importlib, as ``hub.create_app``
is: the import-linter contracts keep the SDK's own imports free of the core, and this is
the one path that is not, on purpose, until 2.0 removes it. Each use warns with a
DeprecationWarning naming the replacement.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

#: Old name -> (the core module that defines it, what to use instead).
_MOVED: dict[str, tuple[str, str]] = {
    "Category": ("hub.models", "hub.sdk.tracker (tickets name categories by slug)"),
    "ConfigurationItem": ("hub.models", "hub.sdk.tracker (tickets name configuration items by key)"),
    "ConnectorInstance": ("hub.models", "hub.sdk.hub_services.get_instance (an InstanceInfo)"),
    "Department": ("hub.models", "hub.sdk.hub_services.departments (DepartmentInfo values)"),
    "Group": ("hub.models", "hub.sdk.hub_services.groups (GroupInfo values)"),
    "Ticket": ("hub.models", "hub.sdk.tracker.get_ticket and find_tickets (TicketInfo values)"),
    "build_connector": ("hub.plugins.instances", "hub.sdk.hub_services.build_connector(session, slug)"),
    "create_instance": ("hub.plugins.instances", "hub.sdk.hub_services.create_instance"),
    "get_instance": ("hub.plugins.instances", "hub.sdk.hub_services.get_instance"),
    "list_instances": ("hub.plugins.instances", "hub.sdk.hub_services.list_instances"),
    "present_instance": ("hub.plugins.instances", "hub.sdk.hub_services.present_instance(session, slug)"),
    "update_instance": ("hub.plugins.instances", "hub.sdk.hub_services.update_instance(session, slug, changes)"),
    "ingest": ("hub.ingest.pipeline", "hub.sdk.hub_services.ingest(session, instance_info, raw)"),
    "first_unstorable": ("hub.sdk.storable", "hub.sdk.storable.first_unstorable"),
    "json_ready": ("hub.sdk.schema", "hub.sdk.schema.json_ready"),
    "present_settings": ("hub.plugins.admin", "hub.sdk.hub_services.present_settings"),
    "update_settings": ("hub.plugins.admin", "hub.sdk.hub_services.update_settings(session, plugin, settings)"),
    "runtime_of": ("hub.core.runtime", "hub.sdk.hub_services and hub.sdk.tracker (a service per need)"),
}

#: Served without a warning for now: the built-in insights plugin still imports these
#: (it moves to hub.sdk.tracker on its own branch). They are deprecated like the rest;
#: once insights no longer imports them, empty this set so they warn too.
_NOT_YET_WARNED = frozenset({"Category", "ConfigurationItem", "Department", "Ticket"})

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    try:
        module, instead = _MOVED[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    if name not in _NOT_YET_WARNED:
        warnings.warn(f"hub.sdk.services.{name} is deprecated and goes in hub.sdk 2.0; use {instead}",
                      DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_MOVED])
