"""The chat's input: lines of stdin, read one at a time on request by a helper thread so that
the main thread only ever waits in short slices (see
:func:`realtime_actors.runtime.stop_signals.wait_event`)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import TextIO

from ..runtime.stop_signals import WAIT_SLICE_S

logger = logging.getLogger(__name__)

QUIT_COMMANDS = ("/quit", "/exit")
HELP_TEXT = ("[chat] commands: /help shows this; /quit or /exit leaves (so do end of input and "
             "Ctrl-C). Other lines go to the model; start a line with // to send one "
             "beginning with /.")


def local_command(text: str) -> tuple[str | None, str | None]:
    """Split a chat line into (what to show locally, what to send to the model).

    ``/help`` and unknown ``/commands`` are answered here and never sent; ``//text`` sends
    ``/text``; any other line is sent as is. (Quit commands end the input before this.)
    """
    if text.startswith("//"):
        return None, text[1:]
    if not text.startswith("/"):
        return None, text
    if text.lower() in ("/help", "/?"):
        return HELP_TEXT, None
    name = text.split(maxsplit=1)[0]
    return f"[chat] unknown command {name!r}; /help lists the commands", None


def input_lines(stream: TextIO, out: TextIO, prompt: str) -> Iterator[str]:
    """Stripped non-empty lines of ``stream`` until end of input or a quit command; the
    prompt is shown only when ``stream`` is a terminal."""
    interactive = stream.isatty()
    while True:
        if interactive:
            out.write(prompt)
            out.flush()
        line = stream.readline()
        if not line:
            return
        text = line.strip()
        if text.lower() in QUIT_COMMANDS:
            return
        if text:
            yield text


class InputFeed:
    """:func:`input_lines` read by a daemon thread, one line per :meth:`next_line` call (so
    the prompt shows only when the chat is ready for the next line).

    A blocking read of stdin in the main thread is not woken by a signal the kernel handed to
    another thread; here the main thread waits in slices and acts on such a signal promptly.
    The thread is a daemon: it may be left blocked on a terminal when the chat is stopped by a
    signal, and must not keep the process alive.
    """

    def __init__(self, stream: TextIO, out: TextIO, prompt: str) -> None:
        self._lines = input_lines(stream, out, prompt)
        self._requests: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[str | Exception | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._read, name="chat-input", daemon=True)
        self._ended = False

    def _read(self) -> None:
        while self._requests.get():  # True: read one more line; False: stop
            try:
                line = next(self._lines, None)
            except Exception as exc:  # handed to the main thread, raised there
                self._results.put(exc)
                return
            self._results.put(line)
            if line is None:
                return

    def next_line(self) -> str | None:
        """The next line, or None at end of input or a quit command; re-raises an error of
        reading the input (e.g. ``UnicodeDecodeError``)."""
        if self._ended:
            return None
        if self._thread.ident is None:
            self._thread.start()
        self._requests.put(True)
        while True:
            try:
                item = self._results.get(timeout=WAIT_SLICE_S)
            except queue.Empty:
                continue
            if isinstance(item, Exception):
                self._ended = True
                raise item
            self._ended = item is None
            return item

    def close(self) -> None:
        """Let the thread end once it is not reading (it may still be blocked in a read)."""
        self._ended = True
        self._requests.put(False)
