"""The installed package is visible to type checkers, as a user's project sees it.

``mypy --strict`` runs on the typed user script (``user_api.py``) from a temporary directory
outside the repository, with nothing on ``PYTHONPATH`` or ``MYPYPATH``: it finds
``realtime_actors`` and ``voice_actors`` only through the virtualenv's installation (``make``
installs them with ``editable_mode=compat``, a path mypy follows; setuptools' default editable
finder is invisible to it). The script's ``# type: ignore[...]`` lines must be needed, so a
package mypy could not see, or saw as ``Any``, fails the check too.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("user_api.py")
REPO = pathlib.Path(__file__).resolve().parents[2]
MYPY_TIMEOUT_S = 100


@pytest.mark.timeout(MYPY_TIMEOUT_S + 20)
def test_mypy_strict_passes_on_a_user_script_outside_the_repository(
    tmp_path: pathlib.Path,
) -> None:
    assert REPO not in tmp_path.resolve().parents
    shutil.copy(SCRIPT, tmp_path / "user_script.py")
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\nwarn_unused_ignores = True\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini",
         "--python-executable", sys.executable, "--cache-dir", str(tmp_path / "cache"),
         "user_script.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=MYPY_TIMEOUT_S,
        check=False,
    )
    output = proc.stdout + proc.stderr
    hint = ("realtime_actors is not visible to mypy from outside the repository: install it "
            "with `make install` (pip install -e . --config-settings editable_mode=compat)")
    assert "import-not-found" not in output, f"{hint}\n{output}"
    assert proc.returncode == 0, output
    assert "Success: no issues found in 1 source file" in proc.stdout, output
