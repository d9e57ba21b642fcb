"""/metrics: Prometheus text, counted from the stores, admin token required."""

from __future__ import annotations

from typing import Any


def test_metrics_need_an_admin_token_and_count_from_the_stores(app: Any, api: Any, client_for: Any) -> None:
    assert app.test_client().get("/metrics").status_code == 401
    assert client_for("agent").get("/metrics").status_code == 403
    api.post("/api/v1/incidents", json={"title": "one"})
    api.post("/api/v1/changes", json={"title": "two"})
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert 'hub_tickets{kind="incident",status="new"} 1' in text
    assert 'hub_tickets{kind="change",status="draft"} 1' in text
    assert "# TYPE hub_outbox_messages gauge" in text
    assert "hub_redis_up" in text
    for line in text.splitlines():
        assert line.startswith("#") or " " in line, line
