"""Sans-I/O audio helpers for the Realtime API: PCM16 conversion, base64, durations, resampling.

The Realtime API speaks 16-bit signed little-endian mono PCM at 24 kHz (``audio/pcm``) or G.711
μ-law/A-law at 8 kHz (``audio/pcmu`` / ``audio/pcma``), base64-encoded inside JSON events. Float
samples use the scale ``int16 = float * 32768`` (clipped), so ``pcm16 -> float -> pcm16`` is exact.

This module also re-exports the G.711 codecs (:mod:`.g711`) and the WAV helpers (:mod:`.wav`).
"""

from __future__ import annotations

import base64
import binascii

import numpy as np
import soxr

from realtime_actors.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from realtime_actors.audio.wav import WavAudio, is_wav, read_wav, write_wav
from realtime_actors.errors import AudioFormatError

__all__ = [
    "BYTES_PER_MS",
    "G711_SAMPLE_RATE",
    "SAMPLE_RATE",
    "WavAudio",
    "alaw_decode",
    "alaw_encode",
    "b64decode_audio",
    "b64encode_audio",
    "duration_ms",
    "float32_to_pcm16",
    "is_wav",
    "pcm16_from_bytes",
    "pcm16_to_float32",
    "read_wav",
    "resample",
    "to_mono",
    "to_pcm16_bytes",
    "ulaw_decode",
    "ulaw_encode",
    "write_wav",
]

SAMPLE_RATE = 24000
"""Sample rate of Realtime PCM16 audio, in Hz."""

BYTES_PER_MS = 48
"""Bytes of 24 kHz mono PCM16 per millisecond (24 samples x 2 bytes)."""

G711_SAMPLE_RATE = 8000
"""Sample rate of G.711 audio, in Hz (one byte per sample, so 8 bytes per millisecond)."""

_INT16_SCALE = 32768.0

_BYTES_PER_MS_BY_FORMAT: dict[str, int] = {
    "pcm16": BYTES_PER_MS,
    "audio/pcm": BYTES_PER_MS,
    "g711_ulaw": G711_SAMPLE_RATE // 1000,
    "g711_alaw": G711_SAMPLE_RATE // 1000,
    "audio/pcmu": G711_SAMPLE_RATE // 1000,
    "audio/pcma": G711_SAMPLE_RATE // 1000,
}

_BytesLike = bytes | bytearray | memoryview


def _mono_view(x: np.ndarray, what: str) -> np.ndarray:
    """Return a 1-D view of a mono array (1-D or shape (n, 1)), else raise AudioFormatError."""
    if x.ndim == 2 and x.shape[1] == 1:
        return x[:, 0]
    if x.ndim != 1:
        raise AudioFormatError(f"{what} expects mono audio, got an array of shape {x.shape}")
    return x


def _require_finite(x: np.ndarray, what: str) -> None:
    if not np.isfinite(x).all():
        raise AudioFormatError(f"{what}: float samples contain NaN or infinity")


def pcm16_from_bytes(b: _BytesLike) -> np.ndarray:
    """View little-endian PCM16 bytes as an int16 array (dtype ``<i2``) without copying.

    The result shares memory with ``b`` and is read-only when ``b`` is immutable ``bytes``.
    """
    if not isinstance(b, _BytesLike):
        raise AudioFormatError(f"PCM16 bytes expected, got {type(b).__name__}")
    n_bytes = b.nbytes if isinstance(b, memoryview) else len(b)
    if n_bytes % 2:
        raise AudioFormatError(f"odd-length PCM16 ({n_bytes} bytes)")
    try:
        return np.frombuffer(b, dtype="<i2")
    except (ValueError, BufferError) as exc:
        raise AudioFormatError(f"PCM16 buffer cannot be viewed as int16: {exc}") from exc


def float32_to_pcm16(x: np.ndarray) -> np.ndarray:
    """Convert float samples (nominally in [-1, 1]) to int16, clipping; the shape is kept.

    Raises AudioFormatError for non-float dtypes and for NaN or infinite samples.
    """
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        raise AudioFormatError(f"float samples expected, got dtype {arr.dtype}")
    _require_finite(arr, "float32_to_pcm16")
    scaled = np.rint(arr.astype(np.float64) * _INT16_SCALE)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def pcm16_to_float32(b: _BytesLike | np.ndarray) -> np.ndarray:
    """Convert PCM16 (little-endian bytes or an int16 array) to float32 in [-1, 1).

    Arrays keep their shape; bytes give a 1-D array.
    """
    if isinstance(b, np.ndarray):
        if b.dtype.kind != "i" or b.dtype.itemsize != 2:
            raise AudioFormatError(f"int16 samples expected, got dtype {b.dtype}")
        samples = b
    else:
        samples = pcm16_from_bytes(b)
    return samples.astype(np.float32) / np.float32(_INT16_SCALE)


def to_pcm16_bytes(audio: _BytesLike | np.ndarray) -> bytes:
    """Return mono audio as little-endian PCM16 bytes, ready to base64 for the Realtime API.

    Bytes-like input is returned as ``bytes`` after checking its length is even. int16 arrays are
    serialised little-endian; float32/float64 arrays are clipped to [-1, 1] and scaled. Any other
    dtype, a multi-channel array, or NaN/infinite samples raise AudioFormatError.
    """
    if isinstance(audio, _BytesLike):
        raw = bytes(audio)
        if len(raw) % 2:
            raise AudioFormatError(f"odd-length PCM16 ({len(raw)} bytes)")
        return raw
    if not isinstance(audio, np.ndarray):
        raise AudioFormatError(
            f"audio must be bytes or a numpy array, got {type(audio).__name__}"
        )
    if audio.dtype.kind == "i" and audio.dtype.itemsize == 2:
        return _mono_view(audio, "to_pcm16_bytes").astype("<i2", copy=False).tobytes()
    if audio.dtype.kind == "f" and audio.dtype.itemsize in (4, 8):
        return float32_to_pcm16(_mono_view(audio, "to_pcm16_bytes")).astype("<i2").tobytes()
    raise AudioFormatError(
        f"unsupported sample dtype {audio.dtype}: use int16 or float32/float64 samples"
    )


