"""The itsm-hub command, as an operator types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import HubContext, get_cli


@pytest.fixture
def run(app_config: dict[str, Any]) -> Any:
    runner = CliRunner()
    contexts: list[HubContext] = []

    def invoke(*args: str, input: str | None = None) -> Any:
        contexts.append(HubContext(app_config))
        return runner.invoke(get_cli(), list(args), obj=contexts[-1], input=input, catch_exceptions=False)

    yield invoke
    for context in contexts:
        context.close()


def test_tokens_create_prints_the_token_last_and_it_works(run: Any, app: Any) -> None:
    result = run("tokens", "create", "--role", "admin", "--name", "ops")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("hub_")
    response = app.test_client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    listed = run("tokens", "list")
    assert "ops" in listed.output and "admin" in listed.output and token not in listed.output
    assert run("tokens", "revoke", "1").exit_code == 0
    assert app.test_client().get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_users_create_then_token_for_the_user(run: Any) -> None:
    created = run("users", "create", "--username", "maria", "--role", "agent", "--email", "m@x.org",
                  "--password-stdin", input="correct horse battery\n")
    assert created.exit_code == 0, created.output
    assert "Created agent maria" in created.output
    token = run("tokens", "create", "--user", "maria")
    assert token.exit_code == 0 and token.stdout.strip().splitlines()[-1].startswith("hub_")
    assert "maria" in run("users", "list").output


def test_cli_errors_are_readable(run: Any) -> None:
    short = run("users", "create", "--username", "x", "--role", "agent", "--password-stdin", input="short\n")
    assert short.exit_code == 1
    assert "password: At least 10 characters." in short.output
    assert "Traceback" not in short.output
    missing = run("tokens", "create")
    assert missing.exit_code == 2 and "Give --role, --user or both." in missing.output
    unknown = run("tokens", "create", "--user", "nobody")
    assert unknown.exit_code == 1 and "No user 'nobody'" in unknown.output
    duplicate = run("users", "create", "--username", "dup", "--role", "agent", "--no-password")
    assert duplicate.exit_code == 0
    again = run("users", "create", "--username", "DUP", "--role", "agent", "--no-password")
    assert again.exit_code == 1 and "exists already" in again.output


def test_plugins_list_and_switch(run: Any) -> None:
    listed = run("plugins", "list")
    assert "hub.builtins" in listed.output and "core" in listed.output
    refused = run("plugins", "disable", "hub.builtins")
    assert refused.exit_code == 1 and "cannot be switched off" in refused.output
    assert run("plugins", "enable", "nope").exit_code == 1


def test_installed_command_end_to_end(tmp_path: Path) -> None:
    """The console script on a fresh SQLite file: refuses an empty schema, then upgrade, then a token."""
    env = {**os.environ, "HUB_INSTANCE_PATH": str(tmp_path), "HUB_LOAD_ENTRYPOINTS": "false"}
    env.pop("HUB_DATABASE_URL", None)
    command = [sys.executable, "-m", "hub", "tokens", "create", "--role", "admin"]
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "Run `itsm-hub db upgrade`" in refused.stderr
    upgraded = subprocess.run([sys.executable, "-m", "hub", "db", "upgrade"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert upgraded.returncode == 0, upgraded.stderr
    made = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().splitlines()[-1].startswith("hub_")
    bad = subprocess.run(command, env={**env, "HUB_DB_POOL_SIZE": "lots"}, capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 1 and "HUB_DB_POOL_SIZE" in bad.stderr and "Traceback" not in bad.stderr


def test_connectors_add_show_test_enable(app_config: dict[str, Any]) -> None:
    app_config["PLUGINS"] = [("webhook", "connectors.webhook")]
    runner = CliRunner()

    def run(*args: str) -> Any:
        context = HubContext(app_config)
        try:
            return runner.invoke(get_cli(), list(args), obj=context, catch_exceptions=False)
        finally:
            context.close()

    from hub import create_app

    create_app(app_config).extensions["hub"].db.dispose()
    bad = run("connectors", "add", "webhook", "shop", "--set", "secret=short")
    assert bad.exit_code == 1 and "config.secret" in bad.output
    good = run("connectors", "add", "webhook", "shop", "--set", "secret=a-long-enough-secret", "--set",
               "tolerance=60", "--name", "Shop")
    assert good.exit_code == 0, good.output
    assert "disabled" in good.output
    listed = run("connectors", "list")
    assert "webhook" in listed.output and "shop" in listed.output
    shown = run("connectors", "show", "shop")
    assert '"secret": "********"' in shown.output and "a-long-enough-secret" not in shown.output
    assert '"tolerance": 60' in shown.output
    assert run("connectors", "enable", "shop").exit_code == 0
    assert '"enabled": true' in run("connectors", "show", "shop").output
    assert run("connectors", "test", "shop").output.strip() == "shop: ok: nothing to check"
    assert run("connectors", "configure", "shop", "--set", "tolerance=120").exit_code == 0
    shown = run("connectors", "show", "shop").output
    assert '"tolerance": 120' in shown and '"secret": "********"' in shown
    assert run("connectors", "show", "nope").exit_code == 1


def test_outbox_and_jobs_commands(app_config: dict[str, Any]) -> None:
    import uuid

    from tests.support.services import need_redis

    app_config.update(REDIS_URL=need_redis(), QUEUE_PREFIX=f"test{uuid.uuid4().hex[:8]}",
                      PLUGINS=[("webhook", "connectors.webhook")])
    from hub import create_app

    app = create_app(app_config)
    runtime = app.extensions["hub"]
    from hub.delivery import outbox
    from hub.plugins.instances import create_instance

    with runtime.db.transaction() as session:
        instance = create_instance(session=session, connector="webhook", slug="partner", enabled=True,
                                   config={"secret": "x" * 20, "push_url": "http://127.0.0.1:1/x"})
        message = outbox.enqueue(session, instance_id=instance.id, action="create", lane="test")
        message.status = "dead"
        message.last_error = "retriable: cannot connect"
        message_id = message.id
    runtime.db.dispose()
    runner = CliRunner()

    def run(*args: str) -> Any:
        context = HubContext(app_config)
        try:
            return runner.invoke(get_cli(), list(args), obj=context, catch_exceptions=False)
        finally:
            context.close()

    listed = run("outbox", "list", "--status", "dead")
    assert "dead 1" in listed.output and "cannot connect" in listed.output
    assert f'"id": {message_id}' in run("outbox", "show", str(message_id)).output
    assert run("outbox", "replay").exit_code == 2
    assert "queued again" in run("outbox", "replay", str(message_id)).output
    assert '"outbound"' in run("jobs", "status").output
    assert run("connectors", "runs", "partner").exit_code == 0
