"""connectors.opcua.uaclient against a real asyncua server (tests/support/opcua_server.py).

Each test runs its client side in ``asyncio.run`` (the project has no async pytest
plugin) while the server lives in its own thread; server controls are called through
``asyncio.to_thread`` so the client's loop keeps running while the server works.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
from asyncua import ua

from connectors.opcua.uaclient import ConditionEvent, acknowledge, stream_conditions
from tests.support.opcua_server import FILLER, LABELER, OpcUaAlarmServer, free_port
from tests.support.waiting import scaled

T = TypeVar("T")
WAIT = 10.0  # per expectation; generous for loaded CI, a passing run needs a fraction


def run(coro: Coroutine[Any, Any, None]) -> None:
    async def checked() -> None:
        await asyncio.wait_for(coro, 25)
        await assert_no_stray_tasks()

    asyncio.run(checked())


async def assert_no_stray_tasks() -> None:
    # asyncua cancels some of its tasks without awaiting them; give them a few
    # iterations to finish, then nothing but this task may be left.
    others: set[asyncio.Task[Any]] = set()
    for _ in range(20):
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if not others:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"tasks left behind: {others}")


async def call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(func, *args, **kwargs)


@pytest.fixture(scope="module")
def shared_server() -> Iterator[OpcUaAlarmServer]:
    before = set(threading.enumerate())
    with OpcUaAlarmServer() as srv:
        yield srv
    assert set(threading.enumerate()) <= before, "the test server left a thread running"


@pytest.fixture
def server(shared_server: OpcUaAlarmServer) -> OpcUaAlarmServer:
    # One server for the module (starting one costs ~2 s), reset to a fresh state.
    shared_server.reset()
    return shared_server


class Recorder:
    """Collects what the stream reports, and waits for it."""

    def __init__(self, on_event: Callable[[ConditionEvent], Awaitable[None]] | None = None) -> None:
        self.events: list[ConditionEvent] = []
        self.states: list[tuple[str, str]] = []
        self._hook = on_event

    async def on_event(self, event: ConditionEvent) -> None:
        if self._hook is not None:
            await self._hook(event)
        self.events.append(event)

    def on_state(self, state: str, detail: str) -> None:
        self.states.append((state, detail))

    def count(self, state: str) -> int:
        return sum(1 for s, _ in self.states if s == state)

    async def until(self, what: str, predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + scaled(WAIT)
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; events={self.events} states={self.states}")
            await asyncio.sleep(0.02)

    async def events_where(self, n: int, **match: Any) -> list[ConditionEvent]:
        def matching() -> list[ConditionEvent]:
            return [e for e in self.events if all(getattr(e, k) == v for k, v in match.items())]

        await self.until(f"{n} event(s) with {match}", lambda: len(matching()) >= n)
        return matching()

    async def connected(self, times: int = 1) -> None:
        await self.until(f"connected x{times}", lambda: self.count("connected") >= times)


@asynccontextmanager
async def streaming(url: str, rec: Recorder, **kwargs: Any) -> AsyncIterator[asyncio.Task[None]]:
    """Run stream_conditions for the block; stop it after and insist it ends promptly."""
    stop = asyncio.Event()
    options: dict[str, Any] = {"reconnect_min": 0.1, "reconnect_max": 0.5, "publishing_interval": 20}
    options.update(kwargs)
    task = asyncio.create_task(
        stream_conditions(url, on_event=rec.on_event, on_state=rec.on_state, stop=stop, **options)
    )
    try:
        yield task
    finally:
        stop.set()
        if task.done():
            task.result()  # surface what ended it early
        else:
            await asyncio.wait_for(task, 5)
    assert rec.states[-1] == ("disconnected", "stopped")


def test_raise_delivers_one_active_event(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            event_id = await call(server.raise_alarm, "Bottle jam at infeed", 800)
            [event] = await rec.events_where(1)
            await asyncio.sleep(0.2)  # nothing else may follow
        assert rec.events == [event]
        assert event.event_id == event_id
        assert event.condition_id == server.condition_id(FILLER) == "ns=2;s=Line3.Filler2.Fault"
        assert (event.source_name, event.severity, event.message) == ("Filler2", 800, "Bottle jam at infeed")
        assert (event.active, event.acked, event.retain, event.refresh) == (True, False, True, False)
        assert event.time is not None
        assert event.time.tzinfo is not None

    run(scenario())


def test_events_that_are_not_conditions_are_skipped(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            await call(server.emit_plain_event, "Shift B started")
            event_id = await call(server.raise_alarm, "Bottle jam", 800)
            await rec.events_where(1)
        assert [e.event_id for e in rec.events] == [event_id]

    run(scenario())


def test_repeat_is_a_new_event_of_the_same_condition(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            first_id = await call(server.raise_alarm, "Bottle jam", 700)
            second_id = await call(server.repeat_alarm, message="Bottle jam, still", severity=900)
            first, second = await rec.events_where(2)
        assert [first.event_id, second.event_id] == [first_id, second_id]
        assert first.event_id != second.event_id
        assert first.condition_id == second.condition_id == server.condition_id()
        assert (second.active, second.severity, second.message) == (True, 900, "Bottle jam, still")

    run(scenario())


def test_clear_reports_inactive_and_retained_until_acknowledged(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            await call(server.raise_alarm, "Low air pressure", 500)
            await call(server.clear_alarm)
            raised, cleared = await rec.events_where(2)
            # Part 9: inactive but unacknowledged is still interesting, hence retained.
            assert (cleared.active, cleared.acked, cleared.retain) == (False, False, True)
            await acknowledge(server.url, cleared.condition_id, cleared.event_id, "air line fixed")
            *_, acked = await rec.events_where(3)
        assert raised.active
        assert cleared.condition_id == raised.condition_id
        assert (acked.active, acked.acked, acked.retain) == (False, True, False)

    run(scenario())


def test_refresh_after_connect_delivers_retained_conditions_only(server: OpcUaAlarmServer) -> None:
    server.raise_alarm("Label roll empty", 600, machine=LABELER)
    server.clear_alarm(machine=LABELER)
    assert not server.acknowledged(machine=LABELER)  # inactive but unacked: retained
    filler_id = server.raise_alarm("Bottle jam", 800)

    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            refreshed = await rec.events_where(2, refresh=True)
            live_id = await call(server.repeat_alarm)
            [live] = await rec.events_where(1, refresh=False)
        by_condition = {e.condition_id: e for e in refreshed}
        assert set(by_condition) == {server.condition_id(FILLER), server.condition_id(LABELER)}
        filler = by_condition[server.condition_id(FILLER)]
        # A refresh re-states the latest event, so its EventId is the one to acknowledge.
        assert (filler.event_id, filler.active, filler.message) == (filler_id, True, "Bottle jam")
        labeler = by_condition[server.condition_id(LABELER)]
        assert (labeler.active, labeler.acked, labeler.retain) == (False, False, True)
        assert (live.event_id, live.refresh) == (live_id, False)

    run(scenario())


def test_refresh_skips_conditions_that_are_no_longer_retained(server: OpcUaAlarmServer) -> None:
    server.raise_alarm("Label roll empty", 600, machine=LABELER)
    server.clear_alarm(machine=LABELER)
    event_id = server.state(machine=LABELER).event_id
    assert event_id is not None

    async def scenario() -> None:
        await acknowledge(server.url, server.condition_id(LABELER), event_id, "roll replaced")
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            marker_id = await call(server.raise_alarm, "Bottle jam", 800)
            [event] = await rec.events_where(1)
        # The first thing through is the live alarm: the refresh had nothing to say.
        assert (event.event_id, event.refresh) == (marker_id, False)

    run(scenario())


def test_server_restart_reconnects_and_refresh_redelivers(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            raised_id = await call(server.raise_alarm, "Capper torque fault", 900)
            await rec.events_where(1, refresh=False)
            await call(server.restart)
            await rec.connected(times=2)
            [again] = await rec.events_where(1, refresh=True)
            cleared_id = await call(server.clear_alarm)
            [cleared] = await rec.events_where(1, event_id=cleared_id)
        assert rec.count("disconnected") >= 2  # the restart, and the final stop
        assert (again.event_id, again.condition_id, again.active) == (raised_id, server.condition_id(), True)
        assert (cleared.active, cleared.refresh) == (False, False)

    run(scenario())


def test_acknowledge_sets_the_servers_acked_state(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec):
            await rec.connected()
            await call(server.raise_alarm, "Bottle jam", 800)
            [event] = await rec.events_where(1)
            assert not await call(server.acknowledged)
            await acknowledge(server.url, event.condition_id, event.event_id, "operator on the way")
            [acked] = await rec.events_where(1, acked=True)
            with pytest.raises(ua.UaStatusCodeError) as again:
                await acknowledge(server.url, event.condition_id, event.event_id, "twice")
        assert await call(server.acknowledged)
        [ack] = await call(server.acknowledgements)
        assert (ack.event_id, ack.comment) == (event.event_id, "operator on the way")
        assert (acked.active, acked.retain, acked.condition_id) == (True, True, event.condition_id)
        assert again.value.code == ua.StatusCodes.BadConditionBranchAlreadyAcked
        assert not await call(server.acknowledged, machine=LABELER)

    run(scenario())


def test_acknowledge_of_unknown_event_is_refused(server: OpcUaAlarmServer) -> None:
    server.raise_alarm("Bottle jam", 800)

    async def scenario() -> None:
        with pytest.raises(ua.UaStatusCodeError) as refused:
            await acknowledge(server.url, server.condition_id(), b"not-an-event-id", "hm")
        assert refused.value.code == ua.StatusCodes.BadEventIdUnknown

    run(scenario())
    assert not server.acknowledged()


def test_source_node_limits_the_stream_to_that_machine(server: OpcUaAlarmServer) -> None:
    server.raise_alarm("Label roll empty", 600, machine=LABELER)
    filler_id = server.raise_alarm("Bottle jam", 800)

    async def scenario() -> None:
        rec = Recorder()
        async with streaming(server.url, rec, source_node=server.source_node(FILLER)):
            await rec.connected()
            [refreshed] = await rec.events_where(1, refresh=True)
            await call(server.repeat_alarm, machine=LABELER)
            repeat_id = await call(server.repeat_alarm)
            await rec.events_where(1, event_id=repeat_id)
        assert refreshed.event_id == filler_id
        assert {e.condition_id for e in rec.events} == {server.condition_id(FILLER)}

    run(scenario())


def test_each_event_waits_for_the_previous_on_event(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        gate = asyncio.Event()
        busy = 0

        async def slow(event: ConditionEvent) -> None:
            nonlocal busy
            busy += 1
            assert busy == 1, "on_event must not run concurrently"
            await gate.wait()
            busy -= 1

        rec = Recorder(on_event=slow)
        async with streaming(server.url, rec):
            await rec.connected()
            ids = [await call(server.raise_alarm, "Bottle jam", 800)]
            ids += [await call(server.repeat_alarm) for _ in range(3)]
            await asyncio.sleep(0.3)
            assert rec.events == []  # the first is still being "persisted"
            gate.set()
            await rec.events_where(4)
        assert [e.event_id for e in rec.events] == ids

    run(scenario())


def test_consumer_overflow_reconnects_and_refreshes(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        gate = asyncio.Event()

        async def slow(event: ConditionEvent) -> None:
            await gate.wait()

        rec = Recorder(on_event=slow)
        async with streaming(server.url, rec, max_pending=2):
            await rec.connected()
            await call(server.raise_alarm, "Bottle jam", 800)
            for _ in range(6):
                last_id = await call(server.repeat_alarm)
            await asyncio.sleep(0.3)
            gate.set()
            await rec.connected(times=2)
            [latest] = await rec.events_where(1, refresh=True)
        # Bounded: some intermediate events were dropped, and the refresh restated
        # the current state, so nothing that still matters is lost.
        assert len(rec.events) < 8
        assert latest.event_id == last_id
        assert rec.count("disconnected") >= 2

    run(scenario())


def test_on_event_failure_ends_the_stream(server: OpcUaAlarmServer) -> None:
    async def scenario() -> None:
        async def broken(event: ConditionEvent) -> None:
            raise OSError("disk full")

        stop = asyncio.Event()
        states: list[tuple[str, str]] = []
        task = asyncio.create_task(
            stream_conditions(
                server.url,
                on_event=broken,
                stop=stop,
                on_state=lambda s, d: states.append((s, d)),
                publishing_interval=20,
            )
        )
        while ("connected" not in {s for s, _ in states}) and not task.done():
            await asyncio.sleep(0.02)
        await call(server.raise_alarm, "Bottle jam", 800)
        with pytest.raises(OSError, match="disk full"):
            await asyncio.wait_for(task, WAIT)
        assert states[-1][0] == "disconnected"

    run(scenario())


def test_unreachable_server_backs_off_and_stops_promptly() -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}/"  # nobody listens there

    async def scenario() -> None:
        rec = Recorder()
        async with streaming(url, rec, reconnect_min=0.05, reconnect_max=0.2):
            await rec.until("three failed attempts", lambda: rec.count("error") >= 3)
        delays = [d.rsplit("retrying in ", 1)[1] for s, d in rec.states if s == "error"]
        assert delays[:3] == ["0.05s", "0.1s", "0.2s"]
        assert rec.count("connected") == 0

    started = time.monotonic()
    run(scenario())
    assert time.monotonic() - started < 5


def test_username_and_password() -> None:
    with OpcUaAlarmServer(username="hub", password="s3cret") as srv:
        srv.raise_alarm("Bottle jam", 800)

        async def scenario() -> None:
            denied = Recorder()
            async with streaming(srv.url, denied, username="hub", password="wrong"):
                await denied.until("a refused login", lambda: denied.count("error") >= 1)
            assert "BadUserAccessDenied" in denied.states[0][1]
            assert denied.count("connected") == 0

            rec = Recorder()
            async with streaming(srv.url, rec, username="hub", password="s3cret"):
                [event] = await rec.events_where(1, refresh=True)
            await acknowledge(srv.url, event.condition_id, event.event_id, "ok", username="hub", password="s3cret")

        run(scenario())
        assert srv.acknowledged()
