"""The statements each ingest path sends, counted in this process against the run's database.

The same posts the HTTP case makes, through the hub's own app with the plugins a fresh
install enables, with an engine listener counting what reaches the driver (COMMIT
included, which the driver sends outside the cursor). tests/hub/test_statement_budget.py
holds the same counts as a budget in CI; this puts them beside the figures they explain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from bench.env import HERE, BenchDatabase

TOKEN_HEADER = "X-Hub-Token"


def count_statements(db: BenchDatabase, token_secret: str) -> dict[str, Any]:
    """Statements per path: a new ticket, a repeat of a stored event, a post answered 202."""
    from hub import create_app

    env = db.env()
    app = create_app({"DATABASE_URL": db.url, "INSTANCE_PATH": str(HERE / "out" / db.name), "SECRET_KEY": "bench",
                      "REDIS_URL": env.get("HUB_REDIS_URL", "redis://127.0.0.1:6379/0"), "QUEUE_PREFIX": db.name})
    engine = app.extensions["hub"].db.engine
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(" ".join(sql.split()[:4]))

    def commit(_conn: Any) -> None:
        seen.append("COMMIT")

    run = uuid.uuid4().hex[:6]
    client = app.test_client()

    def post(slug: str, key: str) -> Callable[[], int]:
        def send() -> int:
            answer = client.post(f"/api/v1/hooks/{slug}", json={"id": key, "title": f"Statement count {key}"},
                                 headers={TOKEN_HEADER: token_secret})
            return answer.status_code
        return send

    paths = {
        "new_ticket": post("bench", f"count-{run}-1"),
        "repeat": post("bench", f"count-{run}-1"),
        "accepted_202": post("bench-accepted", f"count-{run}-2"),
    }
    post("bench", f"count-{run}-warm")()  # caches: settings, the instance, the plugins' switches
    out: dict[str, Any] = {}
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        for name, send in paths.items():
            seen.clear()
            status = send()
            out[name] = {"status": status, "statements": len(seen), "sql": list(seen)}
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
        app.extensions["hub"].db.dispose()
    return out
