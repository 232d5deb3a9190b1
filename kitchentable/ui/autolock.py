"""Auto-lock: notice when the consultant has not touched the app for a while, and warn first.

Owns an application-wide event filter that records the time of the last key, mouse or wheel
input; a timer that emits `warning` `WARN_MS` before the idle time runs out and `idle` once
it has; and `LockWarning`, the bar that says so with a countdown and "Ik ben er nog". Any
input while it shows keeps the app open (`resumed`). The bar floats over the bottom of the
window: it takes no focus (the field being typed in keeps it, and the key typed lands there)
and moves nothing on the page. Checking a timestamp on a coarse timer keeps the filter cheap
(no timer restart per mouse move). Never locks anything itself: the main window decides
what locking means.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QWidget,
)

from kitchentable.i18n import _, ngettext

WARN_MS = 30_000  # long enough to finish a sentence to the inhabitant and touch a key

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
    warning = Signal()  # the idle time ends in warn_ms(): show the warning
    resumed = Signal()  # input arrived while the warning showed
    idle = Signal()  # the idle time is over: lock

    def __init__(self, idle_ms: int, parent: QObject | None = None, warn_ms: int = WARN_MS) -> None:
        super().__init__(parent)
        self.idle_ms = idle_ms
        self._warn_ms = warn_ms
        self._last = time.monotonic()
        self._pointer: QPointF | None = None
        self.warning_shown = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._installed = False

    def warn_ms(self) -> int:
        """How long before locking the warning shows (half the idle time when that is short)."""
        return min(self._warn_ms, self.idle_ms // 2)

    def remaining_ms(self) -> int:
        return max(0, self.idle_ms - int((time.monotonic() - self._last) * 1000))

    def start(self) -> None:
        self._last = time.monotonic()
        self._end_warning()
        self._timer.start(self._interval())
        app = QApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def stop(self) -> None:
        self._timer.stop()
        self._end_warning(quietly=True)
        app = QApplication.instance()
        if app is not None and self._installed:
            app.removeEventFilter(self)
            self._installed = False

    def set_idle_ms(self, idle_ms: int) -> None:
        self.idle_ms = idle_ms
        if self._timer.isActive():
            self.start()

    def poke(self) -> None:
        """Count as input (the warning's button; the filter also sees its click)."""
        self._last = time.monotonic()
        self._end_warning()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in _INPUT:
            if kind == QEvent.Type.MouseMove and not self._pointer_moved(event):
                return False
            self.poke()
        return False

    def _pointer_moved(self, event: QEvent) -> bool:
        """A move event without a change of position (Qt sends some when widgets appear under
        a resting pointer) is not the consultant: it must not postpone the lock forever."""
        if not isinstance(event, QMouseEvent):
            return True
        where = event.globalPosition()
        moved = self._pointer is None or where != self._pointer
        self._pointer = where
        return moved

    def _interval(self) -> int:
        # Coarse while far from the end, finer near it (the warning counts down in seconds).
        return max(50, min(5000, self.warn_ms() // 4, self.idle_ms // 5))

    def _end_warning(self, quietly: bool = False) -> None:
        if self.warning_shown:
            self.warning_shown = False
            if not quietly:
                self.resumed.emit()

    def _check(self) -> None:
        elapsed = (time.monotonic() - self._last) * 1000
        if elapsed >= self.idle_ms:
            self.stop()
            self.idle.emit()
        elif elapsed >= self.idle_ms - self.warn_ms() and not self.warning_shown:
            self.warning_shown = True
            self.warning.emit()


class LockWarning(QFrame):
    """The bar over the bottom of the window; `watcher` drives it."""

    def __init__(self, watcher: IdleWatcher, parent: QWidget) -> None:
        super().__init__(parent)
        self.watcher = watcher
        self.setObjectName("lockWarning")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 8, 8)
        self.text = QLabel(self)
        self.text.setObjectName("lockWarningText")
        self.text.setWordWrap(True)
        row.addWidget(self.text, 1)
        self.button = QPushButton(self)
        # A click keeps the app open without taking the focus from the field in use.
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.clicked.connect(watcher.poke)
        row.addWidget(self.button)
        self.retranslate()
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._count)
        watcher.warning.connect(self.appear)
        watcher.resumed.connect(self.disappear)
        watcher.idle.connect(self.disappear)
        parent.installEventFilter(self)
        self.hide()

    def retranslate(self) -> None:
        self.button.setText(_("I'm still here"))
        self.setAccessibleName(_("Kitchentable is about to lock"))

    def appear(self) -> None:
        self._count()
        self._place()
        self.show()
        self.raise_()
        self._tick.start()

    def disappear(self) -> None:
        self._tick.stop()
        self.hide()

    @staticmethod
    def message(seconds: int) -> str:
        return ngettext(
            "Kitchentable locks in {n} second. Touch a key or the mouse to keep working; "
            "everything you typed is kept either way.",
            "Kitchentable locks in {n} seconds. Touch a key or the mouse to keep working; "
            "everything you typed is kept either way.",
            seconds,
        ).format(n=seconds)

    def _count(self) -> None:
        self.text.setText(self.message(max(1, round(self.watcher.remaining_ms() / 1000))))
        if not self.watcher.warning_shown:
            self.disappear()

    def _place(self) -> None:
        parent = self.parentWidget()
        width = max(200, min(parent.width() - 32, 900))
        self.layout().activate()
        height = max(self.layout().totalHeightForWidth(width), self.minimumSizeHint().height())
        bottom = parent.height() - 16
        if isinstance(parent, QMainWindow) and parent.statusBar().isVisible():
            bottom -= parent.statusBar().height()
        self.setGeometry((parent.width() - width) // 2, bottom - height, width, height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False
