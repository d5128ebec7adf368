"""No import circle in bizdev_common: a module that imports one that imports it back (even
inside a function, or for type checking only) leaves a reader no place to start, and only
works as long as nobody moves a line."""

from __future__ import annotations

import ast
from pathlib import Path

import bizdev_common

PACKAGE = Path(bizdev_common.__file__).parent


def imports_of(module: Path, known: set[str]) -> set[str]:
    """The package's modules that `module` imports, wherever in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "bizdev_common":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.removeprefix("bizdev_common."))
        elif isinstance(node, ast.Import):
            found |= {alias.name.removeprefix("bizdev_common.") for alias in node.names}
    return found & known


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One path around each circle found by a depth-first walk."""
    found: list[list[str]] = []
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> None:
        for imported in sorted(graph[module]):
            if imported in path:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in done:
                walk(imported, [*path, imported])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            walk(module, [module])
    return found


def test_the_walk_finds_a_circle() -> None:
    graph = {"service": {"worker", "auth"}, "worker": {"parts", "service"}, "auth": set()}
    graph["parts"] = set()
    assert circles(graph) == [["service", "worker", "service"]]


def test_no_module_of_bizdev_common_imports_itself_back() -> None:
    known = {p.stem for p in PACKAGE.glob("*.py")}
    graph = {p.stem: imports_of(p, known) for p in PACKAGE.glob("*.py")}
    assert graph["worker"], "the graph must see the package's own imports"
    assert circles(graph) == []
