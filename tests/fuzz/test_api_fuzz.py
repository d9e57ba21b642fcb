"""Schemathesis against /api/v1/openapi.json: generated requests never get a 5xx, and
answers match the documented schemas (status codes, content types, bodies)."""

from __future__ import annotations

import atexit
import os
import tempfile
import uuid
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks

from hub import create_app
from hub.models import ROLES
from tests.conftest import make_token
from tests.support.databases import PG_URL, PostgresDatabase, SqliteTemplate
from tests.support.services import REDIS_URL, need_redis

pytestmark = pytest.mark.slow

#: Generated cases per operation; with ~35 operations this is well over 1,000 requests.
EXAMPLES = int(os.environ.get("HUB_TEST_FUZZ_EXAMPLES", "40"))
#: Requests sent, by "<role> <status class>"; tests/conftest.py prints it at the end of the run.
TALLY: Counter[str] = Counter()


def _build_app() -> tuple[Any, dict[str, str]]:
    folder = tempfile.mkdtemp(prefix="hub-fuzz-")
    from pathlib import Path

    source = PostgresDatabase(f"fuzz_{os.getpid()}") if PG_URL else SqliteTemplate(Path(folder))
    url = source.fresh(Path(folder))
    if isinstance(source, PostgresDatabase):
        source.close(drop=False)  # the app below keeps using it until the run ends
        atexit.register(source.drop)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "INSTANCE_PATH": folder, "SECRET_KEY": "fuzz",
                      "LOAD_ENTRYPOINTS": False, "TOKEN_CACHE_SECONDS": 60, "REDIS_URL": REDIS_URL,
                      "QUEUE_PREFIX": f"fuzz{uuid.uuid4().hex[:8]}",
                      "PLUGINS": [("webhook", "connectors.webhook")]})
    # Every role: each one reaches other branches (403s, own-ticket filters, connector routes).
    tokens = {role: make_token(app, role, f"fuzz-{role}", f"fuzz-{role}@hub.test") for role in ROLES}
    runtime = app.extensions["hub"]
    from hub.sdk.actors import Actor
    from hub.tracker.tickets import create_ticket

    with runtime.db.transaction() as session:  # something for the item routes to find
        create_ticket(session=session, kind="incident", values={"title": "Fuzz target"}, actor=Actor.system())
        create_ticket(session=session, kind="change", values={"title": "Fuzz change"}, actor=Actor.system())
        create_ticket(session=session, kind="incident", actor=Actor.system(),  # customer 1
                      values={"title": "Fuzz customer", "requester_email": "fuzz-customer@example.com"})
        create_ticket(session=session, kind="problem", values={"title": "Fuzz problem"}, actor=Actor.system())
    return app, tokens


APP, TOKENS = _build_app()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_answers_match_the_schema(case: Any, role: str) -> None:
    need_redis()  # the admin views of the job queue need it; without Redis they answer 503 by design
    response = case.call(headers={"Authorization": f"Bearer {TOKENS[role]}"})
    TALLY[f"{role} {response.status_code // 100}xx"] += 1
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text[:500])
    case.validate_response(response, checks=[st_checks.not_a_server_error, st_checks.status_code_conformance,
                                             st_checks.content_type_conformance,
                                             st_checks.response_schema_conformance])


def test_the_fuzzing_budget_covers_at_least_a_thousand_requests() -> None:
    operations = sum(1 for result in schema.get_all_operations() if result.ok())
    assert operations >= 30
    assert EXAMPLES * operations >= 1000, (EXAMPLES, operations)
