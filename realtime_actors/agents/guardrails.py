"""Output guardrails run on an assistant response's accumulated transcript (sans-I/O).

:class:`GuardrailChecker` accumulates text deltas per response and runs every guardrail on the
whole text each time it has grown by at least ``debounce_chars`` since the last check, and once
more on the complete text in :meth:`GuardrailChecker.finish`. A response trips at most once.

A guardrail that raises (or returns something other than a bool or :class:`GuardrailResult`) is
logged at WARNING. With ``fail_closed=False`` (the default) it counts as not tripped (fail-open);
with ``fail_closed=True`` it counts as tripped, and the :class:`GuardrailTrip` carries ``error``.

Guardrails run synchronously in the caller's thread; the checker is not thread-safe and belongs
to one owner (e.g. the session actor, or a dedicated actor when guardrails are slow).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable

import attrs

from realtime_actors.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_DEBOUNCE_CHARS = 100
_MAX_CLOSED_RESPONSES = 256


@attrs.frozen(kw_only=True)
class GuardrailInput:
    """What a guardrail sees: the agent that produced the text and the text so far."""

    agent_name: str | None
    text: str


@attrs.frozen(kw_only=True)
class GuardrailResult:
    """A guardrail's verdict; ``info`` is an optional explanation shown in the trip."""

    tripped: bool
    info: str | None = None


GuardrailFunc = Callable[[GuardrailInput], GuardrailResult | bool]


def _check_func(_instance: object, _attribute: attrs.Attribute[GuardrailFunc],
                value: object) -> None:
    if not callable(value):
        raise ConfigError(f"a guardrail function must be callable, got {type(value).__name__}")


def _check_name(_instance: object, _attribute: attrs.Attribute[str | None],
                value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"a guardrail name must be a non-blank str or None, got {value!r}")


@attrs.frozen
class OutputGuardrail:
    """A named check on output text. ``func`` returns a bool (True = tripped) or a
    :class:`GuardrailResult`. Without ``name`` the function's ``__name__`` is used."""

    func: GuardrailFunc = attrs.field(validator=_check_func)
    name: str | None = attrs.field(default=None, validator=_check_name)

    @property
    def display_name(self) -> str:
        """The explicit name, else the function's name."""
        if self.name is not None:
            return self.name
        return str(getattr(self.func, "__name__", None) or type(self.func).__name__)

    def run(self, data: GuardrailInput) -> GuardrailResult:
        """Call the function and normalise a bool result. Exceptions from the function
        propagate; a result of another type raises :class:`ConfigError`."""
        result = self.func(data)
        if isinstance(result, GuardrailResult):
            return result
        if isinstance(result, bool):
            return GuardrailResult(tripped=result)
        raise ConfigError(
            f"guardrail {self.display_name!r} returned {type(result).__name__}; "
            "expected bool or GuardrailResult"
        )


@attrs.frozen(kw_only=True)
class GuardrailTrip:
    """A guardrail tripped for a response. ``text`` is the transcript it judged. ``error`` is
    set (``"ExcType: message"``) only when the guardrail failed and ``fail_closed`` is on."""

    guardrail_name: str
    response_id: str
    text: str
    info: str | None = None
    error: str | None = None


@attrs.define
class _ResponseState:
    parts: list[str] = attrs.Factory(list)
    length: int = 0
    checked_length: int = 0
    checked_once: bool = False
    agent_name: str | None = None

    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


def _as_guardrail(item: object) -> OutputGuardrail:
    if isinstance(item, OutputGuardrail):
        return item
    if callable(item):
        return OutputGuardrail(item)
    raise ConfigError(f"expected an OutputGuardrail or a callable, got {type(item).__name__}")


