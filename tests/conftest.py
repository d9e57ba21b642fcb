"""Fixtures every test can use: a migrated database, an app, a client with a token."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.browser import chromium  # noqa: F401 - the one browser fixture, for tests/browser and others
from tests.support.databases import PG_URL, PostgresDatabase, SqliteTemplate
from tests.support.plugin_fixtures import recorder, with_plugins  # noqa: F401 - fixtures for every test

#: Copies of ../shared/samples: realistic mail, alarms and form posts with their outcomes.
SAMPLES = Path(__file__).resolve().parent / "samples"


def pytest_report_header(config: pytest.Config) -> list[str]:
    database = "PostgreSQL " + PG_URL.rsplit("@", 1)[-1] if PG_URL else "SQLite (files per test)"
    require = os.environ.get("HUB_TEST_REQUIRE_SERVICES") == "1"
    return [f"itsm-hub tests: database {database}; missing services {'FAIL' if require else 'skip'}"]


#: Markers by directory (relative to tests/). ``pytestmark`` in a conftest.py has no effect
#: (pytest reads it from test modules only), so ``-m "not slow"`` used to run the fault tests;
#: tests/test_markers.py checks that these are applied.
DIRECTORY_MARKERS: dict[str, tuple[str, ...]] = {
    "faults": ("slow", "redis"),  # every fault test kills or restarts something; all use Redis
    "browser": ("browser", "slow"),
    "fuzz": ("slow",),
    "connectors/rt_real": ("rt",),
    "connectors/mqtt": ("mqtt",),
}
#: Markers for tests that use a fixture, wherever they live.
FIXTURE_MARKERS: dict[str, tuple[str, ...]] = {"chromium": ("browser", "slow")}
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            relative = item.path.resolve().relative_to(_TESTS).as_posix()
        except ValueError:  # a test outside tests/ (examples/): no directory markers
            relative = ""
        wanted: list[str] = []
        for directory, names in DIRECTORY_MARKERS.items():
            if relative.startswith(directory + "/"):
                wanted += names
        for fixture, names in FIXTURE_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                wanted += names
        present = {mark.name for mark in item.iter_markers()}
        for name in dict.fromkeys(wanted):
            if name not in present:
                item.add_marker(name)


# The API fuzz run's request counts (tests/fuzz), shown at the end of every run that fuzzed, so
# CI output says how many cases ran as which role and that none got a 5xx. Under xdist each
# worker hands its counts to the controller through workeroutput.
_FUZZ_MODULE = "tests.fuzz.test_api_fuzz"
_FUZZ_TALLY: Counter[str] = Counter()


def _worker_fuzz_tally() -> Counter[str]:
    module = sys.modules.get(_FUZZ_MODULE)
    return Counter(getattr(module, "TALLY", {}))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["hub_fuzz_tally"] = json.dumps(_worker_fuzz_tally())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _FUZZ_TALLY.update(json.loads(getattr(node, "workeroutput", {}).get("hub_fuzz_tally", "{}")))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    tally = _FUZZ_TALLY + _worker_fuzz_tally()
    if not tally:
        return
    by_role: dict[str, Counter[str]] = {}
    for key, count in tally.items():
        role, status = key.split(" ", 1)
        by_role.setdefault(role, Counter())[status] += count
    server_errors = sum(count for key, count in tally.items() if key.endswith("5xx"))
    database = "PostgreSQL" if PG_URL else "SQLite"
    terminalreporter.write_sep("-", f"API fuzz (schemathesis, {database}): {sum(tally.values())} cases, "
                                    f"{server_errors} server errors")
    for role, statuses in sorted(by_role.items()):
        terminalreporter.write_line(f"  {role:<10} {sum(statuses.values()):>5} cases: "
                                    + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items())))


@pytest.fixture(scope="session")
def database_source(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Any]:
    worker_id = getattr(request.config, "workerinput", {}).get("workerid", "main")
    if PG_URL:
        if not PG_URL.startswith("postgresql"):
            pytest.exit("HUB_TEST_DATABASE_URL must be a postgresql:// URL", returncode=2)
        source = PostgresDatabase(worker_id)
        yield source
        source.close()
    else:
        yield SqliteTemplate(tmp_path_factory.mktemp("template"))


@pytest.fixture
def database_url(database_source: Any, tmp_path: Path) -> str:
    return database_source.fresh(tmp_path)  # type: ignore[no-any-return]


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """Settings for a test app; tests add to it before asking for ``app``."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key",
        "LOAD_ENTRYPOINTS": False,
        "TOKEN_CACHE_SECONDS": 0,
        "PLUGIN_REFRESH_SECONDS": 0,
        "PLUGINS": [],
        "REDIS_URL": os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        # Parallel tests share one Redis: each gets queues and keys of its own.
        "QUEUE_PREFIX": f"t{uuid.uuid4().hex[:10]}",
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    from hub import create_app

    application = create_app(app_config)
    yield application
    application.extensions["hub"].db.dispose()


@pytest.fixture
def kept_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a process's short-lived caches (plugin settings, push instances, webhook
    instances: 2 s each) for the test: a test that counts statements after a warm-up
    would otherwise count their re-reads whenever a busy machine spends 2 s between."""
    for name in ("hub.plugins.admin.SETTINGS_CACHE_SECONDS", "hub.delivery.outbound.SUBSCRIBERS_CACHE_SECONDS",
                 "hub.api.hooks.INSTANCE_CACHE_SECONDS"):
        monkeypatch.setattr(name, 3600.0)


@pytest.fixture
def runtime(app: Flask) -> Any:
    return app.extensions["hub"]


@pytest.fixture
def session(runtime: Any) -> Iterator[Any]:
    """A session for arranging and checking data; commit what a request must see."""
    with runtime.db.Session() as db_session:
        yield db_session


class ApiClient:
    """The Flask test client with a bearer token and JSON helpers."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        out.update(headers or {})
        return out

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.patch(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.put(path, json=json, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)


def make_token(app: Flask, role: str, username: str | None = None, email: str | None = None) -> str:
    from hub.auth.tokens import create_token
    from hub.auth.users import create_user

    with app.extensions["hub"].db.transaction() as db_session:
        user = None
        if username:
            user = create_user(session=db_session, username=username, role=role, email=email)
        secret, _ = create_token(session=db_session, name=f"test-{role}", role=role, user=user)
    return secret


@pytest.fixture
def api(app: Flask) -> ApiClient:
    """A client acting as an admin user called ``alice``."""
    return ApiClient(app.test_client(), make_token(app, "admin", "alice", "alice@hub.test"))


@pytest.fixture
def anonymous(app: Flask) -> ApiClient:
    return ApiClient(app.test_client(), None)


@pytest.fixture
def client_for(app: Flask) -> Any:
    """``client_for("agent")`` gives an ApiClient whose token has that role."""

    def build(role: str, username: str | None = None, email: str | None = None) -> ApiClient:
        return ApiClient(app.test_client(), make_token(app, role, username, email))

    return build
