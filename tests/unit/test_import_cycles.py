"""No module-level import cycles in the packages: the graph of the imports a module runs when it
is imported (not those inside functions, nor those under ``if TYPE_CHECKING:``) has no cycle."""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("realtime_actors", "voice_actors")


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, whether it is a package's ``__init__``)."""
    found: dict[str, tuple[Path, bool]] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of ``body`` that run when the module is imported."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if "TYPE_CHECKING" not in ast.unparse(node.test):
                yield from _run_at_import(node.body)
            yield from _run_at_import(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody,
                          *(handler.body for handler in node.handlers)):
                yield from _run_at_import(block)
        elif isinstance(node, ast.With):
            yield from _run_at_import(node.body)


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports at module level. ``from pkg import x``
    points at ``pkg.x`` when that is a module, else at ``pkg`` (its ``__init__``)."""
    known = modules(root, packages)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in known.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        edges: set[str] = set()
        for node in _run_at_import(ast.parse(path.read_text(encoding="utf-8")).body):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names)
                continue
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{target}.{alias.name}" if target else alias.name
                edges.add(submodule if submodule in known else target)
        graph[name] = {edge for edge in edges if edge in known and edge != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` (its modules in import order, the first repeated last), or None."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_the_packages_have_no_module_level_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGES)
    assert len(graph) > 100  # the walk found the packages
    assert "realtime_actors.version" in graph["realtime_actors.cli.app"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or ())


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        ({"pkg/__init__.py": "__version__ = '1'\nfrom .a import A\n",
          "pkg/a.py": "from . import b\nA = 1\n",
          "pkg/b.py": "from . import __version__\n"},
         {"pkg", "pkg.a", "pkg.b"}),
        ({"pkg/__init__.py": "", "pkg/sub/__init__.py": "",
          "pkg/sub/x.py": "try:\n    import pkg.y\nexcept ImportError:\n    pass\n",
          "pkg/y.py": "from .sub.x import thing\n"},
         {"pkg.sub.x", "pkg.y"}),
    ],
    ids=["through-the-package-init", "absolute-and-relative"],
)
def test_a_cycle_is_found(tmp_path: Path, files: dict[str, str], cycle: set[str]) -> None:
    _write(tmp_path, files)
    found = find_cycle(import_graph(tmp_path, ("pkg",)))
    assert found is not None and set(found) == cycle


def test_imports_in_functions_and_under_type_checking_do_not_count(tmp_path: Path) -> None:
    _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from typing import TYPE_CHECKING\nfrom . import b\n"
                    "if TYPE_CHECKING:\n    from .c import C\n",
        "pkg/b.py": "def later():\n    from . import a\n",
        "pkg/c.py": "from .a import A\n",
    })
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.b"} and graph["pkg.b"] == set()
    assert find_cycle(graph) is None
