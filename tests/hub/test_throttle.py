"""The rate-limit marker: a view without an answer of its own gets the hub's 429, in the API and on pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask

from hub.api.throttle import apply_rate_limits, rate_limited
from hub.auth.web import public


def _mount(app: Flask) -> None:
    bp = Blueprint("throttle_test", __name__)

    @bp.post("/api/v1/throttle-test")
    @public
    @rate_limited("2 per hour")
    def api_view() -> Any:
        return {"ok": True}

    @bp.post("/throttle-test")
    @public
    @rate_limited("2 per hour")
    def page_view() -> Any:
        return "ok"

    app.register_blueprint(bp)
    apply_rate_limits(app)
    apply_rate_limits(app)  # twice does not count twice


def test_over_the_limit_the_api_answers_problem_json_with_429(app: Flask) -> None:
    _mount(app)
    client = app.test_client()
    assert [client.post("/api/v1/throttle-test").status_code for _ in range(2)] == [200, 200]
    refused = client.post("/api/v1/throttle-test")
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert client.post("/api/v1/throttle-test", environ_base={"REMOTE_ADDR": "127.0.0.9"}).status_code == 200


def test_over_the_limit_a_page_answers_the_hub_s_error_page(app: Flask) -> None:
    _mount(app)
    client = app.test_client()
    from tests.hub.ui.conftest import csrf_of

    token = csrf_of(client.get("/login").get_data(as_text=True))
    codes = [client.post("/throttle-test", data={"csrf_token": token}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post("/throttle-test", data={"csrf_token": token})
    assert refused.mimetype == "text/html" and "Too many requests" in refused.get_data(as_text=True)
