"""Deterministic synthetic "speech": text encoded as audio that an energy VAD takes for speech.

Each symbol is a pair of simultaneous tones (like DTMF): one of ten "low" frequencies and one
of ten "high" frequencies, all inside the 300-3400 Hz telephone band, shaped by a short
raised-cosine envelope. That gives 100 symbols: the 95 printable ASCII characters, a start
marker, an end marker and an escape that introduces any other code point as three base-100
digits. An utterance is ``START chars... END``; a printable ASCII character lasts
:data:`SYMBOL_SECONDS` (45 ms). The signal is loud (about -10 dBFS RMS), survives resampling,
μ-law/A-law companding, attenuation and a little noise, and :func:`decode` turns it back into
text, returning ``None`` for audio that is not codec speech (silence, noise, a plain tone).
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from realtime_actors.errors import AudioFormatError

logger = logging.getLogger(__name__)

SPEECH_RATE = 24000
"""Default sample rate of synthesized speech (the Realtime API's PCM16 rate)."""

SYMBOL_SECONDS = 0.045
"""Duration of one symbol (one printable ASCII character)."""

_RAMP_SECONDS = 0.005
_TONE_AMPLITUDE = 0.3  # per tone, as a fraction of full scale
_LOW_HZ = tuple(420.0 + 100.0 * i for i in range(10))  # 420 .. 1320 Hz
_HIGH_HZ = tuple(1500.0 + 180.0 * i for i in range(10))  # 1500 .. 3120 Hz
_FIRST_CHAR = 32  # ' '
_LAST_CHAR = 126  # '~'
_ESCAPE = 95
_START = 97
_END = 98
_MAX_ESCAPED = 1_000_000  # three base-100 digits

_ANALYSIS_MARGIN = 0.0075  # seconds skipped at each end of a slot before analysis
_ENVELOPE_SECONDS = 0.002
_MERGE_GAP_SECONDS = 0.1  # activity gaps shorter than this belong to one utterance
_MIN_PEAK = 30.0  # int16 units: quieter audio is silence
_DOMINANCE = 4.0  # best tone power / second best in its group
_MIN_GROUP_SHARE = 0.12  # each group's best tone power / total window power
_MIN_PAIR_SHARE = 0.5  # both tones' power / total window power


def _symbols_for(text: str) -> list[int]:
    symbols = [_START]
    for char in text:
        code = ord(char)
        if _FIRST_CHAR <= code <= _LAST_CHAR:
            symbols.append(code - _FIRST_CHAR)
            continue
        if char in "\t\r\n":
            symbols.append(0)  # whitespace becomes a space
            continue
        if code >= _MAX_ESCAPED:
            logger.warning("speech codec: code point U+%X cannot be encoded, using '?'", code)
            symbols.append(ord("?") - _FIRST_CHAR)
            continue
        symbols.extend((_ESCAPE, code // 10000, (code // 100) % 100, code % 100))
    symbols.append(_END)
    return symbols


@lru_cache(maxsize=8)
def _symbol_envelope(rate: int) -> npt.NDArray[np.float64]:
    n = round(SYMBOL_SECONDS * rate)
    ramp = max(1, round(_RAMP_SECONDS * rate))
    env = np.ones(n)
    rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
    env[:ramp] = rise
    env[n - ramp :] = rise[::-1]
    return env


def synthesize(text: str, rate: int = SPEECH_RATE) -> npt.NDArray[np.int16]:
    """Encode ``text`` as mono PCM16 "speech" at ``rate`` Hz.

    Printable ASCII round-trips exactly through :func:`decode`; tabs and newlines become
    spaces; other characters are escaped (four symbols each). Raises :class:`AudioFormatError`
    for an empty text or a rate too low to carry the 3.1 kHz tones.
    """
    if not isinstance(text, str) or not text:
        raise AudioFormatError("synthesize needs a non-empty text")
    if rate < 8000:
        raise AudioFormatError(f"synthesize needs a rate of at least 8000 Hz, got {rate}")
    symbols = _symbols_for(unicodedata.normalize("NFC", text))
    env = _symbol_envelope(rate)
    n = env.size
    t = np.arange(n) / rate
    low = np.sin(2 * np.pi * np.asarray(_LOW_HZ)[:, None] * t)
    high = np.sin(2 * np.pi * np.asarray(_HIGH_HZ)[:, None] * t)
    out = np.empty(len(symbols) * n)
    scale = _TONE_AMPLITUDE * 32767.0
    for i, symbol in enumerate(symbols):
        out[i * n : (i + 1) * n] = (low[symbol // 10] + high[symbol % 10]) * env * scale
    return np.round(out).astype(np.int16)


@lru_cache(maxsize=8)
def _analysis_basis(rate: int) -> tuple[int, int, npt.NDArray[np.float64], float]:
    """(slot length, margin, cos/sin DFT basis of the 20 tones, power normalisation)."""
    slot = round(SYMBOL_SECONDS * rate)
    margin = round(_ANALYSIS_MARGIN * rate)
    width = slot - 2 * margin
    hann = np.hanning(width)
    phase = 2 * np.pi * (np.arange(width) / rate)[:, None] * np.asarray(_LOW_HZ + _HIGH_HZ)
    basis = np.concatenate([hann[:, None] * np.cos(phase), hann[:, None] * np.sin(phase)], axis=1)
    # A sine of amplitude A gives |X| = A * sum(hann) / 2, power A**2 / 2.
    norm = 2.0 / (float(hann.sum()) ** 2)
    return slot, margin, basis, norm


def _read_symbols(samples: npt.NDArray[np.float64], start: int, count: int, rate: int) -> list[int]:
    """Symbols of up to ``count`` consecutive slots from ``start``; -1 where a slot holds none."""
    slot, margin, basis, norm = _analysis_basis(rate)
    width = slot - 2 * margin
    first = start + margin
    if first < 0 or samples.size < first + width:
        return []
    count = min(count, (samples.size - first - width) // slot + 1)
    windows = sliding_window_view(samples[first:], width)[::slot][:count]
    total = np.einsum("ij,ij->i", windows, windows) / width
    projections = windows @ basis
    power = (projections[:, :20] ** 2 + projections[:, 20:] ** 2) * norm
    valid = total > 0.0
    digits = []
    pair = np.zeros(len(windows))
    for group in (power[:, :10], power[:, 10:]):
        ordered = np.sort(group, axis=1)
        best, second = ordered[:, -1], ordered[:, -2]
        valid &= (best >= _DOMINANCE * second) & (best >= _MIN_GROUP_SHARE * total)
        digits.append(np.argmax(group, axis=1))
        pair += best
    valid &= pair >= _MIN_PAIR_SHARE * total
    symbols: list[int] = np.where(valid, digits[0] * 10 + digits[1], -1).tolist()
    return symbols


def _read_symbol(samples: npt.NDArray[np.float64], start: int, rate: int) -> int | None:
    """The symbol whose slot begins at ``start``, or ``None`` when the slot holds no symbol."""
    symbols = _read_symbols(samples, start, 1, rate)
    return symbols[0] if symbols and symbols[0] >= 0 else None


def _activity(samples: npt.NDArray[np.float64], rate: int) -> tuple[list[tuple[int, int]], float]:
    """Sample ranges where the signal is loud (short gaps merged), and the loudness threshold."""
    width = max(1, round(_ENVELOPE_SECONDS * rate))
    if samples.size < width:
        return [], 0.0
    cumulative = np.concatenate(([0.0], np.cumsum(np.abs(samples))))
    env = (cumulative[width:] - cumulative[:-width]) / width
    peak = float(env.max())
    if peak < _MIN_PEAK:
        return [], 0.0
    threshold = 0.2 * peak
    active = env > threshold
    edges = np.flatnonzero(np.diff(np.concatenate(([0], active.astype(np.int8), [0]))))
    merged: list[tuple[int, int]] = []
    gap = round(_MERGE_GAP_SECONDS * rate)
    for start, end in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True):
        if merged and start - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged, threshold


def _align(samples: npt.NDArray[np.float64], onset: int, rate: int) -> int | None:
    """Start of the START marker's slot near ``onset`` (the envelope's threshold crossing).

    Tries shifts of -6..+4 ms and takes the middle of the shifts that read a START marker,
    which centres the analysis windows in the symbol slots.
    """
    step = max(1, round(0.001 * rate))
    hits = [
        onset + shift * step
        for shift in range(-6, 5)
        if onset + shift * step >= 0 and _read_symbol(samples, onset + shift * step, rate) == _START
    ]
    return hits[len(hits) // 2] if hits else None


def _decode_from(
    samples: npt.NDArray[np.float64], start: int, limit: int, rate: int
) -> tuple[str, int] | None:
    """Decode the utterance whose START slot begins at ``start`` and that ends before about
    ``limit``: (text, end sample), or ``None`` if it is not a complete utterance."""
    slot = _analysis_basis(rate)[0]
    symbols = _read_symbols(samples, start, (limit - start) // slot + 2, rate)
    chars: list[str] = []
    i = 1
    while i < len(symbols):
        symbol = symbols[i]
        i += 1
        if symbol < 0 or symbol in (_START, 96, 99):
            return None
        if symbol == _END:
            return "".join(chars), start + i * slot
        if symbol == _ESCAPE:
            digits = symbols[i : i + 3]
            i += 3
            if len(digits) < 3 or min(digits) < 0:
                return None
            code = digits[0] * 10000 + digits[1] * 100 + digits[2]
            if code > 0x10FFFF:
                return None
            chars.append(chr(code))
            continue
        chars.append(chr(symbol + _FIRST_CHAR))
    return None


def decode(pcm: npt.NDArray[np.int16], rate: int = SPEECH_RATE) -> str | None:
    """Text spoken in ``pcm`` (mono PCM16 at ``rate`` Hz), or ``None`` if it holds no codec speech.

    Several utterances separated by silence (at least 300 ms) are joined with one space. A
    region of sound that is not a complete utterance (cut off, noise, a tone) is ignored.
    Raises :class:`AudioFormatError` for a buffer that is not one-dimensional integer audio.
    """
    data = np.asarray(pcm)
    if data.ndim != 1 or not np.issubdtype(data.dtype, np.integer):
        raise AudioFormatError(f"decode needs 1-D int16 audio, got {data.dtype} {data.shape}")
    if rate < 8000:
        raise AudioFormatError(f"decode needs a rate of at least 8000 Hz, got {rate}")
    samples = data.astype(np.float64)
    regions, threshold = _activity(samples, rate)
    width = max(1, round(_ENVELOPE_SECONDS * rate))
    texts: list[str] = []
    for region_start, region_end in regions:
        onset = region_start
        while region_end - onset > SYMBOL_SECONDS * rate:
            start = _align(samples, onset, rate)
            decoded = None if start is None else _decode_from(samples, start, region_end, rate)
            if decoded is None:
                logger.debug("speech codec: no complete utterance at sample %d", onset)
                break
            texts.append(decoded[0])
            onset = _next_onset(samples, decoded[1], region_end, threshold, width)
    return " ".join(texts) if texts else None


def _next_onset(
    samples: npt.NDArray[np.float64], after: int, limit: int, threshold: float, width: int
) -> int:
    """First envelope threshold crossing in ``[after, limit)``, or ``limit``."""
    segment = np.abs(samples[after:limit])
    if segment.size < width:
        return limit
    env = np.convolve(segment, np.full(width, 1.0 / width), mode="valid")
    loud = np.flatnonzero(env > threshold)
    return after + int(loud[0]) if loud.size else limit
