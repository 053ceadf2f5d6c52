"""The two-host Ray cluster example runs offline (alone: it starts its own Ray)."""

from __future__ import annotations

from pathlib import Path

from tests.examples.support import clean_env, run


def test_cluster_example_places_drains_and_carries_on(tmp_path: Path) -> None:
    (tmp_path / "codex-home").mkdir()
    result = run("cluster_two_hosts", [], clean_env(tmp_path / "codex-home"), tmp_path)
    assert result.code == 0, result.describe()
    assert "[mode] offline" in result.out, result.describe()
    assert "Traceback" not in result.err and "WARNING" not in result.out, result.describe()
    assert result.summary() == {"turns": "6", "hosts": "2", "moved": "2"}
    placed = result.lines("[placed]")[0]
    assert "host-a" in placed and "host-b" in placed  # least-loaded placement used both
    assert result.lines("[after drain]") and all(
        line.endswith("now on host-b") for line in result.lines("[after drain]"))
