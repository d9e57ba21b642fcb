"""/metrics: Prometheus exposition by prometheus_client, counted from the stores, admin token required."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

#: The names dashboards use; the swap to prometheus_client kept every one.
NAMES = {"hub_build_info", "hub_tickets", "hub_inbound_events_total", "hub_outbox_messages",
         "hub_outbox_oldest_pending_seconds", "hub_sync_runs_24h", "hub_plugin_failures_total", "hub_queue_jobs",
         "hub_workers", "hub_redis_up"}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_need_an_admin_token_and_count_from_the_stores(app: Any, api: Any, client_for: Any) -> None:
    assert app.test_client().get("/metrics").status_code == 401
    assert client_for("agent").get("/metrics").status_code == 403
    api.post("/api/v1/incidents", json={"title": "one"})
    api.post("/api/v1/changes", json={"title": "two"})
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    samples = _samples(text)
    assert samples[("hub_tickets", (("kind", "incident"), ("status", "new")))] == 1
    assert samples[("hub_tickets", (("kind", "change"), ("status", "draft")))] == 1
    assert samples[("hub_redis_up", ())] == 1
    assert "# TYPE hub_outbox_messages gauge" in text and "# TYPE hub_inbound_events_total counter" in text
    assert {name for name, _ in samples} >= NAMES - {"hub_inbound_events_total", "hub_plugin_failures_total",
                                                     "hub_outbox_messages", "hub_sync_runs_24h"}
    assert {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")} == NAMES


def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(api: Any) -> None:
    response = api.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


def test_each_app_has_its_own_registry(app: Any, api: Any, app_config: dict[str, Any]) -> None:
    from prometheus_client import REGISTRY

    api.get("/metrics")
    assert app.extensions["hub.metrics"] is not REGISTRY
    assert "hub_tickets" not in {family.name for family in REGISTRY.collect()}


def test_with_redis_away_the_database_figures_still_come(app_config: dict[str, Any]) -> None:
    from hub import __version__, create_app
    from tests.conftest import make_token
    from tests.support.processes import free_port

    app = create_app({**app_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    try:
        token = make_token(app, "admin")
        text = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
        samples = _samples(text)
        assert samples[("hub_redis_up", ())] == 0
        assert samples[("hub_build_info", (("version", __version__),))] == 1
    finally:
        app.extensions["hub"].db.dispose()
