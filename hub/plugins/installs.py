"""Which plugin packages are installed, where each comes from, and what changed since start.

Reads package metadata only: nothing here imports a plugin. A plugin is *built-in* when the
distribution that declares its entry point is the hub's own (``itsm-hub``), whatever its
module is called: a third party cannot pass for a built-in by naming its module
``plugins.x``, and when a third-party package declares an entry point with a built-in's name,
the built-in keeps the name.

Loading a plugin into a running process is not attempted (docs/admin.md, "Plugins"): its
blueprints cannot be added to a Flask app that already serves requests, its schedules, CLI
commands and hook specifications are collected once at start, and the web server's worker
processes would each load it at a different moment. Half a plugin is worse than none, so a
process that notices a package installed, upgraded or removed after it started says
"restart needed" instead.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata

from hub import hookspecs

log = logging.getLogger("hub.plugins")

#: The hub's own distribution: entry points it declares are built-ins.
HUB_DISTRIBUTION = "itsm-hub"

CORE = "core"
"""The hub's own default behaviour (hub.builtins), always on."""
BUILT_IN = "built-in"
"""A connector or plugin shipped in the hub's distribution: enabled unless an admin disables it."""
CONFIGURED = "configured"
"""Given to ``create_app`` in code (the ``PLUGINS`` setting): chosen by whoever wrote that code."""
THIRD_PARTY = "third-party"
"""Installed from another distribution: disabled until an admin enables it."""


def canonical(distribution: str) -> str:
    """A distribution name as pip compares them (``Acme_Alarms`` is ``acme-alarms``)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def same_distribution(stored: str | None, current: str | None) -> bool:
    """Whether a switch stored for ``stored`` applies to the package now providing the name
    (a switch stored before distributions were recorded applies to any)."""
    return stored is None or current is None or canonical(stored) == canonical(current)


def origin_of(distribution: str | None) -> str:
    if distribution is not None and canonical(distribution) == HUB_DISTRIBUTION:
        return BUILT_IN
    return THIRD_PARTY


@dataclass(frozen=True)
class Installed:
    """One entry point of the ``itsm_hub`` group, as its package's metadata describes it."""

    name: str
    value: str
    distribution: str | None
    version: str | None

    @property
    def origin(self) -> str:
        return origin_of(self.distribution)


def _distribution_of(entry_point: metadata.EntryPoint) -> tuple[str | None, str | None]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return None, None
    return dist.metadata["Name"], dist.version


def installed_entry_points(only: Iterable[str] = ()) -> list[tuple[Installed, metadata.EntryPoint]]:
    """The ``itsm_hub`` entry points on sys.path, one per name, sorted by name.

    ``only`` keeps just those names (``HUB_LOAD_PLUGINS``). For a name declared twice, the
    hub's own distribution wins; between two others, the first on sys.path (as imports do).
    """
    wanted = set(only)
    chosen: dict[str, tuple[Installed, metadata.EntryPoint]] = {}
    for entry_point in metadata.entry_points(group=hookspecs.PROJECT):
        if wanted and entry_point.name not in wanted:
            continue
        distribution, version = _distribution_of(entry_point)
        found = Installed(entry_point.name, entry_point.value, distribution, version)
        taken = chosen.get(entry_point.name)
        if taken is None or (found.origin == BUILT_IN and taken[0].origin != BUILT_IN):
            chosen[entry_point.name] = (found, entry_point)
        if taken is not None and taken[0].distribution != found.distribution:
            kept = chosen[entry_point.name][0]
            log.warning("plugin name %r is declared by %s and %s; %s keeps it", entry_point.name,
                        taken[0].distribution, found.distribution, kept.distribution)
    return [chosen[name] for name in sorted(chosen)]


@dataclass(frozen=True)
class Change:
    """A plugin package installed, upgraded or removed after this process loaded its plugins."""

    name: str
    change: str
    """``installed``, ``upgraded`` or ``removed``."""
    version: str | None
    """The version installed now (None when removed)."""
    running: str | None
    """The version this process runs (None when it runs none)."""

    def describe(self) -> str:
        if self.change == "installed":
            return (f"{self.name}{_version(self.version)}: installed after this process started; "
                    "restart the hub to load it")
        if self.change == "upgraded":
            return (f"{self.name}: changed to{_version(self.version)} after this process started (it runs"
                    f"{_version(self.running)}); restart the hub to load the new version")
        return f"{self.name}: removed after this process started (it still runs it); restart the hub to unload it"

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "change": self.change, "version": self.version, "running": self.running}

    @classmethod
    def from_dict(cls, data: Mapping[str, str | None]) -> Change:
        return cls(str(data.get("name")), str(data.get("change")), data.get("version"), data.get("running"))


def _version(version: str | None) -> str:
    return f" {version}" if version else ""


def compare(loaded: Mapping[str, str | None], installed: Mapping[str, str | None]) -> list[Change]:
    """What differs between the plugins a process loaded and those installed now (name -> version)."""
    changes = []
    for name in sorted(set(loaded) | set(installed)):
        if name not in loaded:
            changes.append(Change(name, "installed", installed[name], None))
        elif name not in installed:
            changes.append(Change(name, "removed", None, loaded[name]))
        elif loaded[name] != installed[name]:
            changes.append(Change(name, "upgraded", installed[name], loaded[name]))
    return changes


def _path_signature() -> tuple[tuple[str, int], ...]:
    """When each folder on sys.path last changed: pip adds, replaces or removes a
    ``*.dist-info`` folder in site-packages for every install, upgrade and uninstall."""
    signature = []
    for entry in sys.path:
        try:
            signature.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            continue
    return tuple(signature)


class InstallWatch:
    """Notices plugin packages installed, upgraded or removed after this process started.

    A check stats the folders on sys.path (microseconds) and reads the entry points (a few
    milliseconds) only when one of them changed.
    """

    def __init__(self, loaded: Iterable[Installed], only: Iterable[str] = ()) -> None:
        self.loaded: dict[str, Installed] = {found.name: found for found in loaded}
        self.only = tuple(only)
        self.installed: dict[str, Installed] = dict(self.loaded)
        self._signature = _path_signature()
        self._lock = threading.Lock()

    def check(self) -> bool:
        """Read the installed packages again if sys.path changed; True when something did."""
        signature = _path_signature()
        if signature == self._signature:
            return False
        with self._lock:
            self._signature = signature
            found = {installed.name: installed for installed, _ in installed_entry_points(self.only)}
            changed = found != self.installed
            self.installed = found
        return changed

    def changes(self) -> list[Change]:
        return compare({name: found.version for name, found in self.loaded.items()},
                       {name: found.version for name, found in self.installed.items()})

    def loaded_versions(self) -> dict[str, str | None]:
        return {name: found.version for name, found in self.loaded.items()}
