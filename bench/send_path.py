"""Measurement 4, send path: seconds of audio appended per second of wall time.

Each client appends 20 ms PCM16 chunks as fast as its API allows, then commits; the clock
stops when the server's ``input_audio_buffer.committed`` (which carries the byte count it
received, checked by the client) is back.
"""

from __future__ import annotations

from typing import Any

from context import Context, lib_cmd, other_load, ratio, sdk_cmd, side_by_side, summary
from launch import bench_server, server_url

CHUNK_MS = 20


def measure(ctx: Context) -> dict[str, Any]:
    """Run the send-path comparison; returns its section of results.json."""
    audio_s = 20 if ctx.quick else 60
    with bench_server() as server:
        url = f"{server_url(server)}?mode=sink"
        args = ("send", "--audio-s", str(audio_s), "--chunk-ms", str(CHUNK_MS), "--url", url)
        commands = {
            "bare": lib_cmd("client_bare.py", *args),
            "lib": lib_cmd("client_lib.py", *args),
        }
        if ctx.sdk:
            commands["sdk"] = sdk_cmd(*args)
        ctx.log(f"send path: {audio_s}s of audio in {CHUNK_MS} ms chunks x {ctx.reps} reps")
        runs = side_by_side(ctx, server, commands, ctx.reps)
    return {
        "audio_s": audio_s, "chunk_ms": CHUNK_MS,
        "audio_s_per_s": {name: summary(r, "audio_s_per_s") for name, r in runs.items()},
        "ratio_to_bare": {name: ratio(r, runs["bare"], "audio_s_per_s")
                          for name, r in runs.items() if name != "bare"},
        "other_load_cores": other_load(runs),
        "runs": runs,
    }
