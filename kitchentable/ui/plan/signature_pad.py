"""A signature pad: pen (with pressure), touch and mouse; undo and clear.

Owns capturing strokes as lists of (x, y, pressure) in a 0..1 box (x right, y down), which
is the form the plan stores (sealed) and the PDF draws as vector paths, and telling a
signature from a stray touch (a dot or a tick is not one: `signed()`). Never stores anything
itself: `strokes()` hands them to whoever signs.
"""

from __future__ import annotations

import math
from itertools import pairwise

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from kitchentable.i18n import _

Point = tuple[float, float, float]
MOUSE_PRESSURE = 0.5
# Ink a signature needs, as a share of the pad's width: initials are more, a finger resting
# on the screen or a click to see whether the pad works is less.
MIN_INK = 0.1


class SignatureCanvas(QWidget):
    """The drawing surface. Emits `changed` after every finished or removed stroke."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._strokes: list[list[Point]] = []
        self._current: list[Point] | None = None
        self.setMinimumSize(320, 130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName(_("Signature field: sign with pen, finger or mouse"))

    # -- data -------------------------------------------------------------------------------
    def strokes(self) -> tuple[tuple[Point, ...], ...]:
        return tuple(tuple(s) for s in self._strokes if len(s) > 1)

    def is_empty(self) -> bool:
        return not self.strokes()

    def ink(self) -> float:
        """The length of all strokes, in pad widths (a height counts at the pad's aspect)."""
        aspect = self.height() / max(1, self.width())
        return sum(
            math.hypot(x2 - x1, (y2 - y1) * aspect)
            for stroke in self._strokes
            for (x1, y1, _p1), (x2, y2, _p2) in pairwise(stroke)
        )

    def signed(self) -> bool:
        return self.ink() >= MIN_INK

    def clear(self) -> None:
        self._strokes.clear()
        self._current = None
        self.update()
        self.changed.emit()

    def undo(self) -> None:
        if self._strokes:
            self._strokes.pop()
            self.update()
            self.changed.emit()

    # -- input ------------------------------------------------------------------------------
    def _normalised(self, position: QPointF, pressure: float) -> Point:
        width, height = max(1, self.width()), max(1, self.height())
        x = min(1.0, max(0.0, position.x() / width))
        y = min(1.0, max(0.0, position.y() / height))
        return (round(x, 4), round(y, 4), round(min(1.0, max(0.05, pressure)), 3))

    def _begin(self, point: Point) -> None:
        self._current = [point]
        self._strokes.append(self._current)

    def _extend(self, point: Point) -> None:
        if self._current is not None and point[:2] != self._current[-1][:2]:
            self._current.append(point)
            self.update()

    def _end(self) -> None:
        if self._current is not None:
            if len(self._current) < 2:  # a dot: make it a tiny stroke so it shows
                x, y, p = self._current[0]
                self._current.append((min(1.0, x + 0.003), y, p))
            self._current = None
            self.update()
            self.changed.emit()

    def tabletEvent(self, event: QTabletEvent) -> None:
        point = self._normalised(event.position(), event.pressure())
        match event.type():
            case QTabletEvent.Type.TabletPress:
                self._begin(point)
            case QTabletEvent.Type.TabletMove:
                self._extend(point)
            case QTabletEvent.Type.TabletRelease:
                self._end()
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._begin(self._normalised(event.position(), MOUSE_PRESSURE))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._extend(self._normalised(event.position(), MOUSE_PRESSURE))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._end()

    def event(self, event: object) -> bool:
        if isinstance(event, QTouchEvent) and event.points():
            touch = event.points()[0]
            point = self._normalised(touch.position(), touch.pressure() or MOUSE_PRESSURE)
            if event.type() == QTouchEvent.Type.TouchBegin:
                self._begin(point)
            elif event.type() == QTouchEvent.Type.TouchUpdate:
                self._extend(point)
            else:
                self._end()
            event.accept()
            return True
        return super().event(event)  # type: ignore[arg-type]

    # -- drawing ----------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QPen(QColor("#c9d1da"), 1))
        baseline = self.height() - 22
        painter.drawLine(16, baseline, self.width() - 16, baseline)
        if self.is_empty() and self._current is None:
            painter.setPen(QColor("#8a939e"))
            painter.drawText(20, baseline - 8, _("Sign here"))
        width, height = self.width(), self.height()
        for stroke in self._strokes:
            for (x1, y1, p1), (x2, y2, p2) in pairwise(stroke):
                pen = QPen(QColor("#14213d"), 1.2 + 3.0 * (p1 + p2) / 2)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawLine(QPointF(x1 * width, y1 * height), QPointF(x2 * width, y2 * height))
        painter.end()


class SignaturePad(QWidget):
    """A titled canvas with Undo and Clear."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = SignatureCanvas(self)
        self.canvas.changed.connect(self.changed)
        # Each child gets its parent at birth: the row's layout is not on a widget yet, and a
        # widget Qt reparents later stays Python's to shiboken (tests.qtkit says why it crashes).
        heading = QLabel(title, self)
        heading.setObjectName("signatureHeading")
        heading.setWordWrap(True)  # a long name wraps; the panel never grows sideways
        self.undo_button = QPushButton(_("Undo"), self)
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = QPushButton(_("Clear"), self)
        self.clear_button.clicked.connect(self.canvas.clear)
        for button in (self.undo_button, self.clear_button):
            button.setAccessibleName(f"{button.text()} – {title}")
        buttons = QHBoxLayout()
        buttons.addWidget(heading, 1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.canvas)

    def strokes(self) -> tuple[tuple[Point, ...], ...]:
        return self.canvas.strokes()
