"""A simulated carrier: dials a bridge over a real WebSocket and behaves like Twilio.

It speaks the caller's side of Media Streams: ``connected`` and ``start``, then a microphone
that sends a 20 ms μ-law frame in real time (the words you :meth:`~SimulatedCarrier.say`,
synthesized by the simulator's speech codec, else silence), and a speaker that plays the
bridge's frames in real time and reports each mark as its audio finishes playing. ``clear``
empties the speaker and reports the marks it held (as Twilio does). :meth:`barge_in` stops the
speaker after some marks (the caller talks over the answer; nothing more is heard) and says
something. Everything is recorded for tests: the bridge's messages in order, the marks
reported, the audio heard.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

import attrs
from websockets import ConnectionClosed
from websockets.asyncio.client import ClientConnection, connect

from ..audio.pcm import ulaw_decode, ulaw_encode
from ..simulator.speech_codec import decode, synthesize
from .messages import (
    Clear,
    Connected,
    Dtmf,
    Mark,
    Media,
    OutboundMedia,
    Start,
    Stop,
    encode,
    parse_bridge_message,
)

logger = logging.getLogger(__name__)

FRAME_BYTES = 160
FRAME_S = 0.02
SILENCE = b"\xff" * FRAME_BYTES
"""20 ms of μ-law silence."""
PAUSE_MS = 800
"""Silence queued after each utterance, so the server's VAD ends the turn."""


class SimulatedCarrier:
    """One simulated phone call to a bridge (use ``async with SimulatedCarrier.dial(url)``)."""

    def __init__(self, socket: ClientConnection, stream_sid: str, speed: float) -> None:
        self.socket = socket
        self.stream_sid = stream_sid
        self.speed = speed
        self.received: list[Any] = []
        """Every message from the bridge, parsed, in order."""
        self.marks_played: list[str] = []
        """Marks reported played, in order (those echoed by a ``clear`` are not here)."""
        self.heard = bytearray()
        """All μ-law audio the speaker played."""
        self.heard_at_barge_in: int | None = None
        """Bytes of the current answer played when :meth:`barge_in` stopped the speaker."""
        self._answer_start = 0
        self._speaker: collections.deque[bytes | str] = collections.deque()
        self._mic: collections.deque[bytes] = collections.deque()
        self._frozen = False
        self._changed = asyncio.Condition()
        self._sequence = 0
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def dial(cls, url: str, *, stream_sid: str = "MZsimulated0001",
                   call_sid: str = "CAsimulated0001", speed: float = 1.0,
                   custom_parameters: dict[str, str] | None = None) -> Any:
        """Connect, send ``connected`` and ``start``, run the microphone and speaker; hang up
        (``stop``) when the block ends."""
        async with connect(url) as socket:
            call = cls(socket, stream_sid, speed)
            await call._send(Connected())
            await call._send(Start(stream_sid=stream_sid, call_sid=call_sid,
                                   custom_parameters=custom_parameters or {}))
            call._tasks = [asyncio.create_task(call._microphone()),
                           asyncio.create_task(call._receive()),
                           asyncio.create_task(call._play())]
            try:
                yield call
            finally:
                await call.hang_up()

    async def _send(self, message: Any) -> None:
        self._sequence += 1
        if hasattr(message, "sequence_number"):
            message = attrs.evolve(message, sequence_number=self._sequence)
        await self.socket.send(encode(message))

    # ------------------------------------------------------------------ caller actions
    def say(self, text: str) -> None:
        """Queue ``text`` as codec speech on the microphone, followed by a pause."""
        speech = ulaw_encode(synthesize(text, 8000))
        speech += b"\xff" * (PAUSE_MS * 8)
        for start in range(0, len(speech), FRAME_BYTES):
            self._mic.append(speech[start:start + FRAME_BYTES].ljust(FRAME_BYTES, b"\xff"))

    async def press(self, digit: str) -> None:
        """Send a DTMF key press."""
        await self._send(Dtmf(stream_sid=self.stream_sid, digit=digit))

    async def hear_answer(self, timeout: float) -> str:
        """Wait until the audio played since the last answer decodes as one utterance;
        returns its text."""
        async def heard_text() -> str:
            async with self._changed:
                while (text := self.heard_text()) is None:
                    await self._changed.wait()
                return text
        return await asyncio.wait_for(heard_text(), timeout)

    def heard_text(self) -> str | None:
        """The codec speech heard since the last answer, if it decodes (then the next
        answer starts here)."""
        audio = bytes(self.heard[self._answer_start:])
        text = decode(ulaw_decode(audio), 8000) if audio else None
        if text is not None:
            self._answer_start = len(self.heard)
        return text

    async def barge_in(self, text: str, *, after_marks: int, timeout: float) -> int:
        """Once ``after_marks`` more marks have played, stop the speaker and say ``text``;
        returns the milliseconds of the answer heard (the truncation point to expect)."""
        async with self._changed:
            target = len(self.marks_played) + after_marks
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(self.marks_played) >= target), timeout)
            self._frozen = True
            self.heard_at_barge_in = len(self.heard) - self._answer_start
        self.say(text)
        return self.heard_at_barge_in // 8

    async def wait_clear(self, timeout: float) -> None:
        """Wait for the bridge's ``clear``; the speaker plays again after it."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: any(isinstance(m, Clear) for m in self.received)), timeout)

    async def hang_up(self) -> None:
        """Send ``stop`` and close (idempotent)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(ConnectionClosed):
            await self._send(Stop(stream_sid=self.stream_sid))
        await self.socket.close()
        for result in results:  # a failure of the microphone or speaker is the test's
            if isinstance(result, Exception) and not isinstance(result, ConnectionClosed):
                raise result

    # ------------------------------------------------------------------ loops
    async def _microphone(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        chunk = 0
        while True:
            payload = self._mic.popleft() if self._mic else SILENCE
            chunk += 1
            await self._send(Media(stream_sid=self.stream_sid, payload=payload, chunk=chunk,
                                   timestamp=chunk * 20))
            next_at += FRAME_S / self.speed
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def _receive(self) -> None:
        async for frame in self.socket:
            message = parse_bridge_message(frame)
            async with self._changed:
                self.received.append(message)
                if isinstance(message, OutboundMedia):
                    self._speaker.append(message.payload)
                elif isinstance(message, Mark):
                    self._speaker.append(message.name)
                elif isinstance(message, Clear):
                    echoed = [x for x in self._speaker if isinstance(x, str)]
                    self._speaker.clear()
                    self._frozen = False
                    self._answer_start = len(self.heard)
                    for name in echoed:  # Twilio reports the marks a clear removed
                        await self._send(Mark(stream_sid=self.stream_sid, name=name))
                self._changed.notify_all()

    async def _play(self) -> None:
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._speaker) and not self._frozen)
                head = self._speaker.popleft()
                if isinstance(head, str):
                    self.marks_played.append(head)
                    await self._send(Mark(stream_sid=self.stream_sid, name=head))
                    self._changed.notify_all()
                    continue
            await asyncio.sleep(len(head) / 8000 / self.speed)
            async with self._changed:
                self.heard += head
                self._changed.notify_all()
