"""An alarm storm through Mosquitto into the hub: alarms per second and the listener's memory.

    python -m bench.mqtt_storm                       # 100,000 alarms over 200 keys, fresh PostgreSQL db
    python -m bench.mqtt_storm --count 20000 --keys 50 --database-url sqlite:////tmp/storm.db

It makes a fresh database (PostgreSQL by default: a new database next to ``--pg-admin-url``,
dropped afterwards unless ``--keep``), an MQTT instance, and the listener's persistent
session; starts the listener as a real process (``python -m hub listen storm``); publishes
the storm with QoS 1; waits until every alarm is stored and counted; checks the exact
outcome (one incident per key, the occurrence counts adding up to the storm); and prints
alarms per second (first publish to last commit) and the listener's peak RSS.

The publisher keeps at most ``--window`` alarms ahead of what the hub has stored: a broker
drops QoS 1 messages for a client beyond its in-flight window (the listener's Receive
Maximum, capped by the broker's ``max_inflight_messages``, 20 by default in Mosquitto) plus
``max_queued_messages`` (Mosquitto's default is 1000), and a benchmark that loses alarms at
the broker measures nothing. A window of 1,800 lost 208 of 100,000 alarms at the broker on
Debian's default Mosquitto; 900 stays under its 1,020.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy import create_engine, func, select, text

REPO = Path(__file__).resolve().parents[1]
SLUG = "storm"


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="alarms to publish (default 100000)")
    parser.add_argument("--quick", action="store_true", help="5,000 alarms (a smoke test; `python -m bench --quick`)")
    parser.add_argument("--keys", type=int, default=200, help="distinct alarm keys (default 200)")
    parser.add_argument("--database-url", help="use this (empty) database instead of making one")
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1/test",
                        help="where to CREATE/DROP the benchmark's PostgreSQL database")
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--batch-size", type=int, default=500, help="the listener's batch size")
    parser.add_argument("--batch-window-ms", type=int, default=50, help="the listener's batch window")
    parser.add_argument("--receive-maximum", type=int, default=1000, help="the listener's MQTT 5 Receive Maximum")
    parser.add_argument("--window", type=int, default=900, help="alarms the publisher may be ahead of the hub")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the storm to be stored")
    parser.add_argument("--keep", action="store_true", help="keep the database and the instance folder")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.count = min(args.count, 5_000)
    return args


# -- the database -----------------------------------------------------------------------


class Database:
    def __init__(self, options: argparse.Namespace) -> None:
        self.admin_url = options.pg_admin_url
        self.created: str | None = None
        if options.database_url:
            self.url = options.database_url
            return
        name = f"bench_mqtt_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created = name
        self.url = self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop(self) -> None:
        if self.created is None:
            return
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.created}" WITH (FORCE)'))
        admin.dispose()


def make_hub(database_url: str, folder: Path, secret_key: str, options: argparse.Namespace,
             prefix: str) -> dict[str, Any]:
    """Migrate the database and add the MQTT instance; returns the listener's settings."""
    from hub import create_app
    from hub.plugins.instances import create_instance

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(folder), "SECRET_KEY": secret_key,
                      "AUTO_MIGRATE": True, "LOAD_ENTRYPOINTS": False, "PLUGINS": [("mqtt", "connectors.mqtt")]})
    runtime = app.extensions["hub"]
    client_id = f"{prefix}-listener"
    with runtime.db.transaction() as session:
        instance = create_instance(session=session, connector="mqtt", slug=SLUG, enabled=True, config={
            "broker_url": options.broker, "topics": [f"{prefix}/#"], "client_id": client_id,
            "mapping": {"site": "topic.1", "line": "topic.2", "machine": "topic.3"}, "session_expiry": 600,
            "batch_size": options.batch_size, "batch_window_ms": options.batch_window_ms,
            "receive_maximum": options.receive_maximum, "message_id": "payload.seq"})
        instance_id = instance.id
    runtime.db.dispose()
    return {"client_id": client_id, "instance_id": instance_id}


def entry_point_path(folder: Path) -> str:
    """Let `python -m hub` find the mqtt plugin by entry point before setup.cfg lists it."""
    from importlib import metadata

    if any(entry.name == "mqtt" for entry in metadata.entry_points(group="itsm_hub")):
        return ""
    info = folder / "itsm_hub_bench-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: itsm-hub-bench\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[itsm_hub]\nmqtt = connectors.mqtt\n")
    return str(folder)


