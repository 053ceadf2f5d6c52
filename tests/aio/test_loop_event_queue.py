"""LoopEventQueue: batched wake-ups, bounded memory, one reader."""

from __future__ import annotations

import asyncio
import threading

import pytest

import realtime_actors as rt
from realtime_actors.aio import LoopEventQueue


def _deltas(n: int) -> list[rt.TextDeltaEvent]:
    return [rt.TextDeltaEvent(delta=str(i), item_id="item_1", response_id="resp_1")
            for i in range(n)]


def test_a_burst_put_from_another_thread_wakes_the_loop_once_and_keeps_order() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = LoopEventQueue(loop)
        events = _deltas(100)
        writer = threading.Thread(target=lambda: [queue.put(e) for e in events])
        writer.start()
        writer.join()

        async def read() -> list[rt.SessionEvent | None]:
            return [await queue.get(1.0) for _ in events]

        got = loop.run_until_complete(read())
        assert got == events
        assert queue.wakeups == 1
        assert loop.run_until_complete(queue.get(0.01)) is None
    finally:
        loop.close()


def test_beyond_max_events_the_oldest_are_dropped_and_counted() -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = LoopEventQueue(loop, maxlen=3)
        events = [*_deltas(4), rt.SessionEndedEvent(reason="closed")]
        for event in events:
            queue.put(event)
        assert queue.dropped == 2 and len(queue) == 3

        async def read() -> list[rt.SessionEvent | None]:
            return [await queue.get(1.0) for _ in range(3)]

        assert loop.run_until_complete(read()) == events[2:]
    finally:
        loop.close()


def test_a_second_concurrent_reader_is_refused() -> None:
    async def main() -> None:
        queue = LoopEventQueue(asyncio.get_running_loop())
        first = asyncio.ensure_future(queue.get(5.0))
        await asyncio.sleep(0)  # let the first reader install its waiter
        with pytest.raises(RuntimeError, match="already reading"):
            await queue.get(0.1)
        queue.put(_deltas(1)[0])
        assert (await first) == _deltas(1)[0]

    asyncio.run(main())


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_max_events_must_be_a_positive_int(bad: object) -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(rt.ConfigError, match="max_events"):
            LoopEventQueue(loop, bad)  # type: ignore[arg-type]
    finally:
        loop.close()
