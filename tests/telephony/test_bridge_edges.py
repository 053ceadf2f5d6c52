"""The bridge's edges over real sockets: a stream that does not start with ``start``, a
malformed message mid-call, a session that ends by itself, a caller who hangs up."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets import ConnectionClosed
from websockets.asyncio.client import connect

import realtime_actors as rt
from realtime_actors.simulator import Scenario, Simulator
from realtime_actors.telephony import BridgeServer, Connected, Media, Start, encode

WAIT_S = 15.0


def _server(url: str, key: str = "sk-local", **kwargs: Any) -> BridgeServer:
    return BridgeServer(rt.agent("Front", instructions="Answer."),
                        model_config=rt.ModelConfig(url=url, api_key=key), **kwargs)


async def _closed_with(socket: Any) -> tuple[int | None, str | None]:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(socket.recv(), WAIT_S)
    return socket.close_code, socket.close_reason


def test_media_before_start_is_refused_with_a_protocol_close(sim: Simulator) -> None:
    async def main() -> tuple[int | None, str | None, int]:
        async with _server(sim.ws_url) as server:
            async with connect(server.url) as socket:
                await socket.send(encode(Connected()))
                await socket.send(encode(Media(stream_sid="MZ1", payload=b"\xff" * 160)))
                code, reason = await _closed_with(socket)
            return code, reason, len(server.summaries)

    code, reason, calls = asyncio.run(main())
    assert (code, reason) == (1002, "expected 'start' before 'media'")
    assert calls == 0
    assert sim.connections == []  # no session was started


def test_a_wrong_path_is_refused(sim: Simulator) -> None:
    async def main() -> tuple[int | None, str | None]:
        async with _server(sim.ws_url) as server:
            async with connect(server.url.replace("/media-stream", "/other")) as socket:
                return await _closed_with(socket)

    code, reason = asyncio.run(main())
    assert code == 1008 and reason is not None and "/media-stream" in reason


def test_a_malformed_message_mid_call_is_logged_and_skipped_then_hang_up(
        sim: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> Any:
        async with _server(sim.ws_url) as server:
            async with connect(server.url) as socket:
                await socket.send(encode(Start(stream_sid="MZ1")))
                await socket.send(json.dumps({"event": "media", "streamSid": "MZ1",
                                              "media": {"payload": "%%%"}}))
                await socket.send(encode(Media(stream_sid="MZ1", payload=b"\xff" * 160)))
            return (await server.wait_calls(1, WAIT_S))[0]  # closed without 'stop'

    summary = asyncio.run(main())
    assert summary.ended_by == "hangup" and summary.frames_in == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"
                and r.name == "realtime_actors.telephony.bridge"]
    assert warnings == ["call MZ1: ignoring a malformed carrier message: media: 'payload' "
                        "is not valid base64"]


def test_a_session_that_ends_by_itself_ends_the_call() -> None:
    async def main(url: str) -> tuple[Any, int | None]:
        async with _server(url, key="sk-wrong") as server:
            async with connect(server.url) as socket:
                await socket.send(encode(Start(stream_sid="MZ2")))
                code, _ = await _closed_with(socket)
            return (await server.wait_calls(1, WAIT_S))[0], code

    with Simulator(Scenario(api_keys=frozenset({"sk-right"}))) as sim:
        summary, code = asyncio.run(main(sim.ws_url))
    assert summary.ended_by == "session_ended" and summary.stream_sid == "MZ2"
    assert code == 1000
