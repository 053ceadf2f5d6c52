"""The asyncio surface against the simulator over real sockets, on a plain event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pykka
import pytest

import realtime_actors as rt
from realtime_actors.aio import AsyncSession, arun
from realtime_actors.simulator import Simulator
from realtime_actors.simulator.speech_codec import decode, synthesize

T = TypeVar("T")
WAIT_S = 10.0


def run_async(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` on a fresh loop whose default executor is shut down at the end."""
    return asyncio.run(main())  # asyncio.run shuts the default executor down


def _echo() -> rt.RealtimeAgent:
    return rt.agent("Echo", instructions="Repeat what the user says.")


def _text() -> rt.RunConfig:
    return rt.RunConfig(model_settings=rt.SessionModelSettings(output_modalities=["text"]))


def _model(sim: Simulator) -> rt.ModelConfig:
    return rt.ModelConfig(url=sim.ws_url, api_key="sk-local")


def test_text_turn_with_async_for_and_the_end_event_after_close(sim: Simulator) -> None:
    async def main() -> tuple[list[rt.SessionEvent], list[rt.SessionEvent]]:
        turn: list[rt.SessionEvent] = []
        async with arun(_echo(), config=_text(), model_config=_model(sim)) as session:
            assert isinstance(session, AsyncSession)
            await session.send_message("Hello async")
            async for event in session:
                turn.append(event)
                if isinstance(event, rt.AgentEndEvent):
                    break
            history = await session.history()
            assert [(h.role, h.text) for h in history] == [
                ("user", "Hello async"), ("assistant", "You said: Hello async")]
            assert (await session.current_agent()).name == "Echo"
        rest = [event async for event in session]  # queued events stay readable after close
        assert not session.is_alive()
        return turn, rest

    turn, rest = run_async(main)
    text = "".join(e.delta for e in turn if isinstance(e, rt.TextDeltaEvent))
    assert text == "You said: Hello async"
    assert isinstance(turn[-1], rt.AgentEndEvent) and turn[-1].status == "completed"
    assert any(isinstance(e, rt.ConnectionEvent) and e.status == "connected" for e in turn)
    assert isinstance(rest[-1], rt.SessionEndedEvent)


def test_audio_turn_and_wait_for(sim: Simulator) -> None:
    settings = rt.SessionModelSettings(output_modalities=["audio"], turn_detection=None,
                                       transcription=rt.TranscriptionConfig(
                                           model="gpt-4o-transcribe"))

    async def main() -> tuple[list[rt.SessionEvent], rt.AgentEndEvent]:
        seen: list[rt.SessionEvent] = []
        async with arun(_echo(), config=rt.RunConfig(model_settings=settings),
                        model_config=_model(sim)) as session:
            session.send_audio(synthesize("what time is it"), commit=True)
            end = await session.wait_for(rt.AgentEndEvent, WAIT_S, collect=seen)
        return seen, end

    seen, end = run_async(main)
    assert end.status == "completed"
    audio = b"".join(e.data for e in seen if isinstance(e, rt.AudioEvent))
    assert decode(np.frombuffer(audio, dtype="<i2")) == "You said: what time is it"
    users = [e.transcript for e in seen
             if isinstance(e, rt.TranscriptCompletedEvent) and e.role == "user"]
    assert users == ["what time is it"]


def test_wait_for_times_out_and_a_predicate_matches(sim: Simulator) -> None:
    async def main() -> None:
        async with arun(_echo(), config=_text(), model_config=_model(sim)) as session:
            await session.wait_for(
                lambda e: isinstance(e, rt.ConnectionEvent) and e.status == "connected", WAIT_S)
            with pytest.raises(TimeoutError):
                await session.wait_for(rt.HandoffEvent, 0.2)

    run_async(main)


def test_wait_for_raises_session_closed_when_the_session_ends_first(sim: Simulator) -> None:
    async def main() -> None:
        async with arun(_echo(), config=_text(), model_config=_model(sim)) as session:
            await session.wait_for(rt.ConnectionEvent, WAIT_S)
            await session.aclose()
            with pytest.raises(rt.SessionClosedError):
                await session.wait_for(rt.HandoffEvent, WAIT_S)

    run_async(main)


def test_blocking_calls_run_on_the_executor_not_the_loop(sim: Simulator) -> None:
    loop_threads: list[int] = []
    call_threads: list[int] = []

    class Recording(concurrent.futures.ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            def record() -> Any:
                call_threads.append(threading.get_ident())
                return fn(*args, **kwargs)
            return super().submit(record)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(Recording(max_workers=2))
        loop_threads.append(threading.get_ident())
        async with arun(_echo(), config=_text(), model_config=_model(sim)) as session:
            before = len(call_threads)
            await session.send_message("hi")
            await session.wait_for(rt.AgentEndEvent, WAIT_S)
            await session.history()
            await session.interrupt()
            assert len(call_threads) == before + 3

    run_async(main)
    assert call_threads and loop_threads[0] not in call_threads


def test_missing_key_raises_auth_error_and_leaves_nothing_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("CODEX_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEX_HOME", str(tmp_path))

    async def main() -> None:
        with pytest.raises(rt.AuthError):
            async with arun(_echo(), model_config=rt.ModelConfig(url="ws://127.0.0.1:9/x")):
                pass

    run_async(main)
    assert pykka.ActorRegistry.get_all() == []


def test_sessions_do_not_cost_a_thread_each(sim: Simulator) -> None:
    async def main() -> tuple[int, int]:
        async with contextlib.AsyncExitStack() as stack:
            first = await stack.enter_async_context(
                arun(_echo(), config=_text(), model_config=_model(sim)))
            await first.wait_for(rt.ConnectionEvent, WAIT_S)
            one = threading.active_count()
            sessions = [await stack.enter_async_context(
                arun(_echo(), config=_text(), model_config=_model(sim))) for _ in range(10)]
            for session in sessions:
                await session.send_message("hi")
            for session in sessions:
                await session.wait_for(rt.AgentEndEvent, WAIT_S)
            return one, threading.active_count()

    one, eleven = run_async(main)
    assert eleven - one < 5, (one, eleven)  # ten more sessions, a few shared threads at most