class GuardrailChecker:
    """Debounced output-guardrail runner keyed by response id (see the module docstring)."""

    def __init__(
        self,
        guardrails: Iterable[OutputGuardrail | GuardrailFunc],
        debounce_chars: int = DEFAULT_DEBOUNCE_CHARS,
        *,
        fail_closed: bool = False,
    ) -> None:
        if isinstance(debounce_chars, bool) or not isinstance(debounce_chars, int):
            raise ConfigError(f"debounce_chars must be an int, got {debounce_chars!r}")
        if debounce_chars < 1:
            raise ConfigError(f"debounce_chars must be >= 1, got {debounce_chars}")
        unique: list[OutputGuardrail] = []
        for item in guardrails:
            guardrail = _as_guardrail(item)
            if not any(existing is guardrail for existing in unique):
                unique.append(guardrail)
        self._guardrails = tuple(unique)
        self._debounce_chars = debounce_chars
        self._fail_closed = bool(fail_closed)
        self._open: dict[str, _ResponseState] = {}
        # Closed responses (tripped or finished) -> True when closed by a trip. Bounded.
        self._closed: OrderedDict[str, bool] = OrderedDict()

    @property
    def guardrails(self) -> tuple[OutputGuardrail, ...]:
        """The guardrails, de-duplicated by identity, in order."""
        return self._guardrails

    def feed(
        self, response_id: str, text_delta: str, *, agent_name: str | None = None
    ) -> list[GuardrailTrip]:
        """Add a transcript delta; run the guardrails when the text has grown by at least
        ``debounce_chars`` since the last check. Returns the trips (empty when nothing tripped,
        when the response already tripped, or after :meth:`finish`)."""
        _check_response_id(response_id)
        if not isinstance(text_delta, str):
            raise ConfigError(f"text_delta must be a str, got {type(text_delta).__name__}")
        tripped = self._closed.get(response_id)
        if tripped is not None:
            if not tripped:
                logger.warning(
                    "transcript delta for response %s after finish(); not checked", response_id
                )
            return []
        state = self._state(response_id, agent_name)
        if text_delta:
            state.parts.append(text_delta)
            state.length += len(text_delta)
        if state.length - state.checked_length < self._debounce_chars:
            return []
        return self._check(response_id, state)

    def check_due(self, response_id: str, added_chars: int = 0, *, final: bool = False) -> bool:
        """Whether :meth:`feed` with ``added_chars`` more text (or :meth:`finish`, ``final``)
        would run the guardrails now; pure, so a caller can make the call where user code
        may run."""
        if not self._guardrails or response_id in self._closed:
            return False
        state = self._open.get(response_id)
        length = (state.length if state is not None else 0) + added_chars
        checked = state.checked_length if state is not None else 0
        if final:
            return length > 0 and not (state is not None and state.checked_once
                                       and checked == length)
        return length - checked >= self._debounce_chars

    def finish(self, response_id: str, *, agent_name: str | None = None) -> list[GuardrailTrip]:
        """Run a final check on the complete text (skipped when that exact text was already
        checked, or when it is empty) and close the response: later feeds return []."""
        _check_response_id(response_id)
        if response_id in self._closed:
            return []
        state = self._state(response_id, agent_name)
        trips: list[GuardrailTrip] = []
        if state.length > 0 and not (state.checked_once and state.checked_length == state.length):
            trips = self._check(response_id, state)
        if not trips:
            self._close(response_id, tripped=False)
        return trips

    def reset(self, response_id: str) -> None:
        """Forget a response (its text and its tripped/finished mark). Unknown ids are ignored."""
        self._open.pop(response_id, None)
        self._closed.pop(response_id, None)

    def clear(self) -> None:
        """Forget every response."""
        self._open.clear()
        self._closed.clear()

    def _state(self, response_id: str, agent_name: str | None) -> _ResponseState:
        state = self._open.get(response_id)
        if state is None:
            state = _ResponseState()
            self._open[response_id] = state
        if agent_name is not None:
            state.agent_name = agent_name
        return state

    def _close(self, response_id: str, *, tripped: bool) -> None:
        """Drop a response's text and remember (boundedly) that it is closed."""
        self._open.pop(response_id, None)
        self._closed[response_id] = tripped
        self._closed.move_to_end(response_id)
        while len(self._closed) > _MAX_CLOSED_RESPONSES:
            self._closed.popitem(last=False)

    def _check(self, response_id: str, state: _ResponseState) -> list[GuardrailTrip]:
        text = state.text()
        state.checked_length = state.length
        state.checked_once = True
        data = GuardrailInput(agent_name=state.agent_name, text=text)
        trips: list[GuardrailTrip] = []
        for guardrail in self._guardrails:
            trip = self._run_one(guardrail, data, response_id)
            if trip is not None:
                trips.append(trip)
        if trips:
            self._close(response_id, tripped=True)
        return trips

    def _run_one(
        self, guardrail: OutputGuardrail, data: GuardrailInput, response_id: str
    ) -> GuardrailTrip | None:
        name = guardrail.display_name
        try:
            result = guardrail.run(data)
        except Exception as exc:
            logger.warning(
                "guardrail %r failed on response %s (%d chars): %s: %s; counted as %s",
                name,
                response_id,
                len(data.text),
                type(exc).__name__,
                exc,
                "tripped (fail_closed)" if self._fail_closed else "not tripped (fail-open)",
                exc_info=exc,
            )
            if not self._fail_closed:
                return None
            return GuardrailTrip(
                guardrail_name=name,
                response_id=response_id,
                text=data.text,
                info=None,
                error=f"{type(exc).__name__}: {exc}",
            )
        if not result.tripped:
            return None
        return GuardrailTrip(
            guardrail_name=name, response_id=response_id, text=data.text, info=result.info
        )


def _check_response_id(response_id: object) -> None:
    if not isinstance(response_id, str) or not response_id:
        raise ConfigError(f"response_id must be a non-empty str, got {response_id!r}")
