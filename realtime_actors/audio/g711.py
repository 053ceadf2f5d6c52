"""ITU-T G.711 μ-law and A-law codecs on numpy, bit-exact with the ITU-T reference (G.191 STL).

Linear samples are 16-bit signed PCM. μ-law uses the top 14 bits and A-law the top 13 bits, as the
standard specifies; negative inputs are taken in one's complement, as in the ITU-T reference code.
Both decoders return the centre of each quantisation interval scaled to 16 bits, so μ-law ``0xFF``
decodes to 0 and ``0x00`` to -32124, and A-law ``0xD5`` decodes to 8 and ``0x55`` to -8.

μ-law has two codes for zero (``0xFF`` and ``0x7F``); both decode to 0 and 0 encodes to ``0xFF``,
so ``ulaw_encode(ulaw_decode(c)) == c`` for every code except ``0x7F``. For A-law it holds for all
256 codes.
"""

from __future__ import annotations

import numpy as np

from realtime_actors.errors import AudioFormatError

__all__ = ["alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]

_BytesLike = bytes | bytearray | memoryview


def _linear_input(samples: np.ndarray | _BytesLike, codec: str) -> np.ndarray:
    """Return ``samples`` as a 1-D int32 array of PCM16 values, or raise AudioFormatError."""
    if isinstance(samples, _BytesLike):
        raw = bytes(samples)
        if len(raw) % 2:
            raise AudioFormatError(f"{codec} encode: odd-length PCM16 ({len(raw)} bytes)")
        return np.frombuffer(raw, dtype="<i2").astype(np.int32)
    if not isinstance(samples, np.ndarray):
        raise AudioFormatError(
            f"{codec} encode expects an int16 array or PCM16 bytes, got {type(samples).__name__}"
        )
    if samples.dtype.kind != "i" or samples.dtype.itemsize != 2:
        raise AudioFormatError(f"{codec} encode expects int16 samples, got dtype {samples.dtype}")
    if samples.ndim == 2 and samples.shape[1] == 1:
        samples = samples[:, 0]
    if samples.ndim != 1:
        raise AudioFormatError(
            f"{codec} encode expects mono samples, got an array of shape {samples.shape}"
        )
    return samples.astype(np.int32)


def _code_input(data: np.ndarray | _BytesLike, codec: str) -> np.ndarray:
    """Return ``data`` as a 1-D uint8 array of G.711 codes, or raise AudioFormatError."""
    if isinstance(data, _BytesLike):
        return np.frombuffer(bytes(data), dtype=np.uint8)
    if isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 1:
        return data
    what = f"dtype {data.dtype} shape {data.shape}" if isinstance(data, np.ndarray) else (
        type(data).__name__
    )
    raise AudioFormatError(f"{codec} decode expects bytes or a 1-D uint8 array, got {what}")


def _bit_length(values: np.ndarray) -> np.ndarray:
    """Vectorised ``int.bit_length`` for non-negative integers below 2**53 (exact via frexp)."""
    _, exponent = np.frexp(values.astype(np.float64))
    return exponent.astype(np.int32)


def ulaw_encode(samples: np.ndarray | _BytesLike) -> bytes:
    """Encode mono PCM16 (an int16 array or little-endian bytes) to G.711 μ-law bytes."""
    x = _linear_input(samples, "μ-law")
    magnitude = np.where(x < 0, ~x, x) >> 2  # 14-bit magnitude, one's complement for negatives
    magnitude = np.minimum(magnitude + 33, 0x1FFF)  # add the μ-law bias, clip to the top segment
    segment = _bit_length(magnitude >> 6) + 1  # 1..8
    low_nibble = 0x0F - ((magnitude >> segment) & 0x0F)
    code = ((8 - segment) << 4) | low_nibble
    code = np.where(x >= 0, code | 0x80, code)
    encoded: bytes = code.astype(np.uint8).tobytes()
    return encoded


def _ulaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32)
    inverted = ~codes & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    step = 4 << (exponent + 1)
    magnitude = (0x80 << exponent) + step * mantissa + step // 2 - 4 * 33
    table = np.where(codes < 0x80, -magnitude, magnitude).astype(np.int16)
    table.flags.writeable = False
    return table


def _alaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32)
    index = (codes ^ 0x55) & 0x7F
    exponent = index >> 4
    mantissa = index & 0x0F
    mantissa = np.where(exponent > 0, mantissa + 16, mantissa)
    mantissa = (mantissa << 4) + 0x08
    mantissa = np.where(exponent > 1, mantissa << np.maximum(exponent - 1, 0), mantissa)
    table = np.where(codes > 127, mantissa, -mantissa).astype(np.int16)
    table.flags.writeable = False
    return table


_ULAW_TO_LINEAR = _ulaw_table()
_ALAW_TO_LINEAR = _alaw_table()


def ulaw_decode(data: np.ndarray | _BytesLike) -> np.ndarray:
    """Decode G.711 μ-law bytes to a new 1-D int16 array of PCM16 samples."""
    pcm: np.ndarray = _ULAW_TO_LINEAR[_code_input(data, "μ-law")]
    return pcm


def alaw_encode(samples: np.ndarray | _BytesLike) -> bytes:
    """Encode mono PCM16 (an int16 array or little-endian bytes) to G.711 A-law bytes."""
    x = _linear_input(samples, "A-law")
    magnitude = np.where(x < 0, ~x, x) >> 4  # 12-bit magnitude, one's complement for negatives
    exponent = np.maximum(_bit_length(magnitude) - 4, 0)  # 0 for magnitudes below 16, else 1..7
    shifted = magnitude >> np.maximum(exponent - 1, 0)
    code = np.where(exponent == 0, magnitude, (exponent << 4) | (shifted & 0x0F))
    code = np.where(x >= 0, code | 0x80, code) ^ 0x55
    return code.astype(np.uint8).tobytes()


def alaw_decode(data: np.ndarray | _BytesLike) -> np.ndarray:
    """Decode G.711 A-law bytes to a new 1-D int16 array of PCM16 samples."""
    pcm: np.ndarray = _ALAW_TO_LINEAR[_code_input(data, "A-law")]
    return pcm
