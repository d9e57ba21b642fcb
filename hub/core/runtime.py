"""What every unit of work needs to reach: settings, database, plugins, clock, Redis.

One Runtime per app, kept in ``app.extensions["hub"]``. Sessions made by its database
carry it in ``session.info``, so services (which take a session and nothing from Flask)
can reach the hooks, the clock and the settings of the app that opened the session.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.core.crypto import SecretBox
from hub.core.db import Database
from hub.core.redis import RedisBreaker, connect_redis

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.orm import Session

    from hub.plugins.manager import HubPlugins
    from hub.tracker.priority import PriorityMatrix


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Mapping[str, Any]
    db: Database
    plugins: HubPlugins
    secrets: SecretBox
    instance_path: Path
    matrix: PriorityMatrix
    clock: Callable[[], datetime] = system_clock
    services: Any = None
    """The tracker services plugins call through hub.sdk.tracker (hub.app.services; set by
    the app factory: the SDK finds them here, on the session's Runtime)."""
    hub_services: Any = None
    """The services connector and plugin pages call through hub.sdk.hub_services
    (hub.app.hub_services; set by the app factory, found here like ``services``)."""
    lanes_committed: Callable[[Runtime, list[str]], object] | None = None
    """Called with outbox lanes a commit just filled (the jobs layer dispatches them); set by
    the app factory, so this bottom layer never imports the jobs above it."""
    _redis: Redis | None = None
    caches: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db.Session.configure(info={"runtime": self})
        self.db.ReadSession.configure(info={"runtime": self})
        from sqlalchemy import event

        self._breaker = RedisBreaker()
        event.listen(self.db.Session, "after_commit", self._after_commit)
        event.listen(self.db.Session, "after_soft_rollback", self._after_rollback)

    def _after_commit(self, session: Session) -> None:
        """Hand freshly committed outbox lanes to the workers at once (the scheduler's
        next tick would find them anyway; this only saves the wait)."""
        lanes = session.info.pop("hub_outbox_lanes", None)
        if lanes and self.lanes_committed is not None:
            dispatch = self.lanes_committed
            self._breaker.call(lambda: dispatch(self, sorted(lanes)))

    def _after_rollback(self, session: Session, _previous: object) -> None:
        session.info.pop("hub_outbox_lanes", None)

    def schedules(self) -> dict[str, Any]:
        """Every periodic job plugins register (name -> Schedule), collected once."""
        if "schedules" not in self.caches:
            found: dict[str, Any] = {}
            owners: dict[str, str | None] = {}
            for impl in reversed(self.plugins.hook.register_schedules.get_hookimpls()):
                for schedule in impl.function() or []:
                    if schedule.name in found:
                        continue
                    found[schedule.name] = schedule
                    kind = self.plugins.records.get(impl.plugin_name)
                    owners[schedule.name] = None if kind is None or kind.kind == "core" else impl.plugin_name
            self.caches["schedules"] = found
            self.caches["schedule_owners"] = owners
        return self.caches["schedules"]

    def schedule_owner(self, name: str) -> str | None:
        self.schedules()
        return self.caches["schedule_owners"].get(name)

    def now(self) -> datetime:
        return self.clock()

    @property
    def redis(self) -> Redis:
        """The Redis connection for jobs; starts the embedded server when none is configured."""
        if self._redis is None:
            self._redis = connect_redis(self.settings.get("REDIS_URL", ""), self.instance_path)
        return self._redis

    def reset_redis(self) -> None:
        self._redis = None

    def key(self, *parts: object) -> str:
        """A Redis key of this hub (prefixed like its queues, so hubs can share a Redis)."""
        return ":".join([str(self.settings.get("QUEUE_PREFIX", "hub")), *map(str, parts)])



def runtime_of(session: Session) -> Runtime:
    """The Runtime a session was opened by."""
    runtime = session.info.get("runtime")
    if runtime is None:
        raise RuntimeError("this session was not opened through a hub Runtime (db.Session / db.transaction)")
    return runtime


_hook_session: contextvars.ContextVar[Session | None] = contextvars.ContextVar("hub_hook_session", default=None)


@contextmanager
def hook_session(session: Session) -> Iterator[None]:
    """Mark ``session`` as the transaction lifecycle hooks run in (for savepoints).

    It lives here, not with the plugin manager, because the tracker marks it and the
    manager reads it: both sit above this layer."""
    token = _hook_session.set(session)
    try:
        yield
    finally:
        _hook_session.reset(token)


def current_hook_session() -> Session | None:
    """The session lifecycle hooks run in now, if any (the plugin manager wraps each hook
    call in a savepoint of it)."""
    return _hook_session.get()


class StartCarefully(BaseException):
    """The work under a shared savepoint (:func:`hooks_share_savepoint`) must be rolled back
    and done again the careful way: a guess it made did not hold, or a hook failed.

    A BaseException, so that no ``except Exception`` between where it is raised and the code
    that opened the shared savepoint mistakes it for an ordinary error: only that code can
    undo the partial writes (by rolling its savepoint back)."""


class HookFailed(StartCarefully):
    """A plugin's hook failed while hooks shared one savepoint: done again with a savepoint
    per hook, the failure is the plugin's alone."""

    def __init__(self, plugin: str, hook: str) -> None:
        super().__init__(f"hook {hook} of plugin {plugin} failed")
        self.plugin = plugin
        self.hook = hook


#: A hook's failure, held until the shared savepoint is released: (plugin, hook, exception).
HeldFailure = tuple[str, str, BaseException]
_share_savepoint: contextvars.ContextVar[list[HeldFailure] | None] = contextvars.ContextVar(
    "hub_hooks_share_savepoint", default=None)


@contextmanager
def hooks_share_savepoint() -> Iterator[list[HeldFailure]]:
    """Run hooks without a savepoint each: the caller holds one around all of them and, on
    :class:`HookFailed`, rolls it back and does the work again without this.

    A savepoint per hook is two statements each time a plugin writes; on the ingest path,
    where plugins almost never fail, the caller's one savepoint is enough (issue 23). The
    failures of hooks that write nothing are held in the list it gives, for the caller to
    record once the work stands (done again, it would count them twice)."""
    held: list[HeldFailure] = []
    token = _share_savepoint.set(held)
    try:
        yield held
    finally:
        _share_savepoint.reset(token)


def held_hook_failures() -> list[HeldFailure] | None:
    """Where a failed hook's failure goes while hooks share a savepoint (None otherwise)."""
    return _share_savepoint.get()