# -- MQTT ---------------------------------------------------------------------------------


def broker_address(url: str) -> tuple[str, int]:
    host, _, port = url.removeprefix("mqtt://").partition(":")
    return host, int(port or 1883)


def prepare_session(broker: str, client_id: str, topic: str) -> None:
    """The listener's session with its subscription, so nothing published is lost before it runs."""
    host, port = broker_address(broker)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    done = threading.Event()
    client.on_subscribe = lambda *args: done.set()
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 600
    client.connect(host, port, clean_start=False, properties=properties)
    client.loop_start()
    client.subscribe([(topic, SubscribeOptions(qos=1))])
    if not done.wait(10):
        raise SystemExit(f"{broker} did not confirm the subscription")
    client.disconnect()
    client.loop_stop()


def alarm(prefix: str, seq: int, keys: int, start: datetime) -> tuple[str, bytes]:
    key = seq % keys
    payload = {"code": f"E{key % 7 + 100}", "text": "Bottle jam at infeed", "severity": "major", "state": "active",
               "ts": (start + timedelta(milliseconds=seq)).isoformat(), "seq": seq}
    return f"{prefix}/plant-a/line{key % 10}/machine-{key:03d}/alarm", json.dumps(payload).encode()


class Progress:
    """How many storm alarms the hub has stored (polled from the database)."""

    def __init__(self, database_url: str, instance_id: int) -> None:
        from hub.models import InboundEvent

        self.engine = create_engine(database_url)
        self.query = select(func.count(InboundEvent.id)).where(InboundEvent.instance_id == instance_id)
        self.stored = 0

    def poll(self) -> int:
        with self.engine.connect() as connection:
            self.stored = int(connection.execute(self.query).scalar_one())
        return self.stored


def publish_storm(options: argparse.Namespace, prefix: str, progress: Progress, offset: int) -> dict[str, float]:
    host, port = broker_address(options.broker)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-publisher", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    started = datetime.now(UTC)
    waited = 0.0
    last_info = None
    try:
        for seq in range(options.count):
            if seq - (progress.stored - offset) >= options.window:
                pause = time.monotonic()
                while seq - (progress.poll() - offset) >= options.window:
                    time.sleep(0.01)
                waited += time.monotonic() - pause
            topic, payload = alarm(prefix, seq, options.keys, started)
            last_info = client.publish(topic, payload, qos=1)
        if last_info is not None:
            last_info.wait_for_publish(60)
    finally:
        client.disconnect()
        client.loop_stop()
    return {"publisher_waited_s": round(waited, 2)}


# -- the listener process -----------------------------------------------------------------