def b64encode_audio(data: _BytesLike) -> str:
    """Base64-encode raw audio bytes for an ``input_audio_buffer.append`` event."""
    if not isinstance(data, _BytesLike):
        raise AudioFormatError(f"audio bytes expected, got {type(data).__name__}")
    return base64.b64encode(data).decode("ascii")


def b64decode_audio(data: str | bytes) -> bytes:
    """Strictly decode base64 audio (e.g. a ``response.output_audio.delta``) to raw bytes.

    Whitespace, characters outside the base64 alphabet, bad padding and data after the padding
    raise AudioFormatError.
    """
    if isinstance(data, str):
        try:
            encoded = data.encode("ascii")
        except UnicodeEncodeError as exc:
            raise AudioFormatError("invalid base64 audio: non-ASCII character") from exc
    elif isinstance(data, bytes | bytearray):
        encoded = bytes(data)
    else:
        raise AudioFormatError(f"base64 text expected, got {type(data).__name__}")
    try:
        return binascii.a2b_base64(encoded, strict_mode=True)
    except binascii.Error as exc:
        raise AudioFormatError(f"invalid base64 audio ({len(encoded)} chars): {exc}") from exc


def duration_ms(n_bytes_or_bytes: int | _BytesLike, *, format: str = "pcm16") -> float:
    """Playback duration in milliseconds of raw audio (a byte count or the bytes themselves).

    ``format`` is ``"pcm16"`` / ``"audio/pcm"`` (24 kHz: bytes / 48) or one of ``"g711_ulaw"``,
    ``"g711_alaw"``, ``"audio/pcmu"``, ``"audio/pcma"`` (8 kHz: bytes / 8).
    """
    try:
        per_ms = _BYTES_PER_MS_BY_FORMAT[format]
    except (KeyError, TypeError):
        known = ", ".join(sorted(_BYTES_PER_MS_BY_FORMAT))
        raise AudioFormatError(f"unknown audio format {format!r} (known: {known})") from None
    if isinstance(n_bytes_or_bytes, memoryview):
        n_bytes = n_bytes_or_bytes.nbytes
    elif isinstance(n_bytes_or_bytes, bytes | bytearray):
        n_bytes = len(n_bytes_or_bytes)
    elif isinstance(n_bytes_or_bytes, int) and not isinstance(n_bytes_or_bytes, bool):
        n_bytes = n_bytes_or_bytes
    else:
        raise AudioFormatError(
            f"byte count or bytes expected, got {type(n_bytes_or_bytes).__name__}"
        )
    if n_bytes < 0:
        raise AudioFormatError(f"byte count must not be negative, got {n_bytes}")
    return n_bytes / per_ms


def _check_rate(rate: object, name: str) -> int:
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer) or rate <= 0:
        raise AudioFormatError(f"{name} must be a positive int, got {rate!r}")
    return int(rate)


def resample(x: np.ndarray, from_rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample ``x`` (shape (n,) or (n, channels)) with soxr at high quality.

    int16 input gives int16 output; float input gives float32 output. The output has about
    ``n * to_rate / from_rate`` frames. Other dtypes and NaN/infinite samples raise
    AudioFormatError, as do non-positive or non-integer rates.
    """
    src = _check_rate(from_rate, "from_rate")
    dst = _check_rate(to_rate, "to_rate")
    if not isinstance(x, np.ndarray):
        raise AudioFormatError(f"resample expects a numpy array, got {type(x).__name__}")
    if x.ndim not in (1, 2):
        raise AudioFormatError(f"resample expects shape (n,) or (n, channels), got {x.shape}")
    if x.dtype.kind == "i" and x.dtype.itemsize == 2:
        samples = np.ascontiguousarray(x, dtype=np.int16)
    elif x.dtype.kind == "f":
        samples = np.ascontiguousarray(x, dtype=np.float32)
        _require_finite(samples, "resample")
    else:
        raise AudioFormatError(f"resample expects int16 or float samples, got dtype {x.dtype}")
    if src == dst:
        return samples.copy()
    if samples.shape[0] == 0:
        return samples.copy()
    resampled: np.ndarray = soxr.resample(samples, src, dst)  # soxr ships no types
    return resampled


def to_mono(x: np.ndarray) -> np.ndarray:
    """Average the channels of a (n, channels) array into shape (n,); 1-D input is returned copied.

    int16 input is averaged exactly and rounded to int16; float input keeps its float dtype.
    """
    if not isinstance(x, np.ndarray):
        raise AudioFormatError(f"to_mono expects a numpy array, got {type(x).__name__}")
    is_int16 = x.dtype.kind == "i" and x.dtype.itemsize == 2
    if not is_int16 and x.dtype.kind != "f":
        raise AudioFormatError(f"to_mono expects int16 or float samples, got dtype {x.dtype}")
    if x.ndim == 1:
        return x.copy()
    if x.ndim != 2 or x.shape[1] == 0:
        raise AudioFormatError(f"to_mono expects shape (n,) or (n, channels), got {x.shape}")
    mean: np.ndarray = x.astype(np.float64).mean(axis=1)
    return np.rint(mean).astype(np.int16) if is_int16 else mean.astype(x.dtype)
