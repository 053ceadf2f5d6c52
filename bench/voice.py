"""Measurement 5, voice: end of input -> first audio event, minus the simulator's own time.

The embedded simulator runs in its own process (``python -m realtime_actors.simulator``);
see :mod:`client_voice` for what is timed.
"""

from __future__ import annotations

from typing import Any

from common import BenchError, repeat_summary
from context import Context, lib_cmd
from launch import rest_url as simulator_rest_url
from launch import run_client, simulator


def command(rest_url: str, reps: int) -> list[str]:
    """The voice client command."""
    return lib_cmd("client_voice.py", "--rest-url", rest_url, "--reps", str(reps))


def measure(ctx: Context) -> dict[str, Any]:
    """Run the voice measurement; returns its section of results.json."""
    reps = 3 if ctx.quick else 9
    ctx.log(f"voice: {reps} reps against the simulator")
    with simulator() as sim:
        try:
            result = run_client(command(simulator_rest_url(sim), reps), server=sim)
        except BenchError as exc:
            ctx.log(f"  voice failed: {exc}")
            return {"error": str(exc)}
    runs = result["runs"]
    return {
        "reps": reps,
        "overhead_ms": repeat_summary(r["overhead_ms"] for r in runs),
        "first_audio_ms": repeat_summary(r["first_audio_ms"] for r in runs),
        "bare_stt_plus_tts_ms": repeat_summary(r["bare_stt_ms"] + r["bare_tts_first_ms"]
                                               for r in runs),
        "overhead_vs_new_connections_ms": repeat_summary(r["overhead_vs_new_conn_ms"]
                                                         for r in runs),
        "first_sentence": result["first_sentence"],
        "cpu": result["cpu"],
        "runs": runs,
    }
