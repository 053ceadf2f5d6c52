"""Which work of the session core runs user code (pure, cheap predicates).

The session actor asks them to decide where a message is handled: work that may call user
code (dynamic instructions, handoff callbacks, output guardrails) leaves the reactor thread.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from ...agents.agent import Handoff, RealtimeAgent, find_handoff
from ...agents.guardrails import GuardrailChecker
from ...protocol.server_events_response import (
    ResponseDoneEvent,
    ResponseOutputAudioTranscriptDeltaEvent,
    ResponseOutputAudioTranscriptDoneEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputTextDeltaEvent,
    ResponseOutputTextDoneEvent,
)

_GUARDED_DELTAS = (ResponseOutputAudioTranscriptDeltaEvent, ResponseOutputTextDeltaEvent)
_GUARDED_DONES = (ResponseOutputAudioTranscriptDoneEvent, ResponseOutputTextDoneEvent)


def settings_call_user_code(agent: RealtimeAgent) -> bool:
    """Whether resolving the settings of ``agent`` calls user code: its dynamic instructions
    or a handoff's ``is_enabled`` callable."""
    return callable(agent.instructions) or any(
        isinstance(h, Handoff) and not isinstance(h.is_enabled, bool) for h in agent.handoffs)


def events_call_user_code(events: Iterable[Any], agent: RealtimeAgent,
                          guardrails: GuardrailChecker, tripped: Collection[str]) -> bool:
    """Whether handling these server events, in order, may call user code: an output
    guardrail that falls due on assistant text (of a response not ``tripped`` already), or a
    handoff (its callbacks, its lazy target, the next agent's dynamic settings) on a completed
    function call."""
    grown: dict[str, int] = {}
    reset = False  # a response.done earlier in the batch resets the guardrails' state
    for event in events:
        kind = type(event)
        if kind is ResponseDoneEvent:
            reset = True
        elif kind in _GUARDED_DELTAS or kind in _GUARDED_DONES:
            response_id = event.response_id
            if not isinstance(response_id, str) or response_id in tripped:
                continue
            if reset and guardrails.guardrails:
                return True  # (rare: not worth predicting exactly)
            if kind in _GUARDED_DONES:
                due = guardrails.check_due(response_id, grown.get(response_id, 0), final=True)
            else:
                grown[response_id] = grown.get(response_id, 0) + len(event.delta or "")
                due = guardrails.check_due(response_id, grown[response_id])
            if due:
                return True
        elif kind is ResponseOutputItemDoneEvent:
            item = event.item
            name = getattr(item, "name", None)
            if (getattr(item, "type", None) == "function_call" and isinstance(name, str)
                    and find_handoff(agent, name) is not None):
                return True
    return False
