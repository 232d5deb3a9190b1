"""The Linux one-folder bundle: built by packaging/build-linux.sh, it passes its self-test
with nothing of the build machine's Python around it (no venv, no PYTHONPATH, a clean PATH
and HOME), also after being moved to another folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchentable import __version__
from kitchentable.selftest import CHECKS
from kitchentable.ui.selfcheck import CHECKS as APP_CHECKS

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "packaging" / "build-linux.sh"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle is built on Linux"),
]


def clean_env(home: Path) -> dict[str, str]:
    """What a laptop's session has: no virtual environment, no PYTHONPATH, no developer PATH."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    work = tmp_path_factory.mktemp("bundle")
    # The build keeps the machine's settings (pip's index and certificates) but not the
    # test run's Python: build-linux.sh makes or reuses .venv itself.
    env = {
        k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    env["KITCHENTABLE_DIST"] = str(work / "dist")
    env["KITCHENTABLE_BUILD"] = str(work / "build")
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Bundle size: " in result.stdout
    # Somewhere else than where it was built: nothing may point back into the build.
    moved = work / "installed" / "Kitchentable"
    moved.parent.mkdir()
    shutil.move(work / "dist" / "kitchentable", moved)
    shutil.rmtree(work / "build")
    yield moved
    shutil.rmtree(work, ignore_errors=True)


def test_the_bundle_passes_its_self_test_without_the_venv(bundle: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(bundle / "kitchentable"), "--self-test"],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        lines[0]
        == f"Kitchentable {__version__} self-test (bundle: {bundle / '_internal' / 'kitchentable'})"
    )
    for name, _check in [*CHECKS, *APP_CHECKS]:
        assert any(line.startswith(f"ok   {name}") for line in lines), (name, lines)
    # Forms, fonts and catalogues come from the bundle, not from the checkout it was built in.
    assert f"ok   resources ({bundle / '_internal'})" in lines
    assert "Traceback" not in result.stderr


def test_the_bundle_knows_its_version(bundle: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(bundle / "kitchentable"), "--version"],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"kitchentable {__version__}"


def test_the_bundle_reads_presets_beside_its_executable(bundle: Path, tmp_path: Path) -> None:
    presets = bundle / "presets.json"
    presets.write_text('{"auto_lock_minutes": 2, "language": "en"}', encoding="utf-8")
    try:
        result = subprocess.run(
            [str(bundle / "kitchentable"), "--self-test"],
            capture_output=True,
            text=True,
            env=clean_env(tmp_path),
            timeout=120,
        )
    finally:
        presets.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok   presets ({presets}: auto_lock_minutes, language)" in result.stdout


def test_the_bundle_leaves_out_what_the_app_does_not_use(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert (internal / "forms" / "schema.json").is_file()
    assert list((internal / "resources" / "i18n").rglob("kitchentable.mo"))
    assert not list((internal / "resources").rglob("*.po")), "translator sources shipped"
    modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.so")}
    assert modules == {"QtCore", "QtGui", "QtWidgets", "QtPdf", "QtPdfWidgets", "QtPrintSupport"}
    translations = {p.name for p in (internal / "PySide6" / "Qt" / "translations").glob("*.qm")}
    assert "qtbase_nl.qm" in translations
    assert all(name.endswith("_nl.qm") for name in translations), translations
    for unwanted in ("babel", "pytest", "PyInstaller", "tkinter", "numpy"):
        assert not (internal / unwanted).exists(), unwanted
