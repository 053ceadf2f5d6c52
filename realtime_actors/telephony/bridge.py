"""The telephony bridge: one carrier media stream (Twilio Media Streams) <-> one session.

Caller audio (μ-law 8 kHz) goes to the session, converted to PCM16 24 kHz or passed through
with the session set to ``audio/pcmu`` (``BridgeConfig.session_audio``; the format is a
session override, so it survives handoffs). Answer audio goes back in 20 ms frames with marks
(:class:`~realtime_actors.telephony.playout.Playout`); marks the carrier reports played feed
the session's :class:`~realtime_actors.PlaybackTracker`, so an interruption truncates at what
the caller heard, and is followed by ``clear``. DTMF and the call's start become
:mod:`~realtime_actors.telephony.call_events` (and ``AnswerPlayedEvent`` once the caller
heard a whole answer). The call ends on ``stop``, a closed socket or
the session's end; the session is closed either way.

The socket is anything with ``async recv() -> str``, ``async send(str)`` and
``async close()`` raising ``websockets.ConnectionClosed`` once closed (a ``websockets``
connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import attrs
import websockets

from ..agents.agent import RealtimeAgent
from ..aio import AsyncSession, arun
from ..audio.playback import PlaybackTracker
from ..protocol.session_config import SessionModelSettings
from ..session.events import (
    AudioEndEvent,
    AudioEvent,
    AudioInterruptedEvent,
    SessionEndedEvent,
    SessionEvent,
)
from ..session.handle import SessionClosedError
from ..session.run_config import ModelConfig, RunConfig
from .call_events import (
    AnswerPlayedEvent,
    CallClearedEvent,
    CallEvent,
    CallStartedEvent,
    CallSummary,
    DtmfEvent,
    EndReason,
)
from .codec import InboundConverter, OutboundConverter, SessionAudio, check_session_audio
from .messages import (
    Clear,
    Connected,
    Dtmf,
    Mark,
    Media,
    OutboundMedia,
    Start,
    Stop,
    TelephonyProtocolError,
    encode,
    parse_carrier_message,
)
from .playout import FrameOut, Playout

logger = logging.getLogger(__name__)


class CarrierSocket(Protocol):
    """The carrier's WebSocket as the bridge uses it."""

    async def recv(self) -> str | bytes: ...
    async def send(self, message: str) -> None: ...
    async def close(self) -> None: ...


EventHook = Callable[["TelephonyBridge", CallEvent | SessionEvent], Awaitable[None] | None]
"""Called (on the loop) with every call event and session event of a call."""


def _check_session_audio(_inst: object, _attr: attrs.Attribute[SessionAudio],
                         value: object) -> None:
    check_session_audio(value)


@attrs.frozen(kw_only=True)
class BridgeConfig:
    """How calls are bridged."""

    session_audio: SessionAudio = attrs.field(default="pcm16", validator=_check_session_audio)
    """``pcm16``: convert to the session's PCM16 24 kHz; ``pcmu``: μ-law end to end."""
    mark_every: int = 5
    """Frames (20 ms each) between marks: the resolution of the heard position."""
    lead_ms: float = 100.0
    """How far ahead of real time audio is sent to the carrier."""
    start_timeout_s: float = 10.0
    """How long to wait for the carrier's ``start``."""
    run_config: RunConfig = attrs.field(factory=RunConfig)
    """Settings of each call's session (turn detection, voice, ...)."""


