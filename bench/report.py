"""bench/RESULTS.md from results.json: the table, the machine, the targets, what limits them.

The "what limits the figure" paragraphs combine the profile digests of this run with the
hand-written interpretation kept in ``bench/NOTES.md`` (one ``## <target key>`` section per
target), so re-running the bench refreshes every number without losing the analysis.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cluster

NOTES = Path(__file__).resolve().parent / "NOTES.md"
PROFILE_OF = {"latency_p50": "latency", "latency_p99": "latency",
              "memory_per_session": "concurrency"}
"""Targets that share the profile of another workload."""


def _num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _fig(node: Mapping[str, Any] | None, digits: int = 1) -> str:
    """``median (min-max)`` of a repeat summary."""
    if not node or node.get("median") is None:
        return "n/a"
    med, lo, hi = node["median"], node["min"], node["max"]
    if len(node.get("runs", [])) <= 1 or lo == hi:
        return _num(med, digits)
    return f"{_num(med, digits)} ({_num(lo, digits)}-{_num(hi, digits)})"


def _get(data: Mapping[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _notes() -> dict[str, str]:
    if not NOTES.exists():
        return {}
    sections: dict[str, str] = {}
    current = None
    for line in NOTES.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^## (\w+)\s*$", line)
        if match:
            current = match.group(1)
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return {k: v.strip() for k, v in sections.items()}


def _summary_rows(r: Mapping[str, Any]) -> list[str]:
    ing, lat, con = r.get("ingest", {}), r.get("latency", {}), r.get("concurrency", {})
    snd, voi = r.get("send_path", {}), r.get("voice", {})
    rows = [
        ("Ingest, 40 ms deltas/s to the app", _fig(_get(ing, "events_per_s", "lib"), 0),
         _fig(_get(ing, "events_per_s", "bare"), 0), _fig(_get(ing, "events_per_s", "sdk"), 0),
         _fig(_get(ing, "ratio_to_bare", "lib"), 2), _fig(_get(ing, "ratio_to_bare", "sdk"), 2),
         ">= 1.0x bare"),
        ("Ingest, lib with `raw_events=True`", _fig(_get(ing, "events_per_s", "lib_raw"), 0),
         "", "", _fig(_get(ing, "ratio_to_bare", "lib_raw"), 2), "", ""),
        ("One stream at 50/s, p50 ms", _fig(_get(lat, "p50_ms", "lib"), 2),
         _fig(_get(lat, "p50_ms", "bare"), 2), _fig(_get(lat, "p50_ms", "sdk"), 2), "", "",
         "<= 0.3 ms"),
        ("One stream at 50/s, p99 ms", _fig(_get(lat, "p99_ms", "lib"), 2),
         _fig(_get(lat, "p99_ms", "bare"), 2), _fig(_get(lat, "p99_ms", "sdk"), 2), "", "",
         "<= 0.7 ms"),
        ("Real-time sessions, p99 < 50 ms", _num(_get(con, "lib", "max_sessions"), 0), "",
         _num(_get(con, "sdk", "max_sessions"), 0), "", "", ">= 300 and 1.2x SDK (aim 500)"),
        ("... lib, feeders on the reactor (as the SDK's on its loop)",
         _num(_get(con, "lib_reactor_feeder", "max_sessions"), 0), "",
         _num(_get(con, "sdk", "max_sessions"), 0), "", "", ""),
        ("... lib with `event_buffer=0` (servers)",
         _num(_get(con, "lib_lean", "max_sessions"), 0), "", "", "", "", ""),
        ("p99 ms at that many sessions", _fig(_get(con, "lib", "p99_ms_at_max"), 1), "",
         _fig(_get(con, "sdk", "p99_ms_at_max"), 1), "", "", "< 50 ms"),
        ("Resident memory per session, KB (default `RunConfig`)",
         _fig(_get(con, "lib", "rss_per_session_kb"), 0),
         "", _fig(_get(con, "sdk", "rss_per_session_kb"), 0), "", "", "<= 100 KB"),
        ("... lib with `event_buffer=0` (servers)",
         _fig(_get(con, "lib_lean", "rss_per_session_kb"), 0), "", "", "", "", ""),
        ("Process base, MB", _fig(_get(con, "lib", "base_rss_mb"), 0), "",
         _fig(_get(con, "sdk", "base_rss_mb"), 0), "", "", "< 60 MB"),
        ("OS threads per session", _fig(_get(con, "lib", "threads_per_session"), 2), "",
         _fig(_get(con, "sdk", "threads_per_session"), 2), "", "", ""),
        ("Send path, s of audio per s (20 ms chunks)", _fig(_get(snd, "audio_s_per_s", "lib"), 0),
         _fig(_get(snd, "audio_s_per_s", "bare"), 0), _fig(_get(snd, "audio_s_per_s", "sdk"), 0),
         _fig(_get(snd, "ratio_to_bare", "lib"), 2), _fig(_get(snd, "ratio_to_bare", "sdk"), 2),
         ">= SDK"),
        ("Voice: end of input -> first audio, overhead ms", _fig(_get(voi, "overhead_ms"), 1),
         "", "", "", "", "<= 2 ms"),
        ("Voice: first audio ms (simulator STT+TTS ms)", _fig(_get(voi, "first_audio_ms"), 1),
         _fig(_get(voi, "bare_stt_plus_tts_ms"), 1), "", "", "", ""),
    ]
    lines = ["| Figure | realtime-actors | bare loop | Agents SDK | lib / bare | SDK / bare "
             "| Target |", "|---|---:|---:|---:|---:|---:|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _target_rows(checks: list[Mapping[str, Any]]) -> list[str]:
    lines = ["| Target | Figure | Bound | Met |", "|---|---:|---:|---|"]
    for c in checks:
        op = ">=" if c["higher_is_better"] else "<="
        met = {True: "met", False: "**missed**", None: "not measured"}[c["met"]]
        lines.append(f"| {c['label']} | {_num(c['value'], 2)} {c['unit']} | {op} "
                     f"{_num(c['bound'], 2)} {c['unit']} | {met} |")
    return lines


def _machine_rows(r: Mapping[str, Any]) -> list[str]:
    m, v = r.get("machine", {}), r.get("versions", {})
    items = [
        ("CPU", f"{m.get('cpu_model', '?')}, {m.get('cores')} cores "
                f"({m.get('usable_cores')} usable), {m.get('memory_gb')} GB RAM"),
        ("OS", m.get("os", "?")),
        ("Python", f"{m.get('python_impl', '')} {m.get('python', '?')}"),
        ("realtime-actors", f"{v.get('realtime_actors', '?')} at {v.get('git', '?')}"),
        ("Client libraries", ", ".join(f"{k} {v[k]}" for k in ("pykka", "websocket-client",
                                                                 "websockets", "numpy")
                                       if k in v)),
        ("Agents SDK venv", r.get("sdk_note") or ", ".join(
            f"{k} {val}" for k, val in v.get("agents_venv", {}).items())),
        ("Frames", f"GA shapes checked against openai {_get(r, 'frames', 'openai_version')} "
                   f"and the project's parser: {len(_get(r, 'frames', 'validated_types') or [])}"
                   " event types"),
        ("Run", f"{r.get('mode')} mode, {r.get('date')}, {_num(r.get('duration_s'), 0)} s; "
                f"other processes used {_num(r.get('other_load_cores'), 2)} cores on average"
                + (f" ({r['rerun']})" if r.get("rerun") else "")),
    ]
    return ["| | |", "|---|---|"] + [f"| {k} | {val} |" for k, val in items]


def _profile_text(profile: Mapping[str, Any]) -> str:
    if "error" in profile:
        return f"(no profile: {profile['error']})"
    if profile.get("samples", 0) < 20:
        return (f"only {profile.get('samples', 0)} samples of running threads: the process is "
                "idle between events, so there is no CPU work to attribute.")
    threads = ", ".join(f"{n} {p}%" for n, p in profile["threads"][:6])
    own = ", ".join(f"`{n}` {p}%" for n, p in profile["own"][:10])
    inclusive = ", ".join(f"`{n}` {p}%" for n, p in profile["inclusive"][:14]
                          if not n.startswith(("Thread.", "Actor._actor_loop")))
    return (f"py-spy at {profile.get('rate_hz', '?')} Hz, {profile['samples']} samples of "
            "running threads (waits left out). "
            f"By thread: {threads}. Own time: {own}. Inclusive (library, pykka, sockets): "
            f"{inclusive}.")


def render(r: Mapping[str, Any]) -> str:
    """The Markdown report."""
    notes = _notes()
    checks = r.get("targets", [])
    out = ["# Benchmark results", "",
           "Written by `bench/run.py` (`make bench`); re-run with `.venv/bin/python bench/run.py`"
           " (`--quick` for a short pass). Every comparison ran side by side in the same run; "
           "each figure is the median of the repetitions, with the range in brackets. The "
           "server (`bench/server.py`, or the embedded simulator for the voice figure) runs in "
           "its own process and every client in another.", "",
           "## Machine", "", *_machine_rows(r), "",
           "## Figures", "", *_summary_rows(r), "",
           "Targets are those of issue 13 (the reactor): real-time sessions at least 300 and "
           "1.2x the SDK's in the same run, reported with the bench's feeders as threads and "
           "as quick actors on the reactor (as the SDK's feeder runs on its loop); send path "
           "at least the SDK's; ingest at least the bare loop; one stream p50 <= 0.3 ms and "
           "p99 <= 0.7 ms; <= 100 KB per session with the default RunConfig; base < 60 MB; "
           "voice overhead <= 2 ms.", "",
           "## Targets", "", *_target_rows(checks), "", *cluster.rows(r)]
    missed = [c for c in checks if c["met"] is False]
    out += ["## What limits the figure", ""]
    if not missed:
        out += ["Every target was met in this run.", ""]
    for c in missed:
        out += [f"### {c['label']} ({_num(c['value'], 2)} {c['unit']})", ""]
        profile = _get(r, "profiles", PROFILE_OF.get(c["key"], c["key"]))
        if profile:
            out += [f"Profile of `{profile.get('what', '?')}`: "
                    + _profile_text(profile.get("profile", {})), ""]
        note = notes.get(c["key"])
        if note:
            out += [note, ""]
        elif not profile:
            out += ["(no profile was taken for this figure in this run)", ""]
    general = notes.get("general")
    if general:
        out += ["## Notes", "", general, ""]
    out += ["## Method", "", *_method_lines(r), ""]
    return "\n".join(out)


def _method_lines(r: Mapping[str, Any]) -> list[str]:
    ing, lat, con = r.get("ingest", {}), r.get("latency", {}), r.get("concurrency", {})
    snd, voi = r.get("send_path", {}), r.get("voice", {})
    return [
        f"- Ingest: the bench server floods one connection with {ing.get('deltas', '?')} "
        f"deltas of {ing.get('delta_ms', '?')} ms (GA `response.output_audio.delta`, inside a "
        "full response); the rate is counted first delta to last where the application gets "
        "them: after `json.loads` and base64 decoding (bare), in a subscriber actor's "
        "`on_receive` (library), out of `async for event in session` (SDK).",
        f"- Latency: {lat.get('rate', '?')} deltas/s for {lat.get('secs', '?')} s; the server "
        "stamps `time.monotonic_ns()` into the first PCM bytes right before sending; the client "
        "reads it at the same points as above. First 10 events are warm-up.",
        f"- Concurrency: {con.get('rate', '?')} deltas/s of {con.get('delta_ms', '?')} ms to "
        f"each session, the client appending {con.get('append_chunk_ms', '?')} ms chunks at "
        "real time (library: `Session.send_audio` from feeder threads, 10 sessions each; "
        "SDK: one task per session); one subscriber actor per library session (an "
        "`rt.PooledActor`, as the README recommends for servers); starts spread over 1 s "
        "with random phase; 1 s to settle, then the measurement window. Library sessions run "
        "with the default `RunConfig` (they have subscribers and nobody reads "
        "`Session.events()`, whose buffer then keeps no audio and at most 16 KiB of other "
        "events), and again with "
        "`event_buffer=0` (no buffer) in a full run. Memory and threads "
        "are read from `/proc` in the middle of the window; per-session figures exclude the "
        "bench's own feeder threads from the thread count but not the subscribers' memory; "
        "the library's threads (I/O hub, actor pool) are shared by all sessions.",
        f"- Send path: {snd.get('audio_s', '?')} s of audio in {snd.get('chunk_ms', '?')} ms "
        "chunks, then a commit; timed until `input_audio_buffer.committed` (which reports the "
        "bytes the server got, checked) is back.",
        f"- Voice: {voi.get('reps', '?')} runs; see `bench/client_voice.py`. Overhead = "
        "pipeline time to the first audio event minus (transcription + speech of the first "
        "sentence to its first chunk) timed by a bare keep-alive `requests` client on the same "
        "simulator, alternately.",
    ]


def write(results: Mapping[str, Any], path: Path) -> None:
    """Write RESULTS.md."""
    path.write_text(render(results), encoding="utf-8")
