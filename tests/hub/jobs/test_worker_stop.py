"""A worker stops at once when its work is done, whichever way its command listener's race went.

rq listens for commands on a pub/sub thread that waits up to 60 s for a message. With
redis-py 8.2, stopping that thread waits for it; when the thread had already read the
UNSUBSCRIBE confirmation it was waiting for a new subscription, and every burst worker on a
loaded machine ended a minute late (issue 18: forty delivery tests took 60 s each).
"""

from __future__ import annotations

import time
from typing import Any

from hub.jobs.worker import make_worker
from tests.support.waiting import wait_until

#: Far above a normal stop (two Redis round trips and at most two one-second waits), far
#: below the listener's 60 s: a worker that waits for its listener fails.
BOUND_SECONDS = 30


def test_a_worker_stops_when_its_listener_already_read_the_unsubscribe(app: Any) -> None:
    worker = make_worker(app, simple=True)
    worker.subscribe()
    pubsub = worker.pubsub
    wait_until(lambda: pubsub.subscribed, what="the command listener to subscribe")
    pubsub.unsubscribe()  # the race a busy machine loses: the listener reads the confirmation first
    wait_until(lambda: not pubsub.subscribed, what="the listener to read the UNSUBSCRIBE confirmation")
    started = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - started < BOUND_SECONDS


def test_a_burst_worker_with_nothing_to_do_ends_at_once(app: Any) -> None:
    started = time.monotonic()
    for _ in range(5):  # each round has the race above
        make_worker(app, simple=True).work(burst=True, logging_level="WARNING")
    assert time.monotonic() - started < BOUND_SECONDS
