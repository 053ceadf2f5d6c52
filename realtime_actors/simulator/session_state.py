"""The effective session of one simulated connection and validation of ``session.update``.

Sans-I/O: sessions are plain wire-shaped dicts; a rejected update raises
:class:`~realtime_actors.simulator.errors.ClientEventError` with the GA error code and param.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ClientEventError, invalid_type, invalid_value, missing_parameter
from .errors import unknown_parameter as unknown

DEFAULT_INSTRUCTIONS = (
    "Your knowledge cutoff is 2023-10. You are a helpful, witty, and friendly AI. "
    "Act like a human, but remember that you aren't a human and that you can't do human "
    "things in the real world."
)
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")
FORMAT_TYPES = ("audio/pcm", "audio/pcmu", "audio/pcma")
MODALITIES = (["audio"], ["text"])
EAGERNESS = ("low", "medium", "high", "auto")
TRANSCRIPTION_MODELS = (
    "whisper-1", "gpt-transcribe", "gpt-live-transcribe", "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15", "gpt-4o-transcribe", "gpt-4o-transcribe-diarize",
    "gpt-realtime-whisper",
)
DELAYS = ("minimal", "low", "medium", "high", "xhigh")
TOOL_CHOICES = ("none", "auto", "required")
SESSION_KEYS = frozenset({
    "type", "model", "instructions", "output_modalities", "audio", "include", "tracing", "tools",
    "tool_choice", "parallel_tool_calls", "reasoning", "max_output_tokens", "truncation", "prompt",
})
TRANSCRIPTION_SESSION_KEYS = frozenset({"type", "audio", "include"})
READ_ONLY_KEYS = frozenset({"id", "object", "expires_at"})
SERVER_VAD_KEYS = frozenset({
    "type", "threshold", "prefix_padding_ms", "silence_duration_ms", "create_response",
    "interrupt_response", "idle_timeout_ms",
})
SEMANTIC_VAD_KEYS = frozenset({"type", "eagerness", "create_response", "interrupt_response"})
TRANSCRIPTION_KEYS = frozenset({"model", "language", "languages", "keywords", "prompt", "delay"})
PCM_FORMAT = {"type": "audio/pcm", "rate": 24000}


def default_turn_detection() -> dict[str, Any]:
    """The server VAD configuration of a new session (0.5 / 300 / 200 ms)."""
    return {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }


def default_session(
    *, session_id: str, model: str, expires_at: int, session_type: str = "realtime"
) -> dict[str, Any]:
    """The full default session sent in ``session.created``."""
    audio_input = {
        "format": dict(PCM_FORMAT),
        "transcription": None,
        "noise_reduction": None,
        "turn_detection": default_turn_detection(),
    }
    if session_type == "transcription":
        return {
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": session_id,
            "expires_at": expires_at,
            "audio": {"input": audio_input},
            "include": None,
        }
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": expires_at,
        "audio": {
            "input": audio_input,
            "output": {"format": dict(PCM_FORMAT), "voice": "alloy", "speed": 1.0},
        },
        "include": None,
    }


def _check_keys(value: Any, allowed: frozenset[str], param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_type(param, value, "an object")
    for key in value:
        if key not in allowed:
            raise unknown(f"{param}.{key}")
    return value


def validate_format(value: Any, param: str) -> dict[str, Any]:
    """Validate an audio format object; returns its normalised form."""
    fmt = _check_keys(value, frozenset({"type", "rate"}), param)
    if "type" not in fmt:
        raise missing_parameter(f"{param}.type")
    if fmt["type"] not in FORMAT_TYPES:
        raise invalid_value(f"{param}.type", fmt["type"], FORMAT_TYPES)
    if fmt["type"] == "audio/pcm":
        if fmt.get("rate", 24000) != 24000:
            raise invalid_value(f"{param}.rate", fmt.get("rate"), (24000,))
        return dict(PCM_FORMAT)
    if "rate" in fmt:
        raise unknown(f"{param}.rate")
    return {"type": fmt["type"]}


def validate_voice(value: Any, param: str) -> Any:
    """Validate a voice name or custom voice ``{"id": ...}``."""
    if isinstance(value, dict):
        _check_keys(value, frozenset({"id"}), param)
        if not isinstance(value.get("id"), str):
            raise missing_parameter(f"{param}.id")
        return dict(value)
    if value not in VOICES:
        raise invalid_value(param, value, VOICES)
    return value


def validate_modalities(value: Any, param: str) -> list[str]:
    """Validate ``output_modalities``: exactly ``["audio"]`` or ``["text"]``."""
    if value not in MODALITIES:
        raise ClientEventError(
            "invalid_value",
            f"Invalid value: {value!r}. Supported values are: ['audio'] or ['text'] "
            "(exactly one output modality; audio responses include a transcript).",
            param=param,
        )
    return list(value)


def _turn_detection(value: Any, current: Any, param: str) -> Any:
    if value is None:
        return None
    td = _check_keys(value, SERVER_VAD_KEYS | SEMANTIC_VAD_KEYS, param)
    kind = td.get("type", current.get("type") if isinstance(current, dict) else None)
    if kind is None:
        raise missing_parameter(f"{param}.type")
    if kind == "server_vad":
        _check_keys(td, SERVER_VAD_KEYS, param)
        out = default_turn_detection()
        if isinstance(current, dict) and current.get("type") == "server_vad":
            out.update(current)
        out.update(td)
        threshold = out["threshold"]
        if not isinstance(threshold, int | float) or not 0.0 <= threshold <= 1.0:
            raise invalid_value(f"{param}.threshold", threshold)
        for key in ("prefix_padding_ms", "silence_duration_ms"):
            if not isinstance(out[key], int) or out[key] < 0:
                raise invalid_value(f"{param}.{key}", out[key])
        idle = out["idle_timeout_ms"]
        if idle is not None and (not isinstance(idle, int) or not 5000 <= idle <= 30000):
            raise invalid_value(f"{param}.idle_timeout_ms", idle)
        return out
    if kind == "semantic_vad":
        _check_keys(td, SEMANTIC_VAD_KEYS, param)
        out = {"type": "semantic_vad", "eagerness": "auto", "create_response": True,
               "interrupt_response": True}
        if isinstance(current, dict) and current.get("type") == "semantic_vad":
            out.update(current)
        out.update(td)
        if out["eagerness"] not in EAGERNESS:
            raise invalid_value(f"{param}.eagerness", out["eagerness"], EAGERNESS)
        return out
    raise invalid_value(f"{param}.type", kind, ("server_vad", "semantic_vad"))


def _transcription(value: Any, param: str) -> Any:
    if value is None:
        return None
    tr = _check_keys(value, TRANSCRIPTION_KEYS, param)
    if "model" in tr and tr["model"] not in TRANSCRIPTION_MODELS:
        raise invalid_value(f"{param}.model", tr["model"], TRANSCRIPTION_MODELS)
    if "delay" in tr and tr["delay"] not in DELAYS:
        raise invalid_value(f"{param}.delay", tr["delay"], DELAYS)
    return dict(tr)


def _noise_reduction(value: Any, param: str) -> Any:
    if value is None:
        return None
    nr = _check_keys(value, frozenset({"type", "strength"}), param)
    if nr.get("type") not in ("near_field", "far_field"):
        raise invalid_value(f"{param}.type", nr.get("type"), ("near_field", "far_field"))
    return dict(nr)


def _audio(value: Any, current: dict[str, Any], param: str, *, has_output: bool) -> None:
    allowed = frozenset({"input", "output"}) if has_output else frozenset({"input"})
    audio = _check_keys(value, allowed, param)
    if "input" in audio:
        inp = _check_keys(
            audio["input"],
            frozenset({"format", "transcription", "noise_reduction", "turn_detection"}),
            f"{param}.input",
        )
        cur_in = current["input"]
        if "format" in inp:
            cur_in["format"] = validate_format(inp["format"], f"{param}.input.format")
        if "transcription" in inp:
            cur_in["transcription"] = _transcription(
                inp["transcription"], f"{param}.input.transcription"
            )
        if "noise_reduction" in inp:
            cur_in["noise_reduction"] = _noise_reduction(
                inp["noise_reduction"], f"{param}.input.noise_reduction"
            )
        if "turn_detection" in inp:
            cur_in["turn_detection"] = _turn_detection(
                inp["turn_detection"], cur_in["turn_detection"], f"{param}.input.turn_detection"
            )
    if "output" in audio:
        out = _check_keys(
            audio["output"], frozenset({"format", "voice", "speed"}), f"{param}.output"
        )
        cur_out = current["output"]
        if "format" in out:
            cur_out["format"] = validate_format(out["format"], f"{param}.output.format")
        if "voice" in out:
            cur_out["voice"] = validate_voice(out["voice"], f"{param}.output.voice")
        if "speed" in out:
            speed = out["speed"]
            if not isinstance(speed, int | float) or not 0.25 <= speed <= 1.5:
                raise invalid_value(f"{param}.output.speed", speed)
            cur_out["speed"] = float(speed)


def validate_tools(value: Any, param: str) -> list[dict[str, Any]]:
    """Validate a list of function or MCP tools."""
    if not isinstance(value, list):
        raise invalid_type(param, value, "an array")
    tools = []
    for i, tool in enumerate(value):
        p = f"{param}[{i}]"
        if not isinstance(tool, dict):
            raise invalid_type(p, tool, "an object")
        kind = tool.get("type", "function")
        if kind == "function":
            _check_keys(tool, frozenset({"type", "name", "description", "parameters"}), p)
            if not isinstance(tool.get("name"), str) or not tool["name"]:
                raise missing_parameter(f"{p}.name")
            tools.append({"type": "function", **tool})
        elif kind == "mcp":
            if "server_label" not in tool:
                raise missing_parameter(f"{p}.server_label")
            tools.append(dict(tool))
        else:
            raise invalid_value(f"{p}.type", kind, ("function", "mcp"))
    return tools


def validate_tool_choice(value: Any, param: str) -> Any:
    """Validate ``tool_choice``: a mode string or a forced function / MCP tool."""
    if isinstance(value, str):
        if value not in TOOL_CHOICES:
            raise invalid_value(param, value, TOOL_CHOICES)
        return value
    choice = _check_keys(value, frozenset({"type", "name", "server_label"}), param)
    if choice.get("type") not in ("function", "mcp"):
        raise invalid_value(f"{param}.type", choice.get("type"), ("function", "mcp"))
    if not isinstance(choice.get("name"), str):
        raise missing_parameter(f"{param}.name")
    return dict(choice)


def validate_max_tokens(value: Any, param: str) -> Any:
    """Validate ``max_output_tokens``: 1..4096 or ``"inf"``."""
    if value == "inf":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4096:
        raise invalid_value(param, value)
    return value


def apply_session_update(
    current: dict[str, Any], update: Any, *, voice_locked: bool = False
) -> dict[str, Any]:
    """Apply the ``session`` object of a ``session.update``; returns the new effective session.

    Raises :class:`ClientEventError` on any problem; ``current`` is never modified.
    """
    if not isinstance(update, dict):
        raise invalid_type("session", update, "an object")
    if "type" not in update:
        raise missing_parameter("session.type")
    if update["type"] not in ("realtime", "transcription"):
        raise invalid_value("session.type", update["type"], ("realtime", "transcription"))
    if update["type"] != current["type"]:
        raise ClientEventError(
            "invalid_value",
            f"Passing a {update['type']} session update event to a {current['type']} session "
            "is not allowed.",
            param="session.type",
        )
    allowed = SESSION_KEYS if current["type"] == "realtime" else TRANSCRIPTION_SESSION_KEYS
    for key in update:
        if key not in allowed and key not in READ_ONLY_KEYS:
            raise unknown(f"session.{key}")
    new = copy.deepcopy(current)
    if "audio" in update:
        _audio(update["audio"], new["audio"], "session.audio", has_output="output" in new["audio"])
        if voice_locked and new["audio"]["output"]["voice"] != current["audio"]["output"]["voice"]:
            raise ClientEventError(
                "cannot_update_voice",
                "Cannot update a conversation's voice if assistant audio is present.",
                param="session.audio.output.voice",
            )
    if "include" in update:
        inc = update["include"]
        if inc is not None and (
            not isinstance(inc, list)
            or any(x != "item.input_audio_transcription.logprobs" for x in inc)
        ):
            raise invalid_value(
                "session.include", inc, ("item.input_audio_transcription.logprobs",)
            )
        new["include"] = inc
    if current["type"] == "transcription":
        return new
    if "model" in update and update["model"] != current["model"]:
        raise ClientEventError(
            "invalid_value", "Cannot update a session's model.", param="session.model"
        )
    if "instructions" in update:
        if not isinstance(update["instructions"], str):
            raise invalid_type("session.instructions", update["instructions"], "a string")
        new["instructions"] = update["instructions"]
    if "output_modalities" in update:
        new["output_modalities"] = validate_modalities(
            update["output_modalities"], "session.output_modalities"
        )
    if "tools" in update:
        new["tools"] = validate_tools(update["tools"], "session.tools")
    if "tool_choice" in update:
        new["tool_choice"] = validate_tool_choice(update["tool_choice"], "session.tool_choice")
    if "max_output_tokens" in update:
        new["max_output_tokens"] = validate_max_tokens(
            update["max_output_tokens"], "session.max_output_tokens"
        )
    if "truncation" in update:
        trunc = update["truncation"]
        if trunc not in ("auto", "disabled") and not (
            isinstance(trunc, dict) and trunc.get("type") == "retention_ratio"
        ):
            raise invalid_value("session.truncation", trunc, ("auto", "disabled"))
        new["truncation"] = trunc
    if "tracing" in update:
        tracing = update["tracing"]
        if tracing is not None and tracing != "auto" and not isinstance(tracing, dict):
            raise invalid_value("session.tracing", tracing, ("auto",))
        new["tracing"] = tracing
    for key in ("prompt", "reasoning", "parallel_tool_calls"):
        if key in update:
            new[key] = update[key]
    return new
