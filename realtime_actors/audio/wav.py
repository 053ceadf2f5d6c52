"""WAV reading and writing on numpy, for feeding files to the Realtime API.

:func:`read_wav` parses the RIFF chunks itself, because the stdlib ``wave`` module rejects float
WAV files. It supports integer PCM (8-bit unsigned, 16-, 24- and 32-bit signed), IEEE float (32-
and 64-bit), G.711 A-law/μ-law, and the same inside ``WAVE_FORMAT_EXTENSIBLE``. Every sample is
converted to int16. :func:`write_wav` writes 16-bit PCM with the stdlib ``wave`` module.
"""

from __future__ import annotations

import io
import os
import struct
import wave
from typing import Literal

import attrs
import numpy as np

from realtime_actors.audio.g711 import alaw_decode, ulaw_decode
from realtime_actors.errors import AudioFormatError

__all__ = ["WavAudio", "WavEncoding", "is_wav", "read_wav", "write_wav"]

WavEncoding = Literal["pcm", "float", "alaw", "ulaw"]
"""How the samples were stored in the WAV file before conversion to int16."""

_WAVE_FORMAT_PCM = 0x0001
_WAVE_FORMAT_IEEE_FLOAT = 0x0003
_WAVE_FORMAT_ALAW = 0x0006
_WAVE_FORMAT_MULAW = 0x0007
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# Bytes 2..16 shared by every KSDATAFORMAT_SUBTYPE_* GUID whose first two bytes are a format tag.
_SUBFORMAT_GUID_TAIL = bytes.fromhex("000000001000800000aa00389b71")

_ENCODINGS: dict[int, tuple[WavEncoding, tuple[int, ...]]] = {
    _WAVE_FORMAT_PCM: ("pcm", (8, 16, 24, 32)),
    _WAVE_FORMAT_IEEE_FLOAT: ("float", (32, 64)),
    _WAVE_FORMAT_ALAW: ("alaw", (8,)),
    _WAVE_FORMAT_MULAW: ("ulaw", (8,)),
}


def _samples_repr(samples: np.ndarray) -> str:
    return f"<{samples.dtype} array shape={samples.shape}>"


@attrs.frozen(kw_only=True)
class WavAudio:
    """Decoded WAV audio: int16 ``samples`` of shape (frames, channels) at ``rate`` Hz.

    ``sample_width`` is the stored width in bytes per sample and ``encoding`` the stored
    encoding, both as found in the file (the samples are always int16).
    """

    samples: np.ndarray = attrs.field(
        eq=attrs.cmp_using(eq=np.array_equal), hash=False, repr=_samples_repr
    )
    rate: int
    channels: int
    sample_width: int
    encoding: WavEncoding = "pcm"

    def __attrs_post_init__(self) -> None:
        """Check that the samples are int16 of shape (frames, channels) and the rate positive."""
        s = self.samples
        if not isinstance(s, np.ndarray) or s.dtype != np.int16 or s.ndim != 2:
            raise AudioFormatError("WavAudio.samples must be an int16 array of shape (n, channels)")
        if self.channels < 1 or s.shape[1] != self.channels:
            raise AudioFormatError(
                f"WavAudio.samples shape {s.shape} does not match channels={self.channels}"
            )
        if self.rate < 1:
            raise AudioFormatError(f"WavAudio.rate must be positive, got {self.rate}")

    @property
    def frames(self) -> int:
        """Number of frames (samples per channel)."""
        return int(self.samples.shape[0])

    @property
    def duration_ms(self) -> float:
        """Duration of the audio in milliseconds."""
        return self.frames * 1000.0 / self.rate

    def mono_24k(self) -> np.ndarray:
        """Return the audio averaged to mono and resampled to 24 kHz, as a 1-D int16 array."""
        from realtime_actors.audio.pcm import SAMPLE_RATE, resample, to_mono

        return resample(to_mono(self.samples), self.rate, SAMPLE_RATE)


def is_wav(data: bytes | bytearray | memoryview) -> bool:
    """Return True when ``data`` starts with a RIFF/WAVE header (the content is not checked)."""
    head = bytes(data[:12])
    return len(head) == 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE"


@attrs.frozen(kw_only=True)
class _Format:
    encoding: WavEncoding
    channels: int
    rate: int
    width: int


def _parse_fmt(body: bytes) -> _Format:
    if len(body) < 16:
        raise AudioFormatError(f"malformed WAV: fmt chunk is {len(body)} bytes, need 16")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _WAVE_FORMAT_EXTENSIBLE:
        if len(body) < 40:
            raise AudioFormatError(
                f"malformed WAV: WAVE_FORMAT_EXTENSIBLE fmt chunk is {len(body)} bytes, need 40"
            )
        guid = body[24:40]
        if guid[2:] != _SUBFORMAT_GUID_TAIL:
            raise AudioFormatError(f"unsupported WAV: extensible sub-format GUID {guid.hex()}")
        tag = int.from_bytes(guid[:2], "little")
    if tag not in _ENCODINGS:
        raise AudioFormatError(f"unsupported WAV format tag 0x{tag:04x}")
    encoding, allowed_bits = _ENCODINGS[tag]
    if bits not in allowed_bits:
        raise AudioFormatError(f"unsupported WAV: {bits}-bit {encoding} samples")
    if channels < 1:
        raise AudioFormatError("malformed WAV: zero channels")
    if rate < 1:
        raise AudioFormatError("malformed WAV: zero sample rate")
    width = bits // 8
    if block_align != channels * width:
        raise AudioFormatError(
            f"malformed WAV: block align {block_align} != {channels} channels x {width} bytes"
        )
    return _Format(encoding=encoding, channels=channels, rate=rate, width=width)


