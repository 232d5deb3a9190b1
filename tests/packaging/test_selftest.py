"""`kitchentable --self-test` from source: one line per check, exit 0 only when all pass."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kitchentable import __version__
from kitchentable.selftest import CHECKS, run_self_test
from kitchentable.ui import selfcheck

ROOT = Path(__file__).resolve().parents[2]
CHECK_NAMES = [name for name, _ in [*CHECKS, *selfcheck.CHECKS]]


def _self_test() -> tuple[int, list[str]]:
    """As `kitchentable --self-test` runs it: the core's checks, then the app's (Qt)."""
    out = io.StringIO()
    code = run_self_test(out, app_checks=selfcheck.CHECKS)
    return code, out.getvalue().splitlines()


def _leftover_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("kitchentable-selftest-*")}


def test_every_check_passes_on_the_source_checkout() -> None:
    before = _leftover_folders()
    code, lines = _self_test()
    assert code == 0, "\n".join(lines)
    assert lines[0].startswith(f"Kitchentable {__version__} self-test (source: ")
    for name in CHECK_NAMES:
        assert any(line.startswith(f"ok   {name}") for line in lines), (name, lines)
    assert lines[-1].startswith(f"self-test passed: {len(CHECK_NAMES)} checks")
    assert _leftover_folders() <= before, "the temporary profile was not removed"


def test_the_checks_cover_vault_forms_pdf_seal_and_qt() -> None:
    assert {"vault", "forms", "import", "pdf", "version", "seal", "qt"} <= set(CHECK_NAMES)


def test_the_core_self_test_loads_no_qt() -> None:
    """The Qt check lives in the app (ui.selfcheck); the core's checks run without Qt."""
    script = (
        "import io, sys\n"
        "from kitchentable.selftest import run_self_test\n"
        "code = run_self_test(io.StringIO())\n"
        "print(code, sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.stdout.strip() == "0 []", result.stdout + result.stderr


def test_it_never_touches_the_consultants_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "own-profile"
    monkeypatch.setenv("KITCHENTABLE_PROFILE", str(own))
    code, _lines = _self_test()
    assert code == 0
    assert not own.exists()


def test_a_broken_form_fails_the_forms_check_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.yaml").write_text("id: broken\nsections: [\n", encoding="utf-8")
    monkeypatch.setenv("KITCHENTABLE_EXTRA_FORMS", str(tmp_path))
    code, lines = _self_test()
    assert code == 1
    assert any(line.startswith("FAIL forms: ") and "broken.yaml" in line for line in lines), lines
    assert lines[-1].startswith("self-test FAILED: ")
    assert not any("Traceback" in line for line in lines)


def test_a_broken_presets_file_fails_the_presets_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    presets = tmp_path / "presets.json"
    presets.write_text('{"auto_lock_minutes": "five"}', encoding="utf-8")
    monkeypatch.setenv("KITCHENTABLE_PRESETS", str(presets))
    code, lines = _self_test()
    assert code == 1
    failed = [line for line in lines if line.startswith("FAIL presets: ")]
    assert failed and "auto_lock_minutes" in failed[0], lines
    # The other checks still run and pass: one broken file does not hide the rest.
    assert any(line.startswith("ok   pdf") for line in lines)


def test_the_command_line_flag_runs_it() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("KITCHENTABLE_PRESETS", None)
    result = subprocess.run(
        [sys.executable, "-m", "kitchentable", "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    assert "Traceback" not in result.stderr
