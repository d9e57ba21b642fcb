"""What the framework offers a connector while it works: replay checks, thread ids, state.

Connectors never touch the database; when they need something stored or looked up,
they ask this object, which the framework builds for one unit of work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub.core.runtime import runtime_of
from hub.models import ReplayGuard
from hub.tracker.correlate import insert_ignoring_conflict


class ConnectorServices:
    def __init__(self, session: Session, instance_id: int) -> None:
        self.session = session
        self.instance_id = instance_id

    def now(self) -> datetime:
        return runtime_of(self.session).now()

    def is_replay(self, digest: str, idempotency_key: str, window_seconds: float) -> bool:
        """True if this signature was already used for a *different* event within the window.

        The same signed request delivered twice is a harmless duplicate (the event's
        idempotency key makes it one); the same signature carrying another event is a
        replay of a captured request.
        """
        now = self.now()
        stored = insert_ignoring_conflict(
            self.session, ReplayGuard.__table__,
            {"digest": digest, "idempotency_key": idempotency_key[:255],
             "expires_at": now + timedelta(seconds=window_seconds * 2)},
            ["digest"],
        )
        if stored is not None:
            return False
        seen = self.session.get(ReplayGuard, digest)
        return seen is not None and seen.idempotency_key != idempotency_key[:255]


def purge_replay_guards(session: Session) -> int:
    """Forget signatures whose window has passed (a maintenance job runs this)."""
    result = session.execute(delete(ReplayGuard).where(ReplayGuard.expires_at < runtime_of(session).now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
