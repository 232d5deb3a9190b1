"""Turning exceptions into something a consultant can act on (Anki's aqt/errors.py idea).

Owns the one place where an exception becomes a message: `message_for` gives the sentence
(a KitchentableError's own text, or a calm general sentence for anything unexpected),
`show_error` puts it in a dialog, and `log_unexpected` writes what support needs to the log.
Never writes an exception's message or local values to the log: they may hold personal
data. Only the exception type and the code locations of the traceback are logged.
"""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from kitchentable.errors import KitchentableError
from kitchentable.i18n import _
from kitchentable.logs import log_folder

log = logging.getLogger(__name__)


def message_for(error: BaseException) -> str:
    if isinstance(error, KitchentableError):
        return str(error)
    return _(
        "Something unexpected went wrong. What you typed has been kept. If it happens again, "
        "send the log file from {folder} to the application administrator."
    ).format(folder=log_folder())


def log_unexpected(error: BaseException, tb: TracebackType | None = None) -> None:
    """Type and code locations only: an exception's text may quote an answer or a name."""
    frames = traceback.extract_tb(tb or error.__traceback__)
    where = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames)
    )
    log.error("unexpected %s at %s", type(error).__name__, where or "?")


def show_error(parent: QWidget | None, error: BaseException) -> None:
    if not isinstance(error, KitchentableError):
        log_unexpected(error)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_("Kitchentable"))
    box.setText(message_for(error))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAccessibleName(_("Message"))
    box.open()


def install_excepthook() -> None:
    """An exception escaping a slot: log it without personal data and tell the consultant."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        log_unexpected(error, tb)
        try:
            show_error(None, error)
        except Exception:
            sys.__excepthook__(kind, error, tb)

    sys.excepthook = hook
