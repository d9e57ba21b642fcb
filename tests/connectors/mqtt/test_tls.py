"""MQTT over TLS against a real Mosquitto (tests/support/mosquitto.py) with a test CA: the
broker's certificate verified (its name too), client certificates, user and password.

Each way a connection fails gives its own message naming what to fix, in the admin's
Test button and in the listener's status. An alarm published over TLS to a broker that
refuses anonymous clients ends as an incident, and a change's state goes back over TLS.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from redis import Redis

from tests.connectors.mqtt.conftest import add_instance, alarm, instance_config, wait_until
from tests.support.certs import Issued
from tests.support.jobs import drain
from tests.support.mosquitto import CLIENT_NAME, KEY_PASSWORD, PASSWORD, USERNAME, TlsMosquitto, tls_client
from tests.support.services import need_mqtt, need_redis

MES_SECRET = "the-mes-shares-this-secret"


@pytest.fixture(scope="module")
def tls_broker() -> Iterator[TlsMosquitto]:
    broker = TlsMosquitto().start()
    yield broker
    broker.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Queues of its own in the real Redis: a change's state is published by a delivery job."""
    url = need_redis()
    queue_prefix = f"mqtls{uuid.uuid4().hex[:10]}"
    app_config.update(REDIS_URL=url, QUEUE_PREFIX=queue_prefix, OUTBOX_BACKOFF_SECONDS=0.01,
                      OUTBOX_BACKOFF_MAX_SECONDS=0.05, LOCK_SECONDS=5)
    yield app_config
    redis = Redis.from_url(url)
    keys = list(redis.scan_iter(match=f"*{queue_prefix}*", count=1000))
    if keys:
        redis.delete(*keys)
    redis.close()


def tls_config(broker: TlsMosquitto, port: int, prefix: str, *, host: str = "localhost",
               **config: Any) -> dict[str, Any]:
    config.setdefault("tls_ca_file", str(broker.files.ca))
    return instance_config(broker.url(port, host), prefix, **{k: v for k, v in config.items() if v is not None})


def press_test(api: Any, slug: str, config: dict[str, Any]) -> tuple[bool, str]:
    """Save the instance, press its Test button (the API behind it), return (ok, detail)."""
    add_instance(api, slug, config)
    answer = api.post(f"/api/v1/admin/instances/{slug}/test").json
    return answer["ok"], answer["detail"]


@pytest.fixture
def prefix() -> str:
    return f"hubtls-{uuid.uuid4().hex[:12]}"


# -- the Test button ---------------------------------------------------------------------------


