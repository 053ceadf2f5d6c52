"""The bare client: a websocket-client loop with no framework (the limit on this machine).

It does the minimum any client must do with each frame: receive it, ``json.loads`` it and
base64-decode the audio of deltas. Same socket options as the library
(``skip_utf8_validation``). Modes: ``ingest``, ``latency`` and ``send``; prints one result line.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys

import websocket
from common import BENCH_KEY, BYTES_PER_MS, emit_result, latency_summary, now_ns, read_stamp

DELTA = "response.output_audio.delta"
SESSION_UPDATE = {"type": "session.update",
                  "session": {"type": "realtime", "output_modalities": ["audio"]}}


def connect(url: str) -> websocket.WebSocket:
    """Open the socket the way the library does."""
    ws = websocket.WebSocket(skip_utf8_validation=True, enable_multithread=True)
    ws.connect(url, header=[f"Authorization: Bearer {BENCH_KEY}"], timeout=10,
               suppress_origin=True)
    ws.settimeout(30)
    return ws


def receive_response(ws: websocket.WebSocket, skip: int) -> tuple[int, int, int, list[int]]:
    """Receive until ``response.done``: (deltas, first ns, last ns, latencies ns)."""
    count = 0
    first = last = 0
    latencies: list[int] = []
    while True:
        event = json.loads(ws.recv())
        kind = event["type"]
        if kind == DELTA:
            pcm = base64.b64decode(event["delta"])
            last = now_ns()
            if count == 0:
                first = last
            if count >= skip:
                latencies.append(last - read_stamp(pcm))
            count += 1
        elif kind == "response.done":
            return count, first, last, latencies
        elif kind == "error":
            print(f"server error: {event['error']}", file=sys.stderr)


def ingest(url: str) -> dict[str, object]:
    """Events per second of one flood, first delta to last."""
    ws = connect(url)
    try:
        ws.send(json.dumps(SESSION_UPDATE))
        count, first, last, _ = receive_response(ws, skip=sys.maxsize)
    finally:
        ws.close()
    rate = (count - 1) / ((last - first) / 1e9) if count > 1 and last > first else 0.0
    return {"events": count, "events_per_s": rate}


def latency(url: str, skip: int) -> dict[str, object]:
    """Send -> receipt latency of a paced stream."""
    ws = connect(url)
    try:
        ws.send(json.dumps(SESSION_UPDATE))
        count, _, _, latencies = receive_response(ws, skip=skip)
    finally:
        ws.close()
    return {"events": count, **latency_summary(latencies)}


def send(url: str, audio_s: float, chunk_ms: int) -> dict[str, object]:
    """Seconds of audio appended per second, until the server confirms the commit."""
    ws = connect(url)
    try:
        ws.send(json.dumps(SESSION_UPDATE))
        chunk = bytes(chunk_ms * BYTES_PER_MS)
        chunks = int(audio_s * 1000 / chunk_ms)
        while json.loads(ws.recv())["type"] != "session.updated":
            pass
        t0 = now_ns()
        for _ in range(chunks):
            ws.send(json.dumps({"type": "input_audio_buffer.append",
                                "audio": base64.b64encode(chunk).decode("ascii")}))
        ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
        while True:
            event = json.loads(ws.recv())
            if event["type"] == "input_audio_buffer.committed":
                break
        t1 = now_ns()
    finally:
        ws.close()
    received = int(event["event_id"].removeprefix("event_n"))
    expected = chunks * len(chunk)
    if received != expected:
        raise RuntimeError(f"server got {received} bytes of audio, {expected} were sent")
    return {"audio_s": chunks * chunk_ms / 1000, "wall_s": (t1 - t0) / 1e9,
            "audio_s_per_s": chunks * chunk_ms / 1000 / ((t1 - t0) / 1e9)}


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("ingest", "latency", "send"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--skip", type=int, default=10, help="latency: warm-up events ignored")
    parser.add_argument("--audio-s", type=float, default=30.0)
    parser.add_argument("--chunk-ms", type=int, default=20)
    args = parser.parse_args()
    if args.mode == "ingest":
        result = ingest(args.url)
    elif args.mode == "latency":
        result = latency(args.url, args.skip)
    else:
        result = send(args.url, args.audio_s, args.chunk_ms)
    emit_result({"client": "bare", "mode": args.mode, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
