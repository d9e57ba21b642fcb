"""Stopping the embedded Redis (what `itsm-hub run` does on Ctrl-C) asks once and is done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from redis.connection import UnixDomainSocketConnection

from hub.core.redis import embedded_socket, ensure_embedded_redis, stop_embedded_redis


def test_stopping_does_not_retry_the_shutdown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    socket_path, started = ensure_embedded_redis(tmp_path)
    assert started
    connects: list[Any] = []
    connect = UnixDomainSocketConnection._connect

    def counted(self: Any) -> Any:
        connects.append(self)
        return connect(self)

    monkeypatch.setattr(UnixDomainSocketConnection, "_connect", counted)
    stop_embedded_redis(tmp_path)
    # redis-py took the connection SHUTDOWN closes for a failure and retried, reconnecting to
    # the stopped server with backoff: 12 connections and 3.6-4.5 s of every Ctrl-C.
    assert len(connects) == 2, f"{len(connects)} connections to stop one server (one to see it is up, one to stop it)"
    assert not embedded_socket(tmp_path).exists() or not socket_path.exists()
