"""An ordered list of named items in a plugin's settings, as its admin pages edit it.

SLA policies and routing rules are both tried in order and named, and both pages list,
move and delete them the same way: by position, checking that the item at that position
is still the one the admin's page showed (another admin may have changed the list since),
and storing the whole list through the plugin's own checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request, url_for

from hub.sdk.tracker_errors import NotFound

Settings = dict[str, Any]
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class OrderedSettingsList:
    key: str
    """The settings entry holding the list, such as ``policies``."""
    noun: str
    """One item as the pages call it: ``policy``, ``rule``."""
    title: str
    """One item in a "not found" message: ``SLA policy``."""
    endpoint: str
    """The list page, for redirects (``sla_admin.policies``)."""
    current: Callable[[], Settings]
    save: Callable[[Settings], Errors]
    """Check and store; the errors (by dotted path) when nothing was stored."""
    list_page: Callable[..., Any]
    """Renders the list: ``list_page(settings, problems=[...], failed="...", status=422)``."""
    describe: Callable[[Errors, list[dict[str, Any]]], list[str]]

    def items(self, settings: Settings) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = settings.setdefault(self.key, [])
        return items

    def position(self, settings: Settings, number: int) -> int:
        """The index of item ``number`` (counted from 1), or NotFound."""
        items = self.items(settings)
        if not 1 <= number <= len(items):
            raise NotFound(f"There is no {self.title} number {number}; there are {len(items)}.")
        return number - 1

    def stale(self, settings: Settings, index: int) -> bool:
        """True when the item at this position is no longer the one the admin's page showed."""
        expect = request.form.get("expect")
        return expect is not None and self.items(settings)[index].get("name") != expect

    def changed_meanwhile(self) -> Any:
        flash(f"The {self.key} changed while you had the page open; here they are as they stand now. Try again.",
              "error")
        return redirect(url_for(self.endpoint))

    def move(self, number: int) -> Any:
        """Swap item ``number`` with its neighbour (the form's ``direction``: up or down)."""
        settings = self.current()
        index = self.position(settings, number)
        if self.stale(settings, index):
            return self.changed_meanwhile()
        target = index - 1 if request.form.get("direction") == "up" else index + 1
        items = self.items(settings)
        if not 0 <= target < len(items):
            return redirect(url_for(self.endpoint) + f"#{self.noun}-{number}")
        items[index], items[target] = items[target], items[index]
        errors = self.save(settings)
        if errors:
            return self.list_page(self.current(), problems=self.describe(errors, items), status=422,
                                  failed=f"The {self.noun} {items[target]['name']} was not moved.")
        flash(f"Moved {items[target]['name']} to position {target + 1}: it is tried "
              f"{'before' if target < index else 'after'} {items[index]['name']} now.", "success")
        return redirect(url_for(self.endpoint) + f"#{self.noun}-{target + 1}")

    def delete(self, number: int) -> Any:
        settings = self.current()
        index = self.position(settings, number)
        if self.stale(settings, index):
            return self.changed_meanwhile()
        items = self.items(settings)
        removed = items.pop(index)
        errors = self.save(settings)
        if errors:
            return self.list_page(self.current(), problems=self.describe(errors, items), status=422,
                                  failed=f"The {self.noun} {removed['name']} was not deleted.")
        flash(f"Deleted the {self.noun} {removed['name']}.", "success")
        return redirect(url_for(self.endpoint))
