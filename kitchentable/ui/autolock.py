"""Auto-lock: notice when the consultant has not touched the app for a while.

Owns an application-wide event filter that records the time of the last key, mouse or
wheel input, and a timer that emits `idle` once that is longer ago than `idle_ms`. Checking
a timestamp on a coarse timer keeps the filter cheap (no timer restart per mouse move).
Never locks anything itself: the main window decides what locking means.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class IdleWatcher(QObject):
    idle = Signal()

    def __init__(self, idle_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.idle_ms = idle_ms
        self._last = time.monotonic()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._installed = False

    def start(self) -> None:
        self._last = time.monotonic()
        self._timer.start(max(50, min(5000, self.idle_ms // 5)))
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def set_idle_ms(self, idle_ms: int) -> None:
        self.idle_ms = idle_ms
        if self._timer.isActive():
            self.start()

    def poke(self) -> None:
        self._last = time.monotonic()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            self._last = time.monotonic()
        return False

    def _check(self) -> None:
        if (time.monotonic() - self._last) * 1000 >= self.idle_ms:
            self.stop()
            self.idle.emit()
