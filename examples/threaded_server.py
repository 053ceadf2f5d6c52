"""Realtime sessions embedded in a threaded HTTP server (stdlib ``ThreadingHTTPServer``).

``POST /conversations/<id>/turns`` with ``{"text": ...}`` drives one turn on that
conversation's own realtime session (opened by its first request, kept for the next ones) and
answers ``{"reply", "agent", "turn"}``. The script starts the server, fires many requests at it
at once from client threads, then shuts it down and closes every session cleanly.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from _common import ExampleFailure, LiveGuard, SkipExample, Target, connect, run_example, say
from _common import summary as summary_line
from _events import EventPrinter, run_turn

import realtime_actors as rt
from realtime_actors.simulator import ReplyContext, Scenario

TURNS = ["Hi, this is client {n}.", "What did I tell you my number was?"]


def scripted_reply(ctx: ReplyContext) -> str:
    """Offline only: reply with what the session remembers (each conversation its own)."""
    first = next((t for t in ctx.history if t.startswith("Hi, this is client")), None)
    if first is None:
        return f"Nice to meet you! You said: {ctx.user_text}"
    return f"You told me: {first}"


class Conversation:
    """One realtime session and the lock that keeps its turns one at a time."""

    def __init__(self, session: rt.Session) -> None:
        self.session = session
        self.lock = threading.Lock()
        self.turns = 0


class SessionPool:
    """The server's realtime sessions, one per conversation id; thread-safe."""

    def __init__(self, agent: rt.RealtimeAgent, target: Target) -> None:
        self._agent = agent
        self._target = target
        self._guard = LiveGuard(target)
        self._config = rt.RunConfig(
            model_settings=rt.SessionModelSettings(output_modalities=["text"]), raw_events=False
        )
        self._lock = threading.Lock()
        self._conversations: dict[str, Conversation] = {}
        self._closed = False
        self.opened = 0
        self.closed = 0
        self.active_turns = 0
        self.max_active_turns = 0
        self.skip: SkipExample | None = None

    def _conversation(self, cid: str) -> Conversation:
        try:
            return self._open(cid)
        except rt.RealtimeError as err:  # the skip rules may probe: not under the pool lock
            raise self._guard.fail(err, "the session could not start") from err

    def _open(self, cid: str) -> Conversation:
        with self._lock:
            if self._closed:
                raise ExampleFailure("the server is shutting down")
            conversation = self._conversations.get(cid)
            if conversation is None:
                session = rt.run(self._agent, config=self._config,
                                 model_config=self._target.model_config)
                conversation = self._conversations[cid] = Conversation(session)
                self.opened += 1
                say(f"[session] opened for conversation {cid}")
            return conversation

    def turn(self, cid: str, text: str) -> dict[str, Any]:
        """Run one turn on the conversation's session (waiting for its previous turn)."""
        conversation = self._conversation(cid)
        printer = EventPrinter(prefix=f"  {cid} ")
        with conversation.lock:
            with self._lock:
                self.active_turns += 1
                self.max_active_turns = max(self.max_active_turns, self.active_turns)
            try:
                reply = run_turn(conversation.session, text, printer, self._guard,
                                 self._target.timeout_s)
            except BaseException:
                self._drop(cid, conversation)  # its state is unknown: the next turn starts anew
                raise
            finally:
                with self._lock:
                    self.active_turns -= 1
            conversation.turns += 1
            return {"reply": reply, "agent": printer.agent_name, "turn": conversation.turns}

    def _drop(self, cid: str, conversation: Conversation) -> None:
        """Forget and close a conversation's session after a failed turn."""
        with self._lock:
            if self._conversations.get(cid) is not conversation:
                return
            del self._conversations[cid]
            self.closed += 1
        conversation.session.close()
        say(f"[session] closed conversation {cid} after a failed turn")

    def close_all(self) -> None:
        """Refuse new conversations and close every session."""
        with self._lock:
            self._closed = True
            conversations, self._conversations = dict(self._conversations), {}
        for cid, conversation in conversations.items():
            with conversation.lock:  # let a turn in progress finish first
                conversation.session.close()
            with self._lock:
                self.closed += 1
            say(f"[session] closed conversation {cid} after {conversation.turns} turn(s)")


