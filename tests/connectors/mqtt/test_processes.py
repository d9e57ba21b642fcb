"""Listeners as real processes (`python -m hub listen <instance>`): killed mid-shift and
restarted, nothing is lost and nothing counts twice; several processes in one shared
subscription split the work and still make exactly one incident per alarm key."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.mqtt.conftest import (
    Publisher,
    add_instance,
    alarm,
    entry_point_path,
    instance_config,
    prepare_session,
    sample_messages,
    wait_until,
)
from tests.support.processes import hub_command, hub_env

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[3]
STARTED: list[ListenerProcess] = []


class ListenerProcess:
    def __init__(self, app_config: dict[str, Any], slug: str, folder: Path, listener: str = "1") -> None:
        env = hub_env(Path(app_config["INSTANCE_PATH"]), HUB_DATABASE_URL=app_config["DATABASE_URL"],
                      HUB_SECRET_KEY=app_config["SECRET_KEY"])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [entry_point_path(folder / "entry-points"), str(REPO),
                                                          env.get("PYTHONPATH")]))
        env["ITSM_HUB_LISTENER"] = listener
        self.log = folder / f"listener-{slug}-{listener}-{time.monotonic_ns()}.log"
        self.handle = self.log.open("wb")
        self.process = subprocess.Popen(hub_command("listen", slug), env=env, stdout=self.handle,
                                        stderr=subprocess.STDOUT)
        STARTED.append(self)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no clean disconnect, no chance to finish a batch
        self.process.wait(10)
        self.handle.close()
        STARTED.remove(self)

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        self.handle.close()
        STARTED.remove(self)
        output = self.log.read_text()
        assert code == 0, output
        return output


@pytest.fixture(autouse=True)
def no_listener_left() -> Iterator[None]:
    yield
    for process in list(STARTED):
        if process.process.poll() is None:
            process.kill()
    STARTED.clear()


def stored(api: Any, slug: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    before = None
    while True:
        page = api.get(f"/api/v1/admin/events?instance={slug}&limit=200"
                       + (f"&before={before}" if before else "")).json
        found.extend(page)
        if len(page) < 200:
            return list(reversed(found))
        before = page[-1]["id"]


def count_events(runtime: Any) -> int:
    from sqlalchemy import func, select

    from hub.models import InboundEvent

    with runtime.db.reading() as session:
        return int(session.scalar(select(func.count(InboundEvent.id))) or 0)


def storm(prefix: str, count: int, keys: int, start: int) -> list[tuple[str, bytes]]:
    return [alarm(prefix, f"m{seq % keys:02d}", f"S{seq % keys:02d}", seq, line="line9")
            for seq in range(start, start + count)]


def test_a_listener_killed_mid_shift_loses_nothing_and_counts_nothing_twice(
        app_config: dict[str, Any], api: Any, runtime: Any, broker: str, prefix: str, publisher: Publisher,
        tmp_path: Path) -> None:
    add_instance(api, "line3", instance_config(broker, prefix, batch_size=20, batch_window_ms=5))
    prepare_session(broker, f"{prefix}-line3-1", [f"{prefix}/#"])
    shift = sample_messages("line3-shift.jsonl", prefix)
    # Within Mosquitto's default max_queued_messages (1000 per offline session, beyond those in
    # flight): more published while no listener runs would be dropped by the broker itself.
    first_half = shift[:4] + storm(prefix, 600, 6, 1000)
    second_half = storm(prefix, 300, 6, 1600) + shift[4:]
    total = len(first_half) + len(second_half)

    listener = ListenerProcess(app_config, "line3", tmp_path)
    publisher.publish(first_half)
    wait_until(lambda: count_events(runtime), what="the first stored events")
    listener.kill()
    at_kill = count_events(runtime)
    assert 0 < at_kill < len(first_half), "the kill was meant to land mid-stream"
    publisher.publish(second_half)  # published while no listener runs: the broker keeps them
    time.sleep(0.5)
    assert len(stored(api, "line3")) < total
    restarted = ListenerProcess(app_config, "line3", tmp_path)
    events = wait_until(lambda: len(found := stored(api, "line3")) >= total and found, timeout=60,
                        what=f"{total} stored events")
    time.sleep(0.3)  # anything more would be a duplicate arriving late
    output = restarted.stop()
    assert "resumed its session" in output

    events = stored(api, "line3")
    assert len(events) == total
    assert len({event["idempotency_key"] for event in events}) == total
    assert all(event["status"] == "applied" for event in events), [e for e in events if e["status"] != "applied"]
    incidents = {ticket["ref"]: ticket for ticket in api.get("/api/v1/incidents?limit=100").json["items"]}
    by_key = {(ticket["ci"], ticket["title"].split()[0]): ticket for ticket in incidents.values()}
    assert len(incidents) == 3 + 6  # the shift's three, one per storm key; none twice
    for key in range(6):
        assert by_key[(f"plant-a/line9/m{key:02d}", f"S{key:02d}")]["occurrence_count"] == 150
    jam = by_key[("plant-a/line3/filler-2", "E101")]
    assert (jam["occurrence_count"], jam["status"]) == (4, "in_progress")  # 3, cleared, then back: reopened
    assert by_key[("plant-a/line3/labeler-1", "S001")]["priority"] == 1
    assert by_key[("plant-a/line3/capper-1", "T220")]["occurrence_count"] == 1
    (change,) = api.get("/api/v1/changes").json["items"]
    assert (change["title"], change["status"]) == ("Switch line 3 to 330 ml format", "submitted")


def test_processes_in_a_shared_subscription_split_one_instance(
        app_config: dict[str, Any], api: Any, broker: str, prefix: str, publisher: Publisher,
        tmp_path: Path) -> None:
    add_instance(api, "line9", instance_config(broker, prefix, shared_group="hub", batch_size=50))
    for listener in ("1", "2"):
        prepare_session(broker, f"{prefix}-line9-{listener}", [f"$share/hub/{prefix}/#"])
    messages = storm(prefix, 600, 20, 0)
    first, second = ListenerProcess(app_config, "line9", tmp_path, "1"), ListenerProcess(
        app_config, "line9", tmp_path, "2")
    try:
        publisher.publish(messages)
        events = wait_until(lambda: len(found := stored(api, "line9")) >= len(messages) and found, timeout=60,
                            what="600 stored events")
    finally:
        outputs = [first.stop(), second.stop()]
    assert all("connected" in output for output in outputs)
    assert len(events) == 600
    takers = {event["meta"]["client"] for event in events}
    assert takers == {f"{prefix}-line9-1", f"{prefix}-line9-2"}
    incidents = api.get("/api/v1/incidents?limit=100").json["items"]
    assert len(incidents) == 20
    assert sorted(ticket["occurrence_count"] for ticket in incidents) == [30] * 20
