"""I2: the API reference page has a CSP; status pages are not cached and pass no referrer."""

from __future__ import annotations

from typing import Any

from hub.tracker.status_links import status_token
from hub.tracker.tickets import get_ticket


def test_the_api_reference_page_has_a_content_security_policy(app: Any) -> None:
    response = app.test_client().get("/api/v1/docs")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_status_pages_are_not_cached_and_send_no_referrer(app: Any, api: Any, runtime: Any) -> None:
    ref = api.post("/api/v1/incidents", json={"title": "x", "requester": {"email": "r@example.org"}}).json["ref"]
    with runtime.db.transaction() as session:
        token = status_token(session, get_ticket(session, ref))
    client = app.test_client()
    for response in (client.get(f"/s/{token}"), client.post(f"/s/{token}/reply", data={"body": "x"}),
                     client.get("/s/not-a-token")):
        assert response.headers["Cache-Control"] == "no-store", response.status_code
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_api_reference_serves_its_own_assets_and_nothing_else_of_the_bundle(app: Any) -> None:
    client = app.test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs/assets/swagger-ui-bundle.js" in page and "<script>" not in page  # no inline script
    assets = (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "css"), ("api-docs.js", "javascript"))
    for name, kind in assets:
        response = client.get(f"/api/v1/docs/assets/{name}")
        assert response.status_code == 200 and kind in response.mimetype, name
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        response.close()
    for name in ("index.html", "swagger-ui-bundle.js.map", "..%2Fapi-docs.js", "oauth2-redirect.html"):
        assert client.get(f"/api/v1/docs/assets/{name}").status_code == 404, name