def start_listener(database_url: str, folder: Path, secret_key: str) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=database_url, HUB_INSTANCE_PATH=str(folder), HUB_SECRET_KEY=secret_key,
               HUB_LOAD_ENTRYPOINTS="true", HUB_LOG_LEVEL="WARNING")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [entry_point_path(folder / "entry-points"), str(REPO),
                                                      env.get("PYTHONPATH")]))
    log = (folder / "listener.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "hub", "listen", SLUG], env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(peak, current) resident set size of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            values[name] = int(rest.split()[0]) / 1024
    return values.get("VmHWM", 0.0), values.get("VmRSS", 0.0)


def outcome(database_url: str, instance_id: int) -> dict[str, Any]:
    from hub.models import InboundEvent, Ticket

    engine = create_engine(database_url)
    with engine.connect() as connection:
        tickets = connection.execute(select(func.count(Ticket.id), func.coalesce(func.sum(Ticket.occurrence_count), 0),
                                            func.min(Ticket.occurrence_count), func.max(Ticket.occurrence_count))
                                     ).one()
        statuses = dict(connection.execute(select(InboundEvent.status, func.count()).where(
            InboundEvent.instance_id == instance_id).group_by(InboundEvent.status)).all())
        last = connection.execute(select(func.max(InboundEvent.processed_at)).where(
            InboundEvent.instance_id == instance_id)).scalar_one()
    engine.dispose()
    return {"incidents": int(tickets[0]), "occurrences": int(tickets[1]), "min_count": tickets[2],
            "max_count": tickets[3], "events": statuses, "last_commit": last}


def run(options: argparse.Namespace) -> dict[str, Any]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    folder = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    secret_key = secrets.token_urlsafe(24)
    database = Database(options)
    listener: subprocess.Popen[bytes] | None = None
    try:
        hub = make_hub(database.url, folder, secret_key, options, prefix)
        prepare_session(options.broker, hub["client_id"], f"{prefix}/#")
        listener = start_listener(database.url, folder, secret_key)
        progress = Progress(database.url, hub["instance_id"])
        # A warm-up clear (nothing is open for it: stored, no ticket) shows the listener is up.
        warm = Publisher(options.broker, prefix)
        warm.send(f"{prefix}/plant-a/warmup/probe/alarm", {"code": "W0", "severity": "info", "state": "cleared",
                                                           "seq": -1})
        deadline = time.monotonic() + 120
        while progress.poll() < 1:
            if listener.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the listener did not start; see " + str(folder / "listener.log"))
            time.sleep(0.05)
        offset = progress.stored
        started = datetime.now(UTC)
        published = publish_storm(options, prefix, progress, offset)
        publish_done = datetime.now(UTC)
        deadline = time.monotonic() + options.timeout
        while progress.poll() - offset < options.count:
            if listener.poll() is not None:
                raise SystemExit("the listener died; see " + str(folder / "listener.log"))
            if time.monotonic() > deadline:
                raise SystemExit(f"only {progress.stored - offset} of {options.count} alarms were stored in time")
            time.sleep(0.05)
        peak, current = peak_rss_mb(listener.pid)
        result = outcome(database.url, hub["instance_id"])
        last = result.pop("last_commit")
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        seconds = (last - started).total_seconds()
        expected = options.count // options.keys
        exact = (result["incidents"] == options.keys and result["occurrences"] == options.count
                 and (options.count % options.keys or result["min_count"] == result["max_count"] == expected)
                 and result["events"] == {"applied": options.count, "ignored": 1})
        return {
            "alarms": options.count, "keys": options.keys, "database": database.url.split("://")[0],
            "seconds": round(seconds, 2), "alarms_per_second": round(options.count / seconds),
            "publish_seconds": round((publish_done - started).total_seconds(), 2), **published,
            "listener_peak_rss_mb": round(peak, 1), "listener_rss_at_end_mb": round(current, 1),
            "batch_size": options.batch_size, "cpus": os.cpu_count(), "exact": bool(exact), **result,
        }
    finally:
        if listener is not None and listener.poll() is None:
            listener.send_signal(signal.SIGTERM)
            try:
                listener.wait(30)
            except subprocess.TimeoutExpired:
                listener.kill()
        if not options.keep:
            with suppress(Exception):
                database.drop()
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"kept: database {database.url}, folder {folder}", file=sys.stderr)


class Publisher:
    def __init__(self, broker: str, prefix: str) -> None:
        host, port = broker_address(broker)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-warmup", protocol=mqtt.MQTTv5)
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, topic: str, payload: dict[str, Any]) -> None:
        self.client.publish(topic, json.dumps(payload).encode(), qos=1).wait_for_publish(10)
        self.client.disconnect()
        self.client.loop_stop()


def main(argv: list[str] | None = None) -> int:
    options = arguments(argv)
    result = run(options)
    print(f"{result['alarms']} alarms over {result['keys']} keys through {options.broker} into "
          f"{result['database']}: {result['seconds']} s, {result['alarms_per_second']} alarms/s")
    print(f"incidents {result['incidents']}, occurrences {result['occurrences']} "
          f"(per incident {result['min_count']}..{result['max_count']}), events {result['events']}, "
          f"exact: {'yes' if result['exact'] else 'NO'}")
    print(f"listener peak RSS {result['listener_peak_rss_mb']} MiB (at the end {result['listener_rss_at_end_mb']} "
          f"MiB); publisher waited {result['publisher_waited_s']} s for the hub; {result['cpus']} CPUs")
    if options.json_path:
        Path(options.json_path).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print("JSON " + json.dumps(result, default=str))  # for python -m bench, which runs this as a case
    return 0 if result["exact"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
