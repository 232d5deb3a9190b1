"""Run by test_start: `kitchentable [ARGS]` as the console script runs it, in this process.

    child_start.py MODE ARGS...

MODE `stay` keeps the app open until it is killed (it prints "SHOWN" once the window is
up); `quit` closes the window once it shows (and prints its frame and screen); `pages`
also unlocks the demo and visits the case list and a conversation, printing the window's
frame on each page. A message box (a second app on one profile) is read and closed.
Prints "TEXT <message>" and "EXIT <code>" at the end.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from kitchentable import cli
from kitchentable.__main__ import launch
from kitchentable.demo import DEMO_PASSPHRASE

MODE = sys.argv[1]
app = QApplication(sys.argv[:1])
seen: list[str] = []
steps: list[str] = []


def report(page: str, window: QMainWindow) -> None:
    frame, screen = window.frameGeometry(), window.screen().geometry()
    print(
        f"PAGE {page} {frame.x()} {frame.y()} {frame.width()} {frame.height()} "
        f"{screen.width()} {screen.height()}",
        flush=True,
    )


def watch() -> None:
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        seen.append(box.text())
        box.close()
        return
    windows = [w for w in QApplication.topLevelWidgets() if w.objectName() == "mainWindow"]
    shown = [w for w in windows if isinstance(w, QMainWindow) and w.isVisible()]
    if shown:
        window = shown[0]
        if MODE == "stay" and not steps:
            steps.append("shown")
            print("SHOWN", flush=True)
        elif MODE == "quit":
            report("first", window)
            window.close()
            return
        elif MODE == "pages" and visit(window):
            window.close()
            return
    QTimer.singleShot(50, watch)


def visit(window) -> bool:  # the MainWindow
    """One step per call; True when every page was seen."""
    if window.wizard is not None and "wizard" not in steps:
        steps.append("wizard")
        report("wizard", window)
        return True
    if window.unlock_screen is not None and "unlock" not in steps:
        steps.append("unlock")
        report("unlock", window)
        window.unlock_screen.passphrase.setText(DEMO_PASSPHRASE)
        window.unlock_screen.try_unlock()
    elif window.cases is not None and window.cases.model.rowCount() and "cases" not in steps:
        steps.append("cases")
        report("cases", window)
        window.open_case(window.cases.model.summary(0).id)
    elif window.conversation is not None and "conversation" not in steps:
        steps.append("conversation")
        report("conversation", window)
        return True
    return False


QTimer.singleShot(50, watch)
code = cli.main(sys.argv[2:], app=launch)
print("TEXT", seen[0] if seen else "")
print("EXIT", code, flush=True)
