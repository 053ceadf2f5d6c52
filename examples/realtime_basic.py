"""A text conversation with a realtime agent: two turns, printed as they stream."""

from __future__ import annotations

import sys

from _common import model_config, parse_args

import realtime_actors as rt


def main() -> int:
    args = parse_args(__doc__ or "")
    assistant = rt.agent(name="Assistant", instructions="You are concise and helpful.")
    config = rt.RunConfig(
        model_settings=rt.SessionModelSettings(output_modalities=["text"]),
        raw_events=False,
    )
    answered = 0
    with model_config(args.live) as mc, rt.run(assistant, config=config, model_config=mc) as s:
        for text in ("Hello from realtime-actors!", "What can you do?"):
            print(f"user      > {text}")
            s.send_message(text)
            reply = []
            for event in s.events(timeout=30):
                if isinstance(event, rt.TextDeltaEvent):
                    reply.append(event.delta)
                elif isinstance(event, rt.ErrorEvent):
                    print(f"error     ! {event.code}: {event.message}")
                    return 1
                elif isinstance(event, rt.AgentEndEvent):
                    print(f"assistant > {''.join(reply)}  [{event.status}]")
                    answered += 1
                    break
        print(f"summary: {answered} turns answered, {len(s.history())} history items")
    return 0 if answered == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
