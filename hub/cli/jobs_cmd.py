"""itsm-hub worker / scheduler / outbox / jobs: the background side."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import click

from hub.cli import HubContext, pass_hub
from hub.jobs.queues import PURPOSES


@click.command()
@click.option("--queues", default=",".join(PURPOSES), show_default=True,
              help="Comma-separated purposes this worker serves, most urgent first.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--simple", is_flag=True, help="Run jobs in this process instead of forking one child per job.")
@click.option("--with-scheduler", is_flag=True, help="Also run rq's scheduler for delayed jobs.")
@click.option("--name", help="Worker name (default: host and pid).")
@pass_hub
def worker(hub: HubContext, queues: str, burst: bool, simple: bool, with_scheduler: bool, name: str | None) -> None:
    """Run one rq worker. Start as many as the load needs, on any machine."""
    from hub.jobs.worker import make_worker

    purposes = [part.strip() for part in queues.split(",") if part.strip()]
    unknown = [purpose for purpose in purposes if purpose not in PURPOSES]
    if unknown:
        raise click.BadParameter(f"unknown {', '.join(unknown)}; queues are {', '.join(PURPOSES)}",
                                 param_hint="--queues")
    from hub.app.serving import freeze_startup_objects
    from hub.plugins.presence import start_process_beacon

    runner = make_worker(hub.app, purposes, simple=simple, name=name)
    start_process_beacon(hub.runtime, "worker")
    # As a web worker: a reader's batch allocates enough to set off full collections, which
    # walked start-up's objects each time (a twentieth of a reader's CPU, issue 23).
    freeze_startup_objects()
    runner.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")


@click.command()
@click.option("--tick", type=float, help="Seconds between ticks (default HUB_SCHEDULER_TICK_SECONDS).")
@pass_hub
def scheduler(hub: HubContext, tick: float | None) -> None:
    """Enqueue due polls, schedules and deliveries. Run one or more: they elect a leader."""
    from hub.jobs.scheduler import Scheduler

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    from hub.plugins.presence import start_process_beacon

    start_process_beacon(hub.runtime, "scheduler")
    Scheduler(hub.runtime, tick_seconds=tick).run(stop)


@click.group()
def outbox() -> None:
    """Outbound deliveries: pending, dead letters, replay."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "delivered", "dead"]))
@click.option("--limit", type=int, default=20, show_default=True)
@pass_hub
def list_outbox(hub: HubContext, status: str | None, limit: int) -> None:
    from hub.delivery import outbox as box

    with hub.transaction() as session:
        stats = box.stats(session)
        click.echo(f"pending {stats.pending} (due {stats.due}), dead {stats.dead}, delivered {stats.delivered}")
        for message in box.list_messages(session, status=status, limit=limit):
            error = f"  {message.last_error}" if message.last_error else ""
            click.echo(f"{message.id:>8} {message.status:<9} {message.action:<10} attempts {message.attempts:<2} "
                       f"{message.lane}{error}")


@outbox.command()
@click.argument("message_id", type=int)
@pass_hub
def show(hub: HubContext, message_id: int) -> None:
    from hub.delivery import outbox as box

    with hub.transaction() as session:
        click.echo(json.dumps(box.present(box.get_message(session, message_id)), indent=2, default=str))


@outbox.command()
@click.argument("message_id", type=int, required=False)
@click.option("--all-dead", is_flag=True, help="Replay every dead letter.")
@pass_hub
def replay(hub: HubContext, message_id: int | None, all_dead: bool) -> None:
    """Send a dead letter again (after fixing what made it fail)."""
    from hub.delivery import outbox as box

    if (message_id is None) == (not all_dead):
        raise click.UsageError("Give a MESSAGE_ID or --all-dead.")
    with hub.transaction() as session:
        if all_dead:
            count = box.replay_all_dead(session)
            click.echo(f"{count} dead letter(s) queued again.")
        else:
            box.replay(session, message_id)  # type: ignore[arg-type]
            click.echo(f"Message {message_id} queued again.")


@click.group()
def jobs() -> None:
    """Queues, workers and failed jobs."""


@jobs.command()
@pass_hub
def status(hub: HubContext) -> None:
    from hub.jobs.status import job_status

    click.echo(json.dumps(job_status(hub.runtime), indent=2, default=str))


def _print_runs(runs: list[Any]) -> None:
    for run in runs:
        click.echo(f"{run.id:>6} {run.kind:<7} {run.status:<8} {run.started_at:%Y-%m-%d %H:%M:%S} "
                   f"fetched {run.fetched} created {run.created} updated {run.updated} skipped {run.skipped} "
                   f"failed {run.failed}" + (f"  {run.error}" if run.error else ""))


@click.command("runs")
@click.argument("slug")
@click.option("--limit", type=int, default=20, show_default=True)
@pass_hub
def runs(hub: HubContext, slug: str, limit: int) -> None:
    """Recent polls and syncs of a connector instance."""
    from hub.jobs.status import recent_runs
    from hub.plugins.instances import get_instance

    with hub.transaction() as session:
        _print_runs(recent_runs(session, get_instance(session, slug).id, limit))


@click.command("sync")
@click.argument("slug")
@click.option("--wait", is_flag=True, help="Run the poll here and now instead of queueing it.")
@click.option("--reconcile", is_flag=True, help="Re-read everything and repair drift on both sides "
              "(what the nightly reconcile does), instead of an incremental poll.")
@pass_hub
def sync(hub: HubContext, slug: str, wait: bool, reconcile: bool) -> None:
    """Poll an instance now."""
    from hub.jobs.status import sync_now
    from hub.plugins.instances import get_instance

    with hub.transaction() as session:
        instance_id = get_instance(session, slug).id
    if wait:
        from hub.jobs.polling import run_poll

        click.echo(json.dumps(run_poll(hub.runtime, instance_id, kind="reconcile" if reconcile else "manual"),
                              default=str))
    else:
        click.echo(sync_now(hub.runtime, instance_id, reconcile=reconcile))


COMMANDS = [worker, scheduler, outbox, jobs]
SUBCOMMANDS = {"connectors": [runs, sync]}
