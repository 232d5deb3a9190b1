"""A static import checker: the import graph of a package read with `ast`, checked against a
map of allowed arrows, for cycles, and for Qt outside the UI.

Reads every import statement in every module — at the top, inside functions, under
`if TYPE_CHECKING:` — so a lazy import is an arrow like any other. `from pkg import name`
counts as an arrow to `pkg.name` when that is a module, else to `pkg`. Used by
tests/test_layering.py on `kitchentable` and on planted packages in a temporary folder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

QT_PACKAGES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


@dataclass(frozen=True)
class Arrow:
    source: str  # module that imports
    target: str  # module imported (resolved to a module of the package), or a foreign name
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line})"


def modules(root: Path, package: str) -> dict[str, Path]:
    """Module name → file, for every .py file under root (the package folder)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([package, *parts])] = path
    return found


def _raw_imports(path: Path, name: str) -> Iterable[tuple[str, list[str], int]]:
    """(module, imported names, line) for each import statement, anywhere in the file."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names], node.lineno


def arrows(root: Path, package: str) -> list[Arrow]:
    """Every import of every module; targets inside the package resolved to modules."""
    known = modules(root, package)
    found = []
    for name, path in known.items():
        for target, names, line in _raw_imports(path, name):
            if not (target == package or target.startswith(package + ".")):
                found.append(Arrow(name, target, line))
                continue
            resolved = {f"{target}.{n}" for n in names if f"{target}.{n}" in known}
            if not resolved or len(resolved) < len(names):
                resolved.add(_module_of(target, known))
            found.extend(Arrow(name, r, line) for r in sorted(resolved) if r != name)
    return found


def _module_of(target: str, known: Mapping[str, Path]) -> str:
    while target not in known and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def component(module: str, package: str) -> str:
    """The part of the tree a module belongs to: `sync` for kitchentable.sync.push,
    `cli` for kitchentable.cli, the package name for its own __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else package


def matches(module: str, allowed: str, package: str) -> bool:
    """`allowed` names a component (`sync`) or a module and what is below it
    (`sync.protocol`); relative to the package."""
    full = f"{package}.{allowed}"
    return module == full or module.startswith(full + ".")


def wrong_way(
    found: Iterable[Arrow],
    allowed: Mapping[str, Iterable[str]],
    package: str,
    exceptions: Mapping[tuple[str, str], str] = {},
) -> list[Arrow]:
    """Arrows between components that the map does not allow (and no exception names)."""
    bad = []
    for arrow in found:
        if not arrow.target.startswith(package + ".") or arrow.target == package:
            continue  # foreign packages, and the package's own __init__ (its version)
        source, target = component(arrow.source, package), component(arrow.target, package)
        if source == target:
            continue
        if source not in allowed:
            bad.append(arrow)  # a new part of the tree must be placed in the map
            continue
        if any(matches(arrow.target, ok, package) for ok in allowed[source]):
            continue
        if any(
            matches(arrow.source, s, package) and matches(arrow.target, t, package)
            for s, t in exceptions
        ):
            continue
        bad.append(arrow)
    return bad


def cycles(found: Iterable[Arrow], package: str) -> list[list[str]]:
    """Groups of modules that import each other, directly or around a circle (Tarjan's
    strongly connected components of more than one module)."""
    graph: dict[str, set[str]] = {}
    for arrow in found:
        if arrow.target.startswith(package + ".") or arrow.target == package:
            graph.setdefault(arrow.source, set()).add(arrow.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def qt_outside(found: Iterable[Arrow], package: str, ui: str = "ui") -> list[Arrow]:
    """Imports of a Qt binding from any module outside package.ui."""
    return [
        arrow
        for arrow in found
        if arrow.target.split(".")[0] in QT_PACKAGES and not matches(arrow.source, ui, package)
    ]
