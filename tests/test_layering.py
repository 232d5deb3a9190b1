"""The core knows nothing of Qt: importing every non-UI module loads no PySide6 module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import kitchentable


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(kitchentable.__path__, "kitchentable."):
        if info.name.startswith("kitchentable.ui"):
            continue
        names.append(info.name)
    return names


def test_no_core_module_imports_pyside6() -> None:
    modules = _core_modules()
    assert "kitchentable.services" in modules and "kitchentable.storage.keys" in modules
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"Qt loaded by the core: {result.stdout}"


def test_no_eval_or_exec_in_the_package() -> None:
    import ast
    from pathlib import Path

    for path in Path(kitchentable.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile"}, f"{path}:{node.lineno}"