class TelephonyBridge:
    """Bridges one carrier media stream to a new realtime session; :meth:`run` it once."""

    def __init__(self, socket: CarrierSocket, agent: RealtimeAgent, *,
                 model_config: ModelConfig, config: BridgeConfig | None = None,
                 on_event: EventHook | None = None) -> None:
        self.socket = socket
        self.agent = agent
        self.config = config or BridgeConfig()
        self.model_config = model_config
        self.on_event = on_event
        self.session: AsyncSession | None = None
        """The call's session once ``start`` arrived."""
        self.stream_sid: str | None = None
        self.tracker = PlaybackTracker()
        self.playout = Playout(mark_every=self.config.mark_every, lead_ms=self.config.lead_ms)
        self._inbound = InboundConverter(self.config.session_audio)
        self._outbound = OutboundConverter(self.config.session_audio)
        self._wake = asyncio.Event()
        self._frames_in = 0
        self._clears = 0
        self._digits = ""

    async def run(self) -> CallSummary:
        """Bridge the call until it ends; returns what happened. Raises
        :class:`TelephonyProtocolError` if the stream does not begin with ``start``."""
        try:
            start = await asyncio.wait_for(self._wait_start(), self.config.start_timeout_s)
        except TimeoutError:
            raise TelephonyProtocolError(
                f"no 'start' within {self.config.start_timeout_s:g}s") from None
        if start is None:
            return self._summary("hangup")
        self.stream_sid = start.stream_sid
        settings = self.config.run_config.model_settings
        if self.config.session_audio == "pcmu":
            settings = settings.merge(_PCMU)
        run_config = attrs.evolve(self.config.run_config, model_settings=settings)
        model_config = attrs.evolve(self.model_config, playback_tracker=self.tracker)
        async with arun(self.agent, config=run_config, model_config=model_config) as session:
            self.session = session
            if self.config.session_audio == "pcmu":
                await session.update_session(_PCMU)  # an override: kept across handoffs
            await self._emit(CallStartedEvent(stream_sid=start.stream_sid,
                                              call_sid=start.call_sid,
                                              custom_parameters=start.custom_parameters))
            ended_by = await self._bridge(session)
            await session.aclose()
            async for event in session:  # the rest, SessionEndedEvent last, to the hook
                await self._emit(event)
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.socket.close()
        logger.info("call %s ended (%s)", self.stream_sid, ended_by)
        return self._summary(ended_by)

    def _summary(self, ended_by: EndReason) -> CallSummary:
        return CallSummary(stream_sid=self.stream_sid, ended_by=ended_by,
                           frames_in=self._frames_in, frames_out=self.playout.frames_sent,
                           marks_sent=self.playout.marks_sent,
                           marks_heard=self.playout.marks_heard, clears=self._clears,
                           digits=self._digits)

    async def _wait_start(self) -> Start | None:
        while True:
            try:
                message = parse_carrier_message(await self.socket.recv())
            except websockets.ConnectionClosed:
                return None
            if isinstance(message, Start):
                return message
            if not isinstance(message, Connected):
                raise TelephonyProtocolError(
                    f"expected 'start' before {type(message).__name__.lower()!r}")

    async def _bridge(self, session: AsyncSession) -> EndReason:
        carrier = asyncio.create_task(self._from_carrier(session), name="carrier-in")
        events = asyncio.create_task(self._from_session(session), name="session-out")
        sender = asyncio.create_task(self._send_frames(), name="carrier-out")
        tasks = {carrier, events, sender}
        try:
            done, _ = await asyncio.wait({carrier, events}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result,
                                                                   asyncio.CancelledError):
                raise result
        return next(iter(done)).result()

    # ------------------------------------------------------------------ carrier -> session
    async def _from_carrier(self, session: AsyncSession) -> EndReason:
        while True:
            try:
                frame = await self.socket.recv()
            except websockets.ConnectionClosed:
                return "hangup"
            try:
                message = parse_carrier_message(frame)
            except TelephonyProtocolError as exc:
                logger.warning("call %s: ignoring a malformed carrier message: %s",
                               self.stream_sid, exc)
                continue
            try:
                if await self._on_carrier(session, message):
                    return "stop"
            except SessionClosedError:
                return "session_ended"

    async def _on_carrier(self, session: AsyncSession, message: object) -> bool:
        if isinstance(message, Media):
            if message.track in ("inbound", "inbound_track"):
                self._frames_in += 1
                data = self._inbound.convert(message.payload)
                if data:
                    session.send_audio(data)
        elif isinstance(message, Mark):
            for heard in self.playout.on_mark(message.name):
                self.tracker.on_play_ms(heard.item_id, heard.content_index, heard.ms)
                if heard.done:
                    await self._emit(AnswerPlayedEvent(item_id=heard.item_id,
                                                       content_index=heard.content_index))
        elif isinstance(message, Dtmf):
            self._digits += message.digit
            await self._emit(DtmfEvent(digit=message.digit, stream_sid=message.stream_sid))
        elif isinstance(message, Stop):
            return True
        else:
            logger.debug("call %s: ignoring %r", self.stream_sid, message)
        return False

    # ------------------------------------------------------------------ session -> carrier
    async def _from_session(self, session: AsyncSession) -> EndReason:
        loop = asyncio.get_running_loop()
        async for event in session:
            if isinstance(event, AudioEvent):
                self.playout.add(event.item_id, event.content_index,
                                 self._outbound.convert(event.data))
                self._wake.set()
            elif isinstance(event, AudioEndEvent):
                tail = self._outbound.end()
                if tail:
                    self.playout.add(event.item_id, event.content_index, tail)
                self.playout.end_item()
                self._wake.set()
            elif isinstance(event, AudioInterruptedEvent):
                dropped = self.playout.clear(loop.time())
                self._outbound.reset()
                self.tracker.on_interrupted()
                await self._send(Clear(stream_sid=self._sid()))
                self._clears += 1
                await self._emit(CallClearedEvent(item_id=event.item_id,
                                                  heard_ms=event.audio_end_ms,
                                                  dropped_frames=dropped))
            await self._emit(event)
            if isinstance(event, SessionEndedEvent):
                break
        return "session_ended"

    async def _send_frames(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            for out in self.playout.due(loop.time()):
                if isinstance(out, FrameOut):
                    await self._send(OutboundMedia(stream_sid=self._sid(), payload=out.payload))
                else:
                    await self._send(Mark(stream_sid=self._sid(), name=out.name))
            self._wake.clear()
            now = loop.time()
            next_at = self.playout.next_due(now)
            if next_at is None:
                await self._wake.wait()
            elif next_at > now:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), next_at - now)

    async def _send(self, message: OutboundMedia | Mark | Clear) -> None:
        try:
            await self.socket.send(encode(message))
        except websockets.ConnectionClosed:
            logger.debug("call %s: socket closed; %s not sent", self.stream_sid,
                         type(message).__name__)

    def _sid(self) -> str:
        assert self.stream_sid is not None
        return self.stream_sid

    async def _emit(self, event: CallEvent | SessionEvent) -> None:
        if self.on_event is None:
            return
        try:
            result = self.on_event(self, event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("call %s: the on_event hook raised on %s", self.stream_sid,
                             type(event).__name__)


_PCMU = SessionModelSettings(input_audio_format="audio/pcmu", output_audio_format="audio/pcmu")

