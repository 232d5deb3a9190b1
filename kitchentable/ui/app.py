"""Start-up wiring of the desktop app: QApplication, language, style, logging, the main window.

Owns `run_gui(path, demo)` (called by `kitchentable` and `kitchentable --demo` through
`kitchentable.__main__`), taking the profile's lock (one app per profile), installing
the translations (ours and Qt's qtbase) before any widget exists, loading the calm style from
resources/style.qss, the crash hook, and window geometry (the one use of QSettings). Never
opens the vault itself: the main window does that through its worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

from kitchentable import __version__
from kitchentable.i18n import _
from kitchentable.logs import setup_logging
from kitchentable.paths import APP_AUTHOR, APP_NAME, resources_dir
from kitchentable.ui.profile_lock import ProfileLock


def style_sheet() -> str:
    path = resources_dir() / "style.qss"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def prepare_application(app: QApplication) -> None:
    """Everything an application needs before the first window; also used by screenshots."""
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationVersion(__version__)
    app.setStyle("Fusion")  # the same calm look on every platform; QSS refines it
    icon = resources_dir() / "icons" / "kitchentable.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(style_sheet())


def initial_language() -> str:
    """KITCHENTABLE_LANG, else Dutch; the profile's own language follows once it is read
    (on the worker: reading it here would load the whole core before the window shows)."""
    return os.environ.get("KITCHENTABLE_LANG") or "nl"


def run_gui(path: Path, demo: bool = False, prepare: Callable[[Path], object] | None = None) -> int:
    """The app on the profile at `path`; `prepare(path)` (the demo's set-up) runs once the
    app holds the profile's lock, so two starts never build the same profile at once."""
    setup_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    prepare_application(app)

    from kitchentable.ui.errors import install_excepthook
    from kitchentable.ui.main_window import MainWindow, first_geometry
    from kitchentable.ui.translations import apply_language

    apply_language(initial_language())
    install_excepthook()
    from kitchentable.presets import PresetsError, installation_presets

    try:
        installation_presets()
    except PresetsError as error:
        return _refuse(str(error))
    lock = ProfileLock(path)
    problem = lock.acquire()
    if problem is not None:
        if demo:
            problem += " " + _(
                "A second demo needs a profile of its own: run-demo --profile FOLDER."
            )
        return _refuse(problem)
    app.aboutToQuit.connect(lock.release)
    if prepare is not None:
        prepare(path)
    window = MainWindow(path, demo=demo)
    geometry = QSettings()
    saved = geometry.value("main/geometry")
    if saved is not None:
        window.restoreGeometry(saved)
        available = window.screen().availableGeometry()
        if not available.contains(window.frameGeometry()):
            # Saved on a larger screen (or with a docking station): start as a new window.
            window.setGeometry(first_geometry(available))
    app.aboutToQuit.connect(lambda: geometry.setValue("main/geometry", window.saveGeometry()))
    window.show()
    return app.exec()


def _refuse(sentence: str) -> int:
    """Started from an icon there is no terminal: say it in a window and on stderr, then stop."""
    from PySide6.QtWidgets import QMessageBox

    print(sentence, file=sys.stderr)
    QMessageBox(QMessageBox.Icon.Warning, _("Kitchentable"), sentence).exec()
    return 1