def test_tls_with_server_verification_connects(api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    ok, detail = press_test(api, "line3", tls_config(tls_broker, tls_broker.verify_port, prefix))
    assert (ok, detail) == (True, f"connected to mqtts://localhost:{tls_broker.verify_port} (MQTT 5)")


def test_a_self_signed_broker_certificate_is_trusted_as_its_own_ca(api: Any, tls_broker: TlsMosquitto,
                                                                   prefix: str) -> None:
    config = tls_config(tls_broker, tls_broker.self_signed_port, prefix,
                        tls_ca_file=str(tls_broker.files.self_signed.cert))
    assert press_test(api, "line3", config)[0] is True


def test_a_certificate_of_another_ca_is_refused_readably(api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    other = str(tls_broker.files.other_ca)
    ok, detail = press_test(api, "wrong-ca", tls_config(tls_broker, tls_broker.verify_port, prefix, tls_ca_file=other))
    assert not ok
    assert detail == ("authentication: Server certificate not trusted: self-signed certificate in certificate "
                      f"chain. tls_ca_file ({other}) does not hold the CA that signed it: put that CA in the file.")
    # Without a CA file the system's CAs are used, and they do not know the test CA either.
    ok, detail = press_test(api, "system-cas", tls_config(tls_broker, tls_broker.verify_port, prefix,
                                                          tls_ca_file=""))
    assert not ok and "Server certificate not trusted" in detail
    assert detail.endswith("set tls_ca_file to the PEM file of the CA that signed it (or of the broker's own "
                           "certificate, if it is self-signed).")


def test_a_hostname_the_certificate_does_not_list_is_refused_with_the_names_it_lists(
        api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    ok, detail = press_test(api, "by-ip", tls_config(tls_broker, tls_broker.verify_port, prefix, host="127.0.0.1"))
    assert not ok
    assert detail.startswith("authentication: The broker's certificate is not for the name 127.0.0.1 (IP address "
                             "mismatch, certificate is not valid for '127.0.0.1'.). It lists: localhost. Put a name")


def test_client_certificates_given_connect_and_missing_or_foreign_are_refused(
        api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    files, port = tls_broker.files, tls_broker.client_cert_port

    def client_cert(cert: Issued | None, key: Path | None = None, password: str | None = None) -> dict[str, Any]:
        return tls_config(tls_broker, port, prefix, tls_cert_file=str(cert.cert) if cert else None,
                          tls_key_file=str(key or cert.key) if cert else None, tls_key_password=password)

    assert press_test(api, "cert", client_cert(files.client)) == (True, f"connected to mqtts://localhost:{port} "
                                                                        "(MQTT 5)")
    ok, _ = press_test(api, "cert-encrypted", client_cert(files.client, files.client_encrypted_key, KEY_PASSWORD))
    assert ok
    ok, detail = press_test(api, "no-cert", client_cert(None))
    # TLS 1.3 refuses after the handshake: the client reads the broker's alert, or (when the
    # broker has closed first) meets the end of the connection; both name the fix.
    assert (ok, detail) in {
        (False, "authentication: The broker requires a client certificate (TLSV13_ALERT_CERTIFICATE_REQUIRED): "
                "set tls_cert_file and tls_key_file to a certificate issued by a CA the broker trusts."),
        (False, "authentication: The broker ended the TLS connection (EOF occurred in violation of protocol "
                "(_ssl.c:2427)): it probably requires a client certificate; set tls_cert_file and tls_key_file.")}
    ok, detail = press_test(api, "foreign-cert", client_cert(files.stranger))
    assert not ok
    assert detail.startswith(f"authentication: The broker refused the client certificate {files.stranger.cert} (")
    assert "issued by a CA the broker trusts" in detail


def test_user_and_password_connect_and_wrong_or_missing_ones_are_refused(
        api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    port = tls_broker.password_port
    ok, _ = press_test(api, "login", tls_config(tls_broker, port, prefix, username=USERNAME, password=PASSWORD))
    assert ok
    ok, detail = press_test(api, "bad-login", tls_config(tls_broker, port, prefix, username=USERNAME,
                                                         password="not-the-password"))
    assert (ok, detail) == (False, "authentication: The broker refused the connection: Not authorized (CONNACK "
                                   f"code 135). Check the user name ({USERNAME}) and the password; the broker's "
                                   "password file and access rules decide who may connect.")
    ok, detail = press_test(api, "anonymous", tls_config(tls_broker, port, prefix))
    assert not ok and "The broker does not accept anonymous clients: set the user name and password" in detail


def test_tls_and_plain_ports_mixed_up_are_named(api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    host, plain_port = need_mqtt()
    ok, detail = press_test(api, "tls-to-plain", {**tls_config(tls_broker, plain_port, prefix), "broker_url":
                                                  f"mqtts://{host}:{plain_port}", "tls_ca_file": None})
    assert (ok, detail) == (False, f"authentication: mqtts://{host}:{plain_port} does not speak TLS on port "
                                   f"{plain_port} ([Errno 104] Connection reset by peer): use the broker's TLS "
                                   "port (usually 8883), or mqtt:// if it has no TLS.")
    config = {**tls_config(tls_broker, tls_broker.verify_port, prefix), "tls_ca_file": None,
              "broker_url": f"mqtt://localhost:{tls_broker.verify_port}"}
    ok, detail = press_test(api, "plain-to-tls", config)
    assert (ok, detail) == (False, f"retriable: mqtt://localhost:{tls_broker.verify_port} closed the connection "
                                   "before answering the login. If it expects TLS (port 8883 usually), use "
                                   "mqtts://.")


# -- the listener's status ---------------------------------------------------------------------


@pytest.mark.parametrize(("case", "expected"), [
    ("wrong-ca", "Server certificate not trusted: self-signed certificate in certificate chain."),
    ("no-client-cert", "set tls_cert_file and tls_key_file"),
    ("bad-password", f"Check the user name ({USERNAME}) and the password"),
    ("ca-file-gone", "tls_ca_file: cannot read "),
])
def test_the_listener_status_says_why_it_cannot_connect(api: Any, tls_broker: TlsMosquitto, prefix: str,
                                                        listening: Any, tmp_path: Path, case: str,
                                                        expected: str) -> None:
    copy = tmp_path / "ca.pem"
    copy.write_bytes(tls_broker.files.ca.read_bytes())
    config = {
        "wrong-ca": tls_config(tls_broker, tls_broker.verify_port, prefix, tls_ca_file=str(tls_broker.files.other_ca)),
        "no-client-cert": tls_config(tls_broker, tls_broker.client_cert_port, prefix),
        "bad-password": tls_config(tls_broker, tls_broker.password_port, prefix, username=USERNAME, password="no"),
        "ca-file-gone": tls_config(tls_broker, tls_broker.verify_port, prefix, tls_ca_file=str(copy)),
    }[case]
    add_instance(api, "line3", config)
    copy.unlink()  # saved while it was there; gone when the listener starts
    listener = listening("line3")
    error = wait_until(lambda: api.get("/api/v1/admin/instances/line3").json["last_error"], what="the status")
    listener.stop()
    assert expected in error, error
    assert error.endswith(("Retrying.", "Reconnecting.", "Trying again in 30 s."))


# -- end to end --------------------------------------------------------------------------------


def prepare_tls_session(tls_broker: TlsMosquitto, client_id: str, topic: str) -> None:
    """The listener's persistent session with its subscription, made before it runs, so what
    is published now waits for it (as tests/connectors/mqtt/conftest.prepare_session)."""
    client = tls_client(ca=tls_broker.files.ca, username=USERNAME, password=PASSWORD, client_id=client_id)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 600
    client.connect("localhost", tls_broker.password_port, clean_start=False, properties=properties)
    client.loop_start()
    client.subscribe([(topic, SubscribeOptions(qos=1))])
    assert subscribed.wait(10)
    client.disconnect()
    client.loop_stop()


def publish_tls(tls_broker: TlsMosquitto, topic: str, payload: bytes) -> None:
    client = tls_client(ca=tls_broker.files.ca, username=USERNAME, password=PASSWORD)
    client.connect("localhost", tls_broker.password_port)
    client.loop_start()
    info = client.publish(topic, payload, qos=1)
    info.wait_for_publish(10)
    assert info.is_published()
    client.disconnect()
    client.loop_stop()


def test_an_alarm_published_over_tls_to_a_locked_broker_becomes_an_incident(
        api: Any, tls_broker: TlsMosquitto, prefix: str, listening: Any) -> None:
    add_instance(api, "line3", tls_config(tls_broker, tls_broker.password_port, prefix, username=USERNAME,
                                          password=PASSWORD))
    prepare_tls_session(tls_broker, f"{prefix}-line3-1", f"{prefix}/#")
    publish_tls(tls_broker, *alarm(prefix, "filler-2", "E101", 1))
    listener = listening("line3")
    (incident,) = wait_until(lambda: api.get("/api/v1/incidents").json["items"], what="the incident")
    assert api.get("/api/v1/admin/instances/line3").json["last_error"] is None
    listener.stop()
    assert (incident["title"], incident["ci"], incident["source"]) == (
        "E101 Alarm E101 on filler-2", "plant-a/line3/filler-2", "mqtt")
    assert f"as {prefix}-line3-1 (p5, c0, k30, u'{USERNAME}')" in tls_broker.log()


def test_a_change_state_is_published_over_tls_with_a_client_certificate(
        app: Any, api: Any, tls_broker: TlsMosquitto, prefix: str) -> None:
    files = tls_broker.files
    state_topic = f"{prefix}/plant-a/line4/changes"
    add_instance(api, "mes", tls_config(
        tls_broker, tls_broker.client_cert_port, prefix, tls_cert_file=str(files.client.cert),
        tls_key_file=str(files.client_encrypted_key), tls_key_password=KEY_PASSWORD, http_secret=MES_SECRET,
        change_state_topic=f"{prefix}/{{site}}/{{line}}/changes"))
    seen: list[dict[str, Any]] = []
    line_system = tls_client(ca=files.ca, cert=files.client)
    subscribed = threading.Event()
    line_system.on_subscribe = lambda *args: subscribed.set()
    line_system.on_message = lambda client, userdata, message: seen.append(json.loads(message.payload))
    line_system.connect("localhost", tls_broker.client_cert_port)
    line_system.loop_start()
    try:
        line_system.subscribe(state_topic, qos=1)
        assert subscribed.wait(10)
        request = {"id": "REQ-1", "title": "Clean-in-place line 4", "site": "plant-a", "line": "line4",
                   "planned_start": "2026-11-17T06:00:00Z", "planned_end": "2026-11-17T07:30:00Z", "risk": "low"}
        posted = app.test_client().post("/api/v1/hooks/mes", json=request,
                                        headers={"Authorization": f"Bearer {MES_SECRET}"})
        assert posted.status_code == 201, posted.json
        moved = api.post("/api/v1/changes/CHG-000001/transitions", json={"to": "assessment"})
        assert moved.status_code == 200, moved.json
        drain(app, until=lambda: len(seen) >= 1)
        wait_until(lambda: seen, what="the state message")
    finally:
        line_system.disconnect()
        line_system.loop_stop()
    assert (seen[0]["request_id"], seen[0]["state"]) == ("REQ-1", "assessment")
    assert f"u'{CLIENT_NAME}'" in tls_broker.log()
