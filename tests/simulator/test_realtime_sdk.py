"""The official openai SDK (GA realtime client) works against the simulator."""

from __future__ import annotations

import openai
import pytest

from realtime_actors.simulator import Simulator


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside the SDK
def test_openai_sdk_text_turn() -> None:
    with Simulator() as sim:
        base = sim.ws_url.rsplit("/realtime", 1)[0]
        client = openai.OpenAI(api_key="sk-sdk", websocket_base_url=base, base_url=sim.http_url)
        with client.realtime.connect(model="gpt-realtime") as conn:
            conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            conn.conversation.item.create(item={
                "type": "message", "role": "user",
                "content": [{"type": "input_text", "text": "hi"}]})
            conn.response.create()
            for event in conn:
                if event.type == "response.done":
                    break
            assert event.response.status == "completed"
            assert event.response.output[0].content[0].text == "You said: hi"
        record = sim.connections[0]
        assert record.query == {"model": "gpt-realtime"}
        assert record.header("Authorization") == "Bearer sk-sdk"
        assert record.header("OpenAI-Beta") is None
