"""Raw events are kept for HUB_EVENT_RETENTION_DAYS, then only their key and outcome."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hub.models import InboundEvent, Ticket
from tests.hub.ui.conftest import as_role  # noqa: F401 - a fixture

TOKEN = "retention-token-0123456789abcdef"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    return app_config


@pytest.fixture
def hub(app: Flask) -> Iterator[Flask]:
    from hub.plugins.instances import create_instance

    with app.extensions["hub"].db.transaction() as session:
        create_instance(session=session, connector="webhook", slug="line", enabled=True,
                        config={"auth": "token", "secret": TOKEN, "idempotency_field": "id"})
    yield app
    app.extensions["hub"].clock = lambda: datetime.now(UTC)


def post(app: Flask, body: dict[str, Any]) -> Any:
    return app.test_client().post("/api/v1/hooks/line", json=body, headers={"X-Hub-Token": TOKEN})


def prune(app: Flask, days_later: float) -> int:
    from hub.jobs.maintenance import prune_raw_events

    app.extensions["hub"].clock = lambda: datetime.now(UTC) + timedelta(days=days_later)
    with app.app_context():
        return prune_raw_events()


def events(app: Flask) -> list[InboundEvent]:
    with app.extensions["hub"].db.reading() as session:
        return list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def test_content_goes_after_the_retention_period_and_the_outcome_stays(hub: Flask) -> None:
    assert post(hub, {"id": "a-1", "title": "Filler 2 jammed", "detail": "secret recipe 42"}).status_code == 201
    assert prune(hub, 89) == 0  # 90 days by default
    assert prune(hub, 91) == 1
    (event,) = events(hub)
    assert (event.payload, event.body, event.status, event.action) == (None, None, "applied", "created")
    assert event.ticket_id is not None and "pruned_at" in event.meta
    assert prune(hub, 92) == 0  # nothing left to do: the job never loops on pruned rows


def test_a_late_redelivery_of_a_pruned_event_is_still_recognised(hub: Flask) -> None:
    body = {"id": "a-2", "title": "Labeler 1 photo eye"}
    assert post(hub, body).status_code == 201
    prune(hub, 91)
    again = post(hub, body)
    assert again.status_code == 200 and again.json["duplicate"] is True
    with hub.extensions["hub"].db.reading() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1


def test_quarantined_and_recent_events_are_kept_and_zero_keeps_everything(hub: Flask) -> None:
    assert post(hub, {"id": "q-1", "title": "Held"}).status_code == 201
    with hub.extensions["hub"].db.transaction() as session:
        session.get(InboundEvent, events(hub)[0].id).status = "quarantined"  # type: ignore[union-attr]
    hub.extensions["hub"].clock = lambda: datetime.now(UTC) + timedelta(days=91)
    assert post(hub, {"id": "r-1", "title": "Recent"}).status_code == 201  # received 91 days on
    assert prune(hub, 91) == 0  # the quarantined one waits for an admin; the other is new
    hub.extensions["hub"].settings["EVENT_RETENTION_DAYS"] = 0
    assert prune(hub, 400) == 0
    assert all(event.payload is not None for event in events(hub))


def test_the_ticket_page_and_the_event_page_show_a_pruned_event(hub: Flask, as_role: Any) -> None:  # noqa: F811
    ref = post(hub, {"id": "p-1", "title": "Conveyor 4 stops"}).json["ticket"]
    prune(hub, 91)
    admin = as_role("admin")
    assert admin.get(f"/tickets/{ref}").status_code == 200
    assert admin.get(f"/admin/events/{events(hub)[0].id}").status_code == 200
