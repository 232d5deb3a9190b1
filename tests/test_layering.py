"""Dependencies point one way, with no circles, and only the UI imports Qt — read statically.

The arrows come from every import statement in the package (tests/layering.py reads them
with `ast`: top-level, inside functions, under TYPE_CHECKING), so a lazy import cannot hide
an arrow. The map below is DESIGN.md §2 written out: `ui → services → {sync, render, storage,
formengine, domain}`; the front ends (ui, cli) may use the pure layers (domain, formengine)
directly but reach storage, sync and render only through services; `office` shares
`sync.protocol` (with `sync.wire`, `sync.pinning`) and `storage.crypto`, never the app.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import kitchentable
from tests.layering import Arrow, arrows, cycles, qt_outside, wrong_way

PACKAGE = "kitchentable"
ROOT = Path(kitchentable.__file__).parent

# Used by everything: where things live, translation, errors for people, logging, settings.
BASE = {"paths", "i18n", "errors", "logs", "config"}
# component (first name below kitchentable) → what it may import besides itself.
ALLOWED: dict[str, set[str]] = {
    "paths": set(),
    "config": set(),
    "i18n": {"paths"},
    "errors": {"i18n"},
    "logs": {"paths"},
    "i18n_tools": {"i18n", "paths"},
    "catalogue": {"i18n"},
    "codelists": {"paths"},  # the iStandaarden code lists shipped as data (resources/codelists)
    "presets": {"config", "errors", "i18n", "paths"},
    "domain": BASE,
    "formengine": BASE | {"domain", "codelists"},
    "storage": BASE | {"domain"},
    "casefile": BASE | {"domain", "formengine", "storage"},  # the case file format
    "render": BASE | {"domain", "formengine"},
    "sync": BASE | {"domain", "formengine", "storage", "casefile"},
    "services": BASE
    | {"sync", "render", "storage", "formengine", "domain", "casefile", "presets", "catalogue"},
    # publish checks assignments and form files exactly as the laptop will load them
    "office": BASE
    | {
        "sync.protocol",
        "sync.wire",
        "sync.pinning",
        "storage.crypto",
        "casefile",
        "formengine",
        "codelists",
    },
    # demo: the demo profile's passphrase on the unlock screen, and the screenshot tool's profile
    "ui": BASE | {"services", "domain", "formengine", "presets", "catalogue", "demo"},
    "cli": BASE
    | {
        "services",
        "domain",
        "formengine",
        "presets",
        "catalogue",
        "selftest",
        "demo",
        "cli_common",
        "cli_plan",
        "cli_sync",
        "cli_verify",
    },
    "cli_common": BASE | {"services"},
    "cli_sync": BASE | {"services", "catalogue", "cli_common"},
    "cli_plan": BASE | {"services", "domain"},
    "cli_verify": BASE | {"services"},
    "demo": BASE | {"services"},
    # The installation check exercises each core layer on purpose (never Qt: ui.selfcheck).
    "selftest": BASE | {"services", "presets", "render", "storage", "formengine"},
    # the composition root: the CLI, the demo profile, and the app's parts for them
    "__main__": BASE | {"cli", "ui", "demo"},
}


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def check(root: Path, package: str, allowed: dict[str, set[str]], exceptions=None) -> list[str]:
    """Every problem as a sentence: wrong-way arrows, circles, Qt outside the UI."""
    found = arrows(root, package)
    problems = [f"wrong way: {a}" for a in wrong_way(found, allowed, package, exceptions or {})]
    problems += [f"circle: {' ↔ '.join(group)}" for group in cycles(found, package)]
    problems += [f"Qt outside ui: {a}" for a in qt_outside(found, package)]
    return problems


# --- the package ------------------------------------------------------------------------


def test_every_arrow_points_the_agreed_way() -> None:
    found = arrows(ROOT, PACKAGE)
    bad = wrong_way(found, ALLOWED, PACKAGE)
    assert not bad, "\n".join(map(str, bad))


def test_no_module_imports_itself_around_a_circle() -> None:
    groups = cycles(arrows(ROOT, PACKAGE), PACKAGE)
    assert not groups, "\n".join(" ↔ ".join(map(_short, g)) for g in groups)


def test_only_the_ui_imports_qt() -> None:
    outside = qt_outside(arrows(ROOT, PACKAGE), PACKAGE)
    assert not outside, "\n".join(map(str, outside))


def test_the_map_knows_every_part_of_the_tree() -> None:
    parts = {_short(m.name).split(".")[0] for m in pkgutil.iter_modules([str(ROOT)])}
    assert parts <= set(ALLOWED), f"place these in ALLOWED: {sorted(parts - set(ALLOWED))}"


def test_no_core_module_loads_pyside6_when_imported() -> None:
    """The same promise at run time: import every non-UI module in a fresh interpreter."""
    modules = [
        info.name
        for info in pkgutil.walk_packages(kitchentable.__path__, PACKAGE + ".")
        if not info.name.startswith(f"{PACKAGE}.ui") and info.name != f"{PACKAGE}.__main__"
    ]
    assert f"{PACKAGE}.services.sync" in modules and f"{PACKAGE}.storage.keys" in modules
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
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile"}, f"{path}:{node.lineno}"


# --- the checker catches what it must (planted packages) ------------------------------


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "planted"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


PLANTED_MAP = {"ui": {"services"}, "services": {"storage"}, "storage": set()}
CLEAN = {
    "ui/__init__.py": "",
    "ui/window.py": "from planted.services import cases\n",
    "services/__init__.py": "",
    "services/cases.py": "from planted.storage import db\n",
    "storage/__init__.py": "",
    "storage/db.py": "import sqlite3\n",
}


def test_a_clean_planted_package_passes(tmp_path: Path) -> None:
    assert check(plant(tmp_path, CLEAN), "planted", PLANTED_MAP) == []


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("top level", "from planted.ui import window\n"),
        ("inside a function", "def later():\n    from planted.ui.window import x\n"),
        (
            "under TYPE_CHECKING",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import planted.ui.window\n",
        ),
        ("relative", "from ..ui import window\n"),
    ],
)
def test_a_planted_wrong_way_import_fails(tmp_path: Path, where: str, text: str) -> None:
    files = {**CLEAN, "storage/db.py": text}
    problems = check(plant(tmp_path, files), "planted", PLANTED_MAP)
    assert any(p.startswith("wrong way: planted.storage.db -> planted.ui") for p in problems), (
        where,
        problems,
    )


def test_a_planted_cycle_fails(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "services/cases.py": "from planted.services import plans\n",
        "services/plans.py": "def f():\n    from planted.services.cases import g\n",
    }
    problems = check(plant(tmp_path, files), "planted", PLANTED_MAP)
    assert "circle: planted.services.cases ↔ planted.services.plans" in problems, problems


def test_a_planted_three_module_cycle_across_layers_fails(tmp_path: Path) -> None:
    files = {**CLEAN, "storage/db.py": "import planted.ui.window\n"}
    problems = check(plant(tmp_path, files), "planted", PLANTED_MAP)
    assert any(
        p.startswith("circle: ") and "planted.storage.db" in p and "planted.ui.window" in p
        for p in problems
    ), problems


def test_planted_qt_outside_the_ui_fails(tmp_path: Path) -> None:
    files = {
        **CLEAN,
        "services/cases.py": "def show():\n    from PySide6.QtWidgets import QLabel\n",
    }
    problems = check(plant(tmp_path, files), "planted", PLANTED_MAP)
    assert any(p.startswith("Qt outside ui: planted.services.cases -> PySide6") for p in problems)


def test_an_arrow_prints_where_it_is() -> None:
    assert str(Arrow("a.b", "a.c", 7)) == "a.b -> a.c (line 7)"
