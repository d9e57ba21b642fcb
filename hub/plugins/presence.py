"""Running processes, and which of them need a restart after a plugin package changed.

Every long-running process (web server worker, job worker, scheduler, listener, the
``itsm-hub run`` supervisor) keeps a row in ``hub_processes`` with the plugins it loaded and
what its :class:`~hub.plugins.installs.InstallWatch` found installed, upgraded or removed
since. Any process reads those rows to say "restart needed" and for which processes: the
admin pages, the API and ``itsm-hub plugins list`` (a fresh process that loaded everything
itself, so only the others' rows tell it what still runs old code).
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.core.runtime import Runtime, runtime_of
from hub.models import HubProcess, PluginState
from hub.plugins.installs import THIRD_PARTY, Change
from hub.tracker.correlate import insert_ignoring_conflict

log = logging.getLogger("hub.plugins")

HEARTBEAT_SECONDS = 30.0
"""How often a process writes its row when nothing changed."""
LIVE_SECONDS = 3 * HEARTBEAT_SECONDS
"""A row older than this is a process that is gone (killed without removing its row)."""
FORGET_SECONDS = 86400.0
"""Rows of processes gone this long are deleted by the others' heartbeats."""
NOTES_CACHE_SECONDS = 5.0
"""How long a process reuses the notes it showed on a page (the banner is on every admin page)."""


def record_new_plugins(runtime: Runtime) -> None:
    """Give each third-party plugin this process sees installed a row, once: disabled (unless
    HUB_ENABLE_NEW_PLUGINS) and stamped with when it was first seen. A failure only costs the
    stamp: a third-party plugin without a row is disabled all the same."""
    plugins = runtime.plugins
    seen = {name: record.distribution for name, record in plugins.records.items() if record.origin == THIRD_PARTY}
    if plugins.installs is not None:
        for name, found in plugins.installs.installed.items():
            if found.origin == THIRD_PARTY:
                seen.setdefault(name, found.distribution)
    if not seen:
        return
    now = runtime.now()
    try:
        with runtime.db.transaction() as session:
            for name, distribution in sorted(seen.items()):
                insert_ignoring_conflict(session, PluginState.__table__, {
                    "name": name, "enabled": plugins.enable_new, "distribution": distribution,
                    "first_seen_at": now, "settings": {}, "failure_count": 0, "updated_at": now}, ["name"])
    except Exception:
        log.warning("could not record the plugins installed (%s)", ", ".join(sorted(seen)), exc_info=True)


@dataclass
class RestartNote:
    """One plugin package change, and the running processes that do not have it yet."""

    plugin: str
    text: str
    processes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "text": self.text, "processes": list(self.processes)}


def describe_process(row: HubProcess) -> str:
    return f"{row.role} (pid {row.pid} on {row.host})"


def restart_notes(session: Session) -> list[RestartNote]:
    """What needs a restart, by plugin change, with the live processes that need it."""
    runtime = runtime_of(session)
    since = runtime.now() - timedelta(seconds=LIVE_SECONDS)
    rows = session.scalars(select(HubProcess).where(HubProcess.seen_at >= since).order_by(HubProcess.started_at))
    found: dict[Change, list[str]] = {}
    own = runtime.caches.get("process_beacon")
    listed_self = False
    for row in rows:
        listed_self = listed_self or (own is not None and row.id == own.id)
        for data in row.changes or []:
            found.setdefault(Change.from_dict(data), []).append(describe_process(row))
    watch = runtime.plugins.installs
    if not listed_self and watch is not None:
        # This process keeps no row (a CLI command, or a server whose heartbeat has not run
        # yet): it answers for itself.
        watch.check()
        for change in watch.changes():
            found.setdefault(change, []).append("this process")
    return [RestartNote(change.name, change.describe(), processes)
            for change, processes in sorted(found.items(), key=lambda item: (item[0].name, item[0].change))]


def cached_restart_notes(runtime: Runtime) -> list[RestartNote]:
    """restart_notes, reused for a few seconds (the banner on every admin page reads it)."""
    hit = runtime.caches.get("restart_notes")
    if hit is not None and time.monotonic() - hit[0] < NOTES_CACHE_SECONDS:
        return list(hit[1])
    try:
        with runtime.db.reading() as session:
            notes = restart_notes(session)
    except Exception:
        log.warning("could not read which processes need a restart", exc_info=True)
        notes = []
    runtime.caches["restart_notes"] = (time.monotonic(), notes)
    return notes


class ProcessBeacon:
    """This process's row in hub_processes, kept by a daemon thread.

    Every ``interval`` seconds it asks the install watch whether sys.path changed (a stat per
    folder); it writes the row when the changes differ from what it last wrote, and every
    HEARTBEAT_SECONDS otherwise.
    """

    def __init__(self, runtime: Runtime, role: str, *, interval: float) -> None:
        self.runtime = runtime
        self.role = role[:100]
        self.interval = interval
        self.id = uuid.uuid4().hex
        self.pid = os.getpid()
        self.host = socket.gethostname()[:255]
        self.started_at = runtime.now()
        self._stop = threading.Event()
        self._written: list[dict[str, Any]] | None = None
        self._written_at = float("-inf")

    def beat(self) -> None:
        watch = self.runtime.plugins.installs
        if watch is not None:
            watch.check()  # a page may have checked first: what counts is what differs from the row
        changes = [change.as_dict() for change in watch.changes()] if watch is not None else []
        if changes == self._written and time.monotonic() - self._written_at < HEARTBEAT_SECONDS:
            return
        if changes != self._written and self._written is not None:
            record_new_plugins(self.runtime)  # stamps the first sighting of a new third-party package
        now = self.runtime.now()
        with self.runtime.db.transaction() as session:
            row = session.get(HubProcess, self.id)
            if row is None:
                row = HubProcess(id=self.id, role=self.role, host=self.host, pid=self.pid, started_at=self.started_at,
                                 seen_at=now, plugins=watch.loaded_versions() if watch is not None else {})
                session.add(row)
            row.seen_at = now
            row.changes = changes
            session.execute(delete(HubProcess).where(HubProcess.seen_at < now - timedelta(seconds=FORGET_SECONDS)))
        self._written, self._written_at = changes, time.monotonic()
        self.runtime.caches.pop("restart_notes", None)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception:  # the database may be briefly away: the next beat tries again
                log.warning("could not write this process's heartbeat", exc_info=True)

    def start(self) -> None:
        try:
            self.beat()
        except Exception:
            log.warning("could not write this process's heartbeat", exc_info=True)
        threading.Thread(target=self._run, name="hub-process-beacon", daemon=True).start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Remove the row on a clean exit (a killed process's row ages out after LIVE_SECONDS)."""
        if os.getpid() != self.pid:
            return  # a forked child (an rq work horse) exiting: the row is its parent's
        self._stop.set()
        try:
            with self.runtime.db.transaction() as session:
                session.execute(delete(HubProcess).where(HubProcess.id == self.id))
        except Exception:
            log.debug("could not remove this process's row", exc_info=True)


def start_process_beacon(runtime: Runtime, role: str) -> ProcessBeacon | None:
    """Keep this long-running process's row (HUB_PLUGIN_SCAN_SECONDS; 0 keeps none)."""
    interval = float(runtime.settings.get("PLUGIN_SCAN_SECONDS", 0) or 0)
    if interval <= 0 or runtime.plugins.installs is None or "process_beacon" in runtime.caches:
        return runtime.caches.get("process_beacon")
    beacon = ProcessBeacon(runtime, role, interval=interval)
    runtime.caches["process_beacon"] = beacon
    beacon.start()
    return beacon
