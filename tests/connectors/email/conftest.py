"""Email tests run against a real Dovecot (IMAP) and a real aiosmtpd sink, with Redis keys of their own."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import func, select

from tests.conftest import SAMPLES
from tests.support.imap import Mailbox
from tests.support.jobs import drain
from tests.support.mail_fixtures import *  # noqa: F403
from tests.support.services import need_redis

HUB_ADDRESS = "care@hub.test"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    url = need_redis()
    prefix = f"mail{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=prefix, OUTBOX_BACKOFF_SECONDS=0.01,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=10, BASE_URL="http://hub.test",
                      PLUGINS=[("email", "connectors.email"), ("notify", "plugins.notify")])
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000)) + list(
        redis.scan_iter(match=f"rq:*{prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def sample(name: str) -> bytes:
    return (SAMPLES / "email" / name).read_bytes()


def instance_config(mailbox: Mailbox, sink: Any, **config: Any) -> dict[str, Any]:
    """A mailbox read over STARTTLS (verified against the test CA) that answers through the sink."""
    return {"host": mailbox.host, "port": mailbox.port, "security": "starttls", "ca_file": str(mailbox.cafile),
            "username": mailbox.user, "password": mailbox.password, "smtp_host": sink.host,
            "smtp_port": sink.port, "smtp_security": "plain", "from_address": HUB_ADDRESS,
            "from_name": "Customer Care", **config}


@pytest.fixture
def add_mailbox(api: Any) -> Callable[..., dict[str, Any]]:
    def add(mailbox: Mailbox, sink: Any, slug: str = "care", **config: Any) -> dict[str, Any]:
        department = config.pop("department", None)
        body = {"connector": "email", "slug": slug, "enabled": True, "config": instance_config(mailbox, sink, **config)}
        if department:
            body["department"] = department
        response = api.post("/api/v1/admin/instances", json=body)
        assert response.status_code == 201, response.json
        return response.json  # type: ignore[no-any-return]

    return add


def poll(app: Any, api: Any, slug: str = "care") -> None:
    """Poll through the job path (the admin's "sync now", run by an rq worker), then deliver the outbox."""
    response = api.post(f"/api/v1/admin/instances/{slug}/sync")
    assert response.status_code in (200, 202), response.json
    drain(app)


def events(app: Any) -> list[dict[str, Any]]:
    """Every stored inbound event with its outcome and ticket reference, oldest first."""
    from hub.models import InboundEvent, Ticket

    with app.extensions["hub"].db.reading() as session:
        rows = session.execute(select(InboundEvent, Ticket.ref).outerjoin(Ticket, Ticket.id == InboundEvent.ticket_id)
                               .order_by(InboundEvent.id)).all()
        return [{"key": event.idempotency_key, "status": event.status, "action": event.action,
                 "reason": event.reason, "ticket": ref, "meta": dict(event.meta or {})} for event, ref in rows]


def ticket_count(app: Any) -> int:
    from hub.models import Ticket

    with app.extensions["hub"].db.reading() as session:
        return int(session.scalar(select(func.count(Ticket.id))) or 0)


def last_run(api: Any, slug: str = "care") -> dict[str, Any]:
    return api.get(f"/api/v1/admin/instances/{slug}").json["last_run"]  # type: ignore[no-any-return]