def _find_chunks(data: bytes) -> tuple[_Format, memoryview]:
    """Return the parsed fmt chunk and the payload of the data chunk."""
    if not is_wav(data):
        raise AudioFormatError("not a WAV file: missing RIFF/WAVE header")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if end > len(data):
        raise AudioFormatError(
            f"truncated WAV: RIFF header declares {end} bytes, only {len(data)} present"
        )
    view = memoryview(data)
    fmt: _Format | None = None
    pos = 12
    while pos + 8 <= end:
        chunk_id = bytes(view[pos : pos + 4])
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body_start, body_end = pos + 8, pos + 8 + size
        if body_end > end:
            raise AudioFormatError(
                f"truncated WAV: chunk {chunk_id!r} declares {size} bytes, "
                f"only {end - body_start} present"
            )
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(bytes(view[body_start:body_end]))
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError("malformed WAV: data chunk before fmt chunk")
            return fmt, view[body_start:body_end]
        pos = body_end + (size & 1)
    if pos < end:
        raise AudioFormatError(f"truncated WAV: {end - pos} stray bytes after the last chunk")
    raise AudioFormatError("malformed WAV: no data chunk" if fmt else "malformed WAV: no fmt chunk")


def _to_int16(payload: memoryview, fmt: _Format) -> np.ndarray:
    """Convert the raw data chunk to int16 samples of shape (frames, channels)."""
    frame_bytes = fmt.channels * fmt.width
    if len(payload) % frame_bytes:
        raise AudioFormatError(
            f"truncated WAV: data chunk of {len(payload)} bytes is not a whole number of "
            f"{frame_bytes}-byte frames"
        )
    if fmt.encoding == "ulaw":
        samples = ulaw_decode(payload)
    elif fmt.encoding == "alaw":
        samples = alaw_decode(payload)
    elif fmt.encoding == "float":
        floats = np.frombuffer(payload, dtype="<f4" if fmt.width == 4 else "<f8")
        if not np.isfinite(floats).all():
            raise AudioFormatError("malformed WAV: float samples contain NaN or infinity")
        from realtime_actors.audio.pcm import float32_to_pcm16

        samples = float32_to_pcm16(floats)
    elif fmt.width == 1:
        samples = ((np.frombuffer(payload, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(
            np.int16
        )
    elif fmt.width == 2:
        samples = np.frombuffer(payload, dtype="<i2").astype(np.int16)
    elif fmt.width == 3:
        b = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        value = (value ^ 0x800000) - 0x800000  # sign-extend 24 bits
        samples = np.minimum((value + 0x80) >> 8, 32767).astype(np.int16)
    else:
        value64 = np.frombuffer(payload, dtype="<i4").astype(np.int64)
        samples = np.minimum((value64 + 0x8000) >> 16, 32767).astype(np.int16)
    return samples.reshape(-1, fmt.channels)


def read_wav(data: bytes | bytearray | memoryview | str | os.PathLike[str]) -> WavAudio:
    """Decode a WAV file (its bytes, or a path to read) into :class:`WavAudio`.

    Malformed, truncated or unsupported WAV data raises AudioFormatError; a path that cannot be
    read raises the usual OSError.
    """
    if isinstance(data, str | os.PathLike):
        with open(data, "rb") as f:
            raw = f.read()
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise AudioFormatError(f"WAV bytes or a path expected, got {type(data).__name__}")
    fmt, payload = _find_chunks(raw)
    samples = _to_int16(payload, fmt)
    return WavAudio(
        samples=samples,
        rate=fmt.rate,
        channels=fmt.channels,
        sample_width=fmt.width,
        encoding=fmt.encoding,
    )


def write_wav(samples: np.ndarray, rate: int) -> bytes:
    """Encode int16 samples of shape (n,) or (n, channels) as a 16-bit PCM WAV file."""
    if not isinstance(samples, np.ndarray):
        raise AudioFormatError(f"write_wav expects an int16 array, got {type(samples).__name__}")
    if samples.dtype.kind != "i" or samples.dtype.itemsize != 2:
        raise AudioFormatError(f"write_wav expects int16 samples, got dtype {samples.dtype}")
    if isinstance(rate, bool) or not isinstance(rate, int | np.integer) or not 0 < rate < 2**32:
        raise AudioFormatError(f"write_wav rate must be a positive int, got {rate!r}")
    frames = samples.reshape(-1, 1) if samples.ndim == 1 else samples
    if frames.ndim != 2 or frames.shape[1] < 1:
        raise AudioFormatError(
            f"write_wav expects shape (n,) or (n, channels), got {samples.shape}"
        )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(np.ascontiguousarray(frames, dtype="<i2").tobytes())
    return buffer.getvalue()