class ChatServer(ThreadingHTTPServer):
    """A threading HTTP server whose request threads are joined by ``server_close()``."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, pool: SessionPool) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.pool = pool


class ChatHandler(BaseHTTPRequestHandler):
    """``POST /conversations/<id>/turns``: one turn on that conversation's session."""

    server: ChatServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (the example prints its own lines)."""

    def do_POST(self) -> None:
        """Parse the request, run the turn and answer JSON."""
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "conversations" or parts[2] != "turns":
            self._answer(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            text = json.loads(self.rfile.read(length))["text"]
            if not isinstance(text, str) or not text:
                raise ValueError("text must be a non-empty string")
        except (ValueError, KeyError, TypeError) as err:
            self._answer(HTTPStatus.BAD_REQUEST, {"error": f"bad request body: {err}"})
            return
        pool = self.server.pool
        try:
            self._answer(HTTPStatus.OK, pool.turn(parts[1], text))
        except SkipExample as skip:
            pool.skip = skip
            self._answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": f"skipped: {skip.reason}"})
        except (ExampleFailure, rt.RealtimeError) as err:
            say(f"[http] turn failed for {parts[1]}: {err}")
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(err)})

    def _answer(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def client(base: str, number: int, timeout: float) -> list[tuple[int, dict[str, Any]]]:
    """One client: its conversation's turns, one after another."""
    answers: list[tuple[int, dict[str, Any]]] = []
    for template in TURNS:
        body = json.dumps({"text": template.format(n=number)}).encode()
        request = urllib.request.Request(f"{base}/conversations/c{number}/turns", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, answer = response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            status, answer = err.code, json.loads(err.read() or b"{}")
        detail = answer.get("reply") if status == 200 else answer.get("error")
        say(f"[http] c{number} turn {len(answers) + 1} -> {status}: {detail}")
        answers.append((status, answer))
        if status != 200:
            break  # the conversation cannot go on
    return answers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this example."""
    parser.add_argument("--clients", type=int, default=6,
                        help="concurrent clients, each with its own conversation (default 6)")


def main(args: argparse.Namespace) -> int:
    """Serve, load the server from client threads, shut down, print the summary."""
    assistant = rt.agent("Concierge", instructions="Answer in one short sentence.")
    with connect(args, Scenario(reply=scripted_reply)) as target:
        pool = SessionPool(assistant, target)
        server = ChatServer(pool)
        serving = threading.Thread(target=server.serve_forever, name="http-server")
        serving.start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        say(f"[http] serving {base} ({args.clients} clients x {len(TURNS)} turns)")
        try:
            with ThreadPoolExecutor(args.clients, thread_name_prefix="client") as clients:
                futures = [clients.submit(client, base, n, target.timeout_s * 2)
                           for n in range(1, args.clients + 1)]
                answers = [a for f in futures for a in f.result()]
        finally:
            server.shutdown()  # stop accepting
            server.server_close()  # join the request threads
            serving.join()
            pool.close_all()
            say("[http] server stopped")
    if pool.skip is not None:
        raise pool.skip
    ok = sum(status == 200 for status, _ in answers)
    expected = args.clients * len(TURNS)
    say(summary_line(requests=len(answers), ok=ok, failed=len(answers) - ok,
                     sessions_opened=pool.opened, sessions_closed=pool.closed,
                     max_concurrent_turns=pool.max_active_turns))
    return 0 if ok == expected and pool.opened == pool.closed == args.clients else 1


if __name__ == "__main__":
    sys.exit(run_example(main, __doc__ or "", add_arguments))
