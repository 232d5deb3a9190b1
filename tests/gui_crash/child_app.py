"""Run by test_gui_crash: the real app in a process of its own, typing and reporting saves.

Prints "ACK <value>" each time the conversation page shows "saved" for the typed value,
then keeps typing until the parent kills it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["KITCHENTABLE_KDF_COST"] = "low"
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from kitchentable.formengine.loader import FormRegistry, load_form  # noqa: E402
from kitchentable.ui.main_window import MainWindow  # noqa: E402


def wait_for(app: QApplication, condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timeout")
        app.processEvents()
        time.sleep(0.005)


def main(profile: str, case_id: str, passphrase: str) -> None:
    app = QApplication([])
    forms = FormRegistry.from_directory()
    forms.add(load_form(ROOT / "tests" / "gui" / "data" / "gui-all-types.yaml"))
    window = MainWindow(Path(profile), forms=forms)
    window.show()
    wait_for(app, lambda: window.unlock_screen is not None)
    QTest.keyClicks(window.unlock_screen.passphrase, passphrase)
    QTest.keyClick(window.unlock_screen.passphrase, Qt.Key.Key_Return)
    wait_for(app, lambda: window.cases is not None and window.cases.select_case(case_id))
    QTest.keyClick(window.cases.table, Qt.Key.Key_Return)
    wait_for(app, lambda: window.conversation is not None)
    page = window.conversation
    field = page.pages[page.current].rows["roepnaam"].field.edit
    round_ = 0
    while True:
        round_ += 1
        field.clear()
        QTest.keyClicks(field, f"Henk {round_}")
        wait_for(app, lambda: not page.saver.has_pending() and page.saver.kind == "saved")
        print(f"ACK Henk {round_}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
