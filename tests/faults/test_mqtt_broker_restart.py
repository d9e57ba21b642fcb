"""The MQTT broker restarted under a running listener process.

A private Mosquitto (persistence on) is restarted twice while alarms for a few keys stream
in. The first time it is an operator's restart in the middle of a burst, with the listener
connected and part of the burst not yet stored or acknowledged: the listener must reconnect
by itself, resume its persistent session and take the rest, the broker's re-deliveries
recognised as such. The second time it is a crash (kill -9) while alarms wait in the
stopped listener's session: they must survive it and reach the listener when it returns.

Afterwards each alarm key has exactly one incident whose occurrence count is exactly what
was published for it, and the events table holds every message once: nothing lost, nothing
counted twice.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.models import InboundEvent
from tests.connectors.mqtt.conftest import Publisher, add_instance, instance_config, prepare_session, wait_until
from tests.connectors.mqtt.conftest import app_config as app_config
from tests.connectors.mqtt.test_processes import ListenerProcess, count_events, storm
from tests.connectors.mqtt.test_processes import no_listener_left as no_listener_left
from tests.support.private_services import PrivateProcess, private_mosquitto
from tests.support.waiting import scaled

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

KEYS = 5
#: Published while the listener runs (the broker restarts mid-way), after the restart, and
#: while no listener runs (the broker crashes with these queued): 40 + 20 + 20 per key.
BURST, AFTER_RESTART, WHILE_AWAY = 200, 100, 100
TOTAL = BURST + AFTER_RESTART + WHILE_AWAY
SLUG = "line9"
#: The connector's own line for a connection that found its session on the broker (the
#: sink's "listener N: connected ..." line says the same without the colon).
RESUMED = re.compile(r"(?<!dis)connected: \S+ as \S+: resumed its session")


class Budget:
    """One deadline for the whole test: every wait gets what is left of it, at most ``cap``."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + scaled(seconds)

    def left(self, cap: float) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the test ran out of its time budget")
        return min(cap, remaining)


@pytest.fixture
def broker_folder() -> Iterator[Path]:
    # Not under tmp_path: Mosquitto drops to its own user, which cannot enter root's folders.
    folder = Path(tempfile.mkdtemp(prefix="hub-mqtt-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def broker(broker_folder: Path) -> Iterator[PrivateProcess]:
    server = private_mosquitto(broker_folder).start()
    yield server
    server.stop()


def publish(url: str, messages: list[tuple[str, bytes]]) -> float:
    """Publish with QoS 1 from a fresh client; the wall-clock time once the broker has all."""
    publisher = Publisher(url)
    try:
        publisher.publish(messages)
        return time.time()
    finally:
        publisher.close()


def restart_gracefully(broker: PrivateProcess) -> None:
    """SIGTERM, as ``systemctl restart`` sends: Mosquitto saves its database on the way out."""
    assert broker.process is not None
    broker.process.terminate()
    broker.process.wait(10)
    broker.stop()  # the process is gone: this only waits for the port to close
    broker.start()


def wait_saved(folder: Path, since: float, budget: Budget) -> None:
    """Until Mosquitto's autosave (every second) has written a database newer than ``since``.

    The broker is single-threaded, so a save that ends after ``since`` (when every PUBACK
    was in) holds every message published before it. A kill -9 loses what came after the
    last save, which is the broker's configured durability, not the hub's to make up for.
    """
    database = folder / "mosquitto.db"
    wait_until(lambda: database.exists() and database.stat().st_mtime > since, timeout=budget.left(10),
               what="Mosquitto to save its database")


def incident_counts(api: Any) -> dict[tuple[str, str], int]:
    incidents = api.get("/api/v1/incidents?limit=100").json["items"]
    return {(ticket["ci"], ticket["title"].split()[0]): ticket["occurrence_count"] for ticket in incidents}


def stored_seqs(runtime: Any) -> list[int]:
    with runtime.db.reading() as session:
        payloads = session.scalars(select(InboundEvent.payload)).all()
    return sorted(int(payload["seq"]) for payload in payloads if payload)


def test_broker_restart_and_crash_lose_and_double_no_alarm(
        app_config: dict[str, Any], api: Any, runtime: Any, broker: PrivateProcess, broker_folder: Path,
        tmp_path: Path) -> None:
    budget = Budget(85)
    url = f"mqtt://127.0.0.1:{broker.port}"
    prefix = f"hubtest-{uuid.uuid4().hex[:12]}"
    # Small batches, so the first restart lands while part of the burst is still unstored.
    add_instance(api, SLUG, instance_config(url, prefix, batch_size=10, batch_window_ms=5))
    prepare_session(url, f"{prefix}-{SLUG}-1", [f"{prefix}/#"])
    burst = storm(prefix, BURST, KEYS, 0)
    after_restart = storm(prefix, AFTER_RESTART, KEYS, BURST)
    while_away = storm(prefix, WHILE_AWAY, KEYS, BURST + AFTER_RESTART)

    listener = ListenerProcess(app_config, SLUG, tmp_path)
    wait_until(lambda: RESUMED.search(listener.log.read_text()), timeout=budget.left(30),
               what="the listener to connect")
    publish(url, burst)
    wait_until(lambda: count_events(runtime), timeout=budget.left(20), what="the first stored alarms")
    at_restart = count_events(runtime)
    restart_gracefully(broker)
    assert at_restart < BURST, "the restart was meant to land while the listener was still storing"

    # No help from the test: the listener notices, backs off and resumes its session itself.
    wait_until(lambda: len(RESUMED.findall(listener.log.read_text())) >= 2, timeout=budget.left(40),
               what="the listener to reconnect after the restart")
    publish(url, after_restart)
    wait_until(lambda: count_events(runtime) >= BURST + AFTER_RESTART, timeout=budget.left(30),
                what=f"{BURST + AFTER_RESTART} stored alarms")
    first_output = listener.stop()

    published_at = publish(url, while_away)  # queued in the stopped listener's session
    wait_saved(broker_folder, published_at, budget)
    broker.stop()  # kill -9
    assert count_events(runtime) == BURST + AFTER_RESTART, "no listener ran, yet alarms were stored"
    broker.start()
    restarted = ListenerProcess(app_config, SLUG, tmp_path)

    per_key = TOTAL // KEYS
    expected = {(f"plant-a/line9/m{key:02d}", f"S{key:02d}"): per_key for key in range(KEYS)}
    wait_until(lambda: count_events(runtime) >= TOTAL and incident_counts(api) == expected,
               timeout=budget.left(40), what=f"{TOTAL} stored alarms counted on {KEYS} incidents")
    time.sleep(0.5)  # a late duplicate would show now
    second_output = restarted.stop()

    assert incident_counts(api) == expected, "an alarm was lost or counted twice"
    assert stored_seqs(runtime) == list(range(TOTAL)), "the events table lost or doubled a message"
    with runtime.db.reading() as session:
        statuses = set(session.scalars(select(InboundEvent.status)).all())
    assert statuses == {"applied"}
    assert "disconnected:" in first_output and len(RESUMED.findall(first_output)) >= 2, first_output
    assert RESUMED.search(second_output), "the crash lost the listener's session: " + second_output
    assert "started a new session" not in first_output + second_output
