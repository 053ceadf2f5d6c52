"""How to reach the model (:class:`ModelConfig`) and how to run a session (:class:`RunConfig`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from ..agents.guardrails import GuardrailFunc, OutputGuardrail
from ..audio.playback import PlaybackTracker
from ..durable.checkpointer import CheckpointPolicy
from ..durable.store import SessionStore
from ..errors import ConfigError
from ..protocol.session_config import SessionModelSettings
from ..transport.auth import ApiKey
from ..transport.limits import (
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_PING_INTERVAL_S,
    DEFAULT_SEND_BUFFER_BYTES,
    TransportLimits,
)
from ..transport.reconnect import ReconnectPolicy
from ..validation import checked
from .core.input_journal import DEFAULT_LIMIT_BYTES
from .event_sink import DEFAULT_EVENT_BUFFER_BYTES, DEFAULT_UNREAD_BYTES, check_buffer_bytes

DEFAULT_URL = "wss://api.openai.com/v1/realtime"
DEFAULT_MODEL = "gpt-realtime"


_POSITIVE = checked(attrs.validators.gt(0))
_B = TypeVar("_B", bound=int | None)


def _check_headers(_inst: object, _attribute: attrs.Attribute[Mapping[str, str]],
                   value: Mapping[str, str]) -> None:
    for name in value:
        if name.lower() == "openai-beta":
            raise ConfigError(
                "the OpenAI-Beta header selects the retired beta protocol "
                "(the service closes such sockets with 4000); realtime-actors speaks GA only"
            )


def _check_store(_inst: object, _attribute: attrs.Attribute[SessionStore | None],
                 value: object) -> None:
    if value is not None and not isinstance(value, SessionStore):
        raise ConfigError(f"store must be a SessionStore (MemoryStore, FileStore, ...), "
                          f"not {type(value).__name__}")


def _check_buffer_bytes(_inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    check_buffer_bytes(attribute.name, value)


def _check_unread_bytes(inst: RunConfig, attribute: attrs.Attribute[_B], value: _B) -> None:
    check_buffer_bytes(attribute.name, value, optional=True)
    limit = inst.event_buffer_bytes
    if isinstance(value, int) and value > limit:
        raise ConfigError(f"event_buffer_unread_bytes ({value}) must not exceed "
                          f"event_buffer_bytes ({limit})")


def _guardrails(guardrails: Iterable[OutputGuardrail | GuardrailFunc]
                ) -> tuple[OutputGuardrail | GuardrailFunc, ...]:
    return tuple(guardrails)


@attrs.frozen(kw_only=True)
class ModelConfig:
    """Connection settings: endpoint, model, credentials, headers and timeouts."""

    api_key: str | ApiKey | Callable[[], str] | None = attrs.field(default=None, repr=False)
    """Explicit key (or a callable returning one); otherwise the environment is searched."""
    url: str = DEFAULT_URL
    """WebSocket endpoint; ``ws://`` URLs (the simulator) are allowed."""
    model: str = DEFAULT_MODEL
    call_id: str | None = None
    """Join an existing SIP/WebRTC call as a sideband control channel."""
    headers: Mapping[str, str] = attrs.field(factory=dict, validator=_check_headers)
    """Extra request headers (``OpenAI-Organization``, ``OpenAI-Project``, ...)."""
    connect_timeout_s: float = attrs.field(default=10.0, validator=_POSITIVE)
    close_timeout_s: float = attrs.field(default=2.0, validator=_POSITIVE)
    max_message_bytes: int = attrs.field(default=DEFAULT_MAX_MESSAGE_BYTES,
                                         validator=_POSITIVE)
    """Largest server message accepted; a larger one closes the connection with 1009 (a
    protocol error: ``ErrorEvent(source="protocol", code="message_too_big")``, then the
    reconnect rules)."""
    ping_interval_s: float | None = attrs.field(
        default=DEFAULT_PING_INTERVAL_S,
        validator=checked(attrs.validators.optional(attrs.validators.gt(0))))
    """Keepalive: after this long without a byte from the server a ping is sent (``None``:
    never); ``ping_timeout_s`` later with still nothing the connection is given up and
    replaced (a half-open TCP connection never reports itself)."""
    ping_timeout_s: float = attrs.field(default=20.0, validator=_POSITIVE)
    send_buffer_bytes: int = attrs.field(default=DEFAULT_SEND_BUFFER_BYTES,
                                         validator=_POSITIVE)
    """Outgoing bytes a connection may hold (written, or waiting for room in the socket):
    beyond this high-water mark ``send_audio`` / ``send_message`` raise ``QueueFullError``
    (and emit ``ErrorEvent(code="queue_full")``); nothing already accepted is dropped."""
    playback_tracker: PlaybackTracker | None = None
    """Fed by the application with what it actually played; used to truncate on interrupt."""

    def transport_limits(self) -> TransportLimits:
        """The limits the reactor enforces on this config's connections."""
        return TransportLimits(max_message_bytes=self.max_message_bytes,
                               ping_interval_s=self.ping_interval_s,
                               ping_timeout_s=self.ping_timeout_s,
                               send_buffer_bytes=self.send_buffer_bytes)

    def build_url(self) -> str:
        """The URL with ``model`` (or ``call_id``) in the query, keeping any existing query."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("ws", "wss"):
            raise ConfigError(f"url must be ws:// or wss://, got scheme {parts.scheme!r}")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if self.call_id is not None:
            query.setdefault("call_id", self.call_id)
        else:
            query.setdefault("model", self.model)
        return urlunsplit(parts._replace(query=urlencode(query)))


@attrs.frozen(kw_only=True)
class RunConfig:
    """How a session runs: base model settings, guardrails, tool execution, event options."""

    model_settings: SessionModelSettings = attrs.field(factory=SessionModelSettings)
    """Base session settings (voice, turn detection, ...); the agent supplies instructions and
    tools, and ``Session.update_session`` overrides persist on top."""
    output_guardrails: tuple[OutputGuardrail | GuardrailFunc, ...] = attrs.field(
        default=(), converter=_guardrails)
    """Checks on every agent's output text (with each agent's own ``output_guardrails``)."""
    guardrail_debounce_chars: int = 100
    tool_timeout_s: float = attrs.field(default=30.0, validator=_POSITIVE)
    max_tool_workers: int = 4
    context: Any = None
    """Passed to dynamic instructions and tools as ``RunContext.context``."""
    raw_events: bool = False
    """Also emit one :class:`RawModelEvent` per server frame (off by default: it doubles the
    events of an audio stream)."""
    event_buffer: int = 10_000
    """Events kept for ``Session.events()`` at most (with the two byte bounds below); ``0``
    turns the buffer off (nothing is kept; ``events()`` raises ``ConfigError``). Beyond a
    bound the oldest ``AudioEvent`` is dropped first, then the oldest event of another kind;
    the reader finds an ``EventsDroppedEvent`` (count, audio count, audio bytes) where events
    are missing, ``Session.dropped_events`` counts them, and drops while the application
    reads are logged as warnings."""
    event_buffer_bytes: int = attrs.field(default=DEFAULT_EVENT_BUFFER_BYTES,
                                          validator=_check_buffer_bytes)
    """Approximate bytes (audio PCM included) the ``Session.events()`` buffer may hold (once
    read, or in a session without subscribers): default 8 MiB, about 170 s of PCM16 24 kHz
    output audio a slow reader may fall behind."""
    event_buffer_unread_bytes: int | None = attrs.field(default=DEFAULT_UNREAD_BYTES,
                                                        validator=_check_unread_bytes)
    """While subscribers take the session's events and the application has not read
    ``Session.events()`` yet, the buffer keeps no ``AudioEvent`` and at most this many bytes of
    other events (default 16 KiB, about 45 transcript deltas): a server session costs next to
    nothing, and a late reader still gets the text, tool and history events, with an
    ``EventsDroppedEvent`` (count and bytes) where the audio was. Without subscribers the
    buffer is the only source and keeps everything from the start. ``None``: keep audio from
    the start in any case. At most ``event_buffer_bytes``."""
    pending_limit: int = 1_000
    """Client events queued while disconnected before user calls are refused."""
    replay_audio_limit: int = attrs.field(default=DEFAULT_LIMIT_BYTES,
                                          validator=checked(attrs.validators.ge(0)))
    """Bytes of input audio kept until the server acknowledges the turn, to replay it after
    a dropped connection (default 60 s of PCM16 at 24 kHz, 2.88 MB; the oldest goes first)."""
    reconnect: ReconnectPolicy = attrs.field(factory=ReconnectPolicy)
    """What happens when the connection drops (by default: reconnect and restore)."""
    retry_first_connection: bool = True
    """False: a first connection that cannot be made (refused, unreachable, a rejected
    handshake) ends the session at once with ``ErrorEvent(code="connect_failed" |
    "http_<status>")`` instead of being retried like a lost one (interactive tools)."""
    store: SessionStore | None = attrs.field(default=None, validator=_check_store)
    """Where the session saves its snapshot after every change to the conversation (see
    ``checkpoint``); ``None``: no checkpoints."""
    checkpoint: CheckpointPolicy = attrs.field(factory=CheckpointPolicy)
    """How often a session with a ``store`` saves (debounced; one pending save per session)."""
