"""The save indicator: one fixed-size line that never moves the page.

Owns showing the autosave state (saving…, saved at HH:MM, a problem) in a label whose width
and height stay the same for every text: a text too long for it is shortened with "…" and
given whole as the tooltip and the accessible description. Never saves (AutoSaver does).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from kitchentable.i18n import _


class SaveIndicator(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("savedIndicator")
        self.setProperty("kind", "saved")
        self.setAccessibleName(_("Save status"))
        self.setWordWrap(False)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._text = ""
        self.show_state("saved", _("All answers are saved"))

    def fit(self, samples: list[str]) -> None:
        """Size for the longest of the usual texts; longer ones (problems) are shortened."""
        self.ensurePolished()
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        width = max(metrics.horizontalAdvance(s) for s in samples) + 24
        self.setFixedSize(
            width + margins.left() + margins.right(),
            metrics.height() + 8 + margins.top() + margins.bottom(),
        )
        self._elide()

    def show_state(self, kind: str, text: str) -> None:
        self._text = text
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        if self.property("kind") != kind:
            self.setProperty("kind", kind)
            self.style().unpolish(self)
            self.style().polish(self)
        self._elide()

    def full_text(self) -> str:
        return self._text

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 4
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, room)
        if shown != self.text():
            self.setText(shown)
