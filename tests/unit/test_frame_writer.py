"""frame_writer: client frames byte-identical to websocket-client's, JSON as the server reads it."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import websocket

from realtime_actors.frame_writer import client_frame, encode_event


def _keys(key: bytes):
    def mask_key(n: int) -> bytes:
        assert n == 4
        return key
    return mask_key


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 200_000])
def test_frames_match_websocket_client_for_every_length_class(length: int) -> None:
    payload = bytes(itertools.islice(itertools.cycle(range(256)), length))
    key = b"\x01\xa2\x33\xf4"
    reference = websocket.ABNF.create_frame(payload, websocket.ABNF.OPCODE_TEXT)
    reference.get_mask_key = _keys(key)
    assert client_frame(payload, mask_key=_keys(key)) == reference.format()


def test_every_frame_gets_a_fresh_mask_key() -> None:
    keys = {client_frame(b"same payload")[2:6] for _ in range(50)}
    assert len(keys) > 40  # os.urandom: collisions of 32-bit keys are vanishingly rare


def test_a_masked_frame_unmasks_to_the_payload() -> None:
    payload = encode_event({"type": "input_audio_buffer.append", "audio": "AAAA" * 400})
    frame = client_frame(payload)
    assert frame[0] == 0x81 and frame[1] == 0x80 | 126
    length = int.from_bytes(frame[2:4], "big")
    key, body = frame[4:8], frame[8:]
    assert length == len(body) == len(payload)
    assert bytes(b ^ key[i % 4] for i, b in enumerate(body)) == payload


def test_events_are_compact_json_and_refuse_what_json_cannot_carry() -> None:
    event = {"type": "conversation.item.create", "item": {"text": "héllo ✓"}}
    text = encode_event(event)
    assert json.loads(text.decode("utf-8")) == event
    assert text == json.dumps(event, separators=(",", ":")).encode("ascii")
    with pytest.raises(ValueError):
        encode_event({"type": "x", "value": math.nan})
    with pytest.raises(TypeError):
        encode_event({"type": "x", "value": object()})


def test_mask_keys_are_never_handed_out_twice_across_blocks_and_threads() -> None:
    import threading

    from realtime_actors.frame_writer import MaskKeys

    keys = MaskKeys(block=64)  # 16 keys per block: many refills
    taken: list[bytes] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [keys() for _ in range(500)]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 2000 and all(len(k) == 4 for k in taken)
    # each key is a distinct 4-byte window of urandom output: duplicates would mean reuse
    assert len(set(taken)) > 1990


@pytest.mark.parametrize("audio", ["QUJD", "AAAA" * 500 + "AA==", "", 'AB"}', "AB\\u", "é==",
                                   "AB\nCD", 123, None])
def test_the_append_fast_path_gives_what_the_encoder_gives(audio: object) -> None:
    event = {"type": "input_audio_buffer.append", "audio": audio}
    assert encode_event(event) == json.dumps(event, separators=(",", ":")).encode("ascii")
    assert json.loads(encode_event(event)) == event
