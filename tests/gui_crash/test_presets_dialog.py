"""Started from an icon with a broken presets.json, the app says so in a window and stops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from kitchentable.ui.app import run_gui

app = QApplication([])
seen = []

def close_dialog():
    box = QApplication.activeModalWidget()
    if box is None:
        QTimer.singleShot(50, close_dialog)
        return
    seen.append(box.text())
    box.close()

QTimer.singleShot(50, close_dialog)
code = run_gui(Path(sys.argv[1]))
print("EXIT", code)
print("TEXT", seen[0] if seen else "")
"""


@pytest.mark.gui
def test_a_broken_presets_file_shows_a_dialog_and_stops(tmp_path: Path) -> None:
    presets = tmp_path / "presets.json"
    presets.write_text('{"auto_lock_minutes": "vijf"}', encoding="utf-8")
    env = {
        **os.environ,
        "KITCHENTABLE_PRESETS": str(presets),
        "QT_QPA_PLATFORM": "offscreen",
        "KITCHENTABLE_LANG": "en",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "profile")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "EXIT 1" in result.stdout, result.stderr
    text = next(line for line in result.stdout.splitlines() if line.startswith("TEXT "))
    assert str(presets) in text
    assert not (tmp_path / "profile").exists()  # nothing was created
