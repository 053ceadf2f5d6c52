"""Helpers for end-to-end session tests: a recording actor, a harness starting simulators and
sessions (and releasing them), and small waiting helpers. Imported by conftest and the tests."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

import pykka

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from tests.protocol.openai_schema import client_event_problems

API_KEY = "sk-test-0123456789abcdefSECRET"
"""The key sessions use by default (the simulator accepts any key unless told otherwise)."""

WAIT_S = 10.0
"""Upper bound of every wait on an event (tests normally finish far sooner)."""

Match = type[Any] | Callable[[Any], bool]


def _matcher(kind: Match) -> Callable[[Any], bool]:
    if isinstance(kind, type):
        return lambda event: isinstance(event, kind)
    return kind


class Collector(pykka.ThreadingActor):
    """Records every message it is told, in order, into a queue."""

    def __init__(self, inbox: queue.Queue[Any]) -> None:
        super().__init__()
        self.inbox = inbox

    def on_receive(self, message: Any) -> None:
        """Put the message in the queue."""
        self.inbox.put(message)


class Listener:
    """A started :class:`Collector` and its queue, with waiting helpers."""

    def __init__(self) -> None:
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.ref: pykka.ActorRef[Collector] = Collector.start(self.inbox)

    def wait_for(self, kind: Match, timeout: float = WAIT_S,
                 collect: list[Any] | None = None) -> Any:
        """Consume messages until one matches ``kind``; earlier ones go to ``collect``."""
        matches = _matcher(kind)
        while True:
            message = self.inbox.get(timeout=timeout)
            if matches(message):
                return message
            if collect is not None:
                collect.append(message)

    def drain_until_marker(self, timeout: float = WAIT_S) -> list[Any]:
        """Tell the collector a marker and return every message received before it.

        A tell from this thread is queued after every message already in the actor's inbox,
        so once the marker comes out nothing sent earlier can still be on its way.
        """
        marker = object()
        self.ref.tell(marker)
        seen: list[Any] = []
        self.wait_for(lambda m: m is marker, timeout, collect=seen)
        return seen

    def stop(self) -> None:
        """Stop the collector (idempotent)."""
        if self.ref.is_alive():
            self.ref.stop(block=True, timeout=WAIT_S)


def until(session: rt.Session, kind: Match, timeout: float = WAIT_S) -> list[rt.SessionEvent]:
    """Session events up to and including the first matching ``kind``."""
    seen: list[rt.SessionEvent] = []
    seen.append(session.wait_for(kind, timeout, collect=seen))
    return seen


def of_type(events: list[Any], kind: type[Any]) -> list[Any]:
    """The events that are instances of ``kind``."""
    return [e for e in events if isinstance(e, kind)]


def frames_of(sim: Simulator, kind: str) -> list[dict[str, Any]]:
    """Client frames of one type the simulator received, in order."""
    return [f for f in sim.client_frames() if f.get("type") == kind]


def text_settings(**fields: Any) -> rt.SessionModelSettings:
    """Model settings for text output (plus any other fields)."""
    return rt.SessionModelSettings(output_modalities=("text",), **fields)


class Harness:
    """Starts simulators and sessions for one test and releases them all afterwards.

    On release every client frame every simulator received is validated against the GA
    client event types (issue 3 conformance).
    """

    def __init__(self) -> None:
        self.sims: list[Simulator] = []
        self.sessions: list[rt.Session] = []
        self.listeners: list[Listener] = []
        self.actors: list[pykka.ActorRef[Any]] = []

    @property
    def sim(self) -> Simulator:
        """The first simulator started (a default one if none was)."""
        if not self.sims:
            self.start_sim()
        return self.sims[0]

    def start_sim(self, scenario: Scenario | None = None) -> Simulator:
        """Start a simulator with ``scenario``; it is stopped when the test ends."""
        sim = Simulator(scenario)
        sim.start()
        self.sims.append(sim)
        return sim

    def track(self, ref: pykka.ActorRef[Any]) -> pykka.ActorRef[Any]:
        """Stop this actor when the test ends (if it is still running)."""
        self.actors.append(ref)
        return ref

    def listener(self) -> Listener:
        """A started Collector; stopped when the test ends."""
        listener = Listener()
        self.listeners.append(listener)
        return listener

    def run(
        self,
        agent: rt.RealtimeAgent,
        *,
        scenario: Scenario | None = None,
        model_settings: rt.SessionModelSettings | None = None,
        api_key: str | None = API_KEY,
        playback_tracker: rt.PlaybackTracker | None = None,
        subscribers: tuple[pykka.ActorRef[Any], ...] = (),
        wait_connected: bool = True,
        url: str | None = None,
        **run_config: Any,
    ) -> rt.Session:
        """``rt.run(agent)`` against a simulator (started with ``scenario`` if given, else the
        harness's first one); by default consumes events until the socket is connected (the
        first ``session.update`` is then on its way). ``url`` replaces the simulator's (a proxy
        in front of it)."""
        sim = self.start_sim(scenario) if scenario is not None else self.sim
        run_config.setdefault("raw_events", False)
        config = rt.RunConfig(model_settings=model_settings or rt.SessionModelSettings(),
                              **run_config)
        session = rt.run(
            agent,
            config=config,
            model_config=rt.ModelConfig(url=url or sim.ws_url, api_key=api_key,
                                        playback_tracker=playback_tracker),
            subscribers=subscribers,
        )
        self.sessions.append(session)
        if wait_connected:
            session.wait_for(
                lambda e: isinstance(e, rt.ConnectionEvent) and e.status == "connected", WAIT_S
            )
        return session

    def release(self) -> None:
        """Close sessions, stop actors and collectors, check conformance, stop simulators."""
        try:
            for session in self.sessions:
                session.close()
            for ref in self.actors:
                if ref.is_alive():
                    ref.stop(block=True, timeout=WAIT_S)
            for listener in self.listeners:
                listener.stop()
            self.check_conformance()
        finally:
            for sim in self.sims:
                sim.stop()

    def check_conformance(self) -> None:
        """Every client frame received so far validates against the GA client event types."""
        problems: list[str] = []
        for sim in self.sims:
            for frame in sim.client_frames():
                problems += [f"{frame.get('type')}: {p}" for p in client_event_problems(frame)]
        assert not problems, "client frames not GA-conformant:\n" + "\n".join(problems)
