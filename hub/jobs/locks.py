"""A Redis lease: held by one process, expiring by itself if that process dies."""

from __future__ import annotations

import uuid

from redis import Redis

# Release and renew only our own lease (compare-and-delete in one round trip).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
          "else return 0 end")


class Lease:
    def __init__(self, redis: Redis, key: str, seconds: float) -> None:
        self.redis = redis
        self.key = key
        self.milliseconds = int(seconds * 1000)
        self.token = uuid.uuid4().hex
        self.held = False

    def acquire(self) -> bool:
        self.held = bool(self.redis.set(self.key, self.token, nx=True, px=self.milliseconds))
        return self.held

    def renew(self) -> bool:
        self.held = bool(self.redis.eval(_RENEW, 1, self.key, self.token, self.milliseconds))
        return self.held

    def release(self) -> None:
        if self.held:
            self.redis.eval(_RELEASE, 1, self.key, self.token)
            self.held = False

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
