"""Real services for tests, and what to do when one is missing.

A test that needs PostgreSQL, Redis, an IMAP server, an MQTT broker or a browser calls
``need(...)``. Missing, the test is skipped, unless HUB_TEST_REQUIRE_SERVICES=1 (as CI
sets it), in which case it fails: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import socket

import pytest

REQUIRE = os.environ.get("HUB_TEST_REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MQTT_HOST = os.environ.get("HUB_TEST_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("HUB_TEST_MQTT_PORT", "1883"))


def missing(service: str, why: str) -> None:
    message = f"{service} is not available: {why}"
    if REQUIRE:
        pytest.fail(message + " (HUB_TEST_REQUIRE_SERVICES=1 turns this into a failure)", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def need_redis() -> str:
    from redis import Redis

    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:
        missing("Redis", f"{REDIS_URL}: {exc}")
    return REDIS_URL


def need_mqtt() -> tuple[str, int]:
    if not port_open(MQTT_HOST, MQTT_PORT):
        missing("MQTT broker", f"nothing listens on {MQTT_HOST}:{MQTT_PORT}")
    return MQTT_HOST, MQTT_PORT
