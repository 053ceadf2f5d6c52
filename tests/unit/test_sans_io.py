"""The protocol core and the session state machine do no I/O: no sockets, threads or actors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import realtime_actors

PACKAGE = Path(realtime_actors.__file__).parent
FORBIDDEN = {
    "socket", "select", "selectors", "ssl", "threading", "asyncio", "websocket", "websockets",
    "requests", "pykka", "http", "urllib3", "subprocess",
}
SANS_IO = [
    *sorted((PACKAGE / "protocol").glob("*.py")),
    *sorted((PACKAGE / "session" / "core").glob("*.py")),
    # the playback tracker takes a lock: the user's audio thread reports into it
    *sorted(p for p in (PACKAGE / "audio").glob("*.py") if p.name != "playback.py"),
    PACKAGE / "transport" / "reconnect.py",
    PACKAGE / "transport" / "limits.py",
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", SANS_IO, ids=lambda p: p.name)
def test_module_imports_no_io(path: Path) -> None:
    assert imported_modules(path) & FORBIDDEN == set()


def test_the_check_sees_real_imports() -> None:
    # the reactor really does I/O: the scan must notice, or the test above proves nothing
    assert {"selectors", "socket", "threading"} <= imported_modules(
        PACKAGE / "reactor" / "core.py")
    assert {"socket", "ssl", "websocket", "websockets"} <= imported_modules(
        PACKAGE / "reactor" / "connection.py")
