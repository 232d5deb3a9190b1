"""The section navigator: every visible section with its progress and an honest mark.

Owns the list on the left of the conversation and the marks drawn in it: an amber dot when
the section's own visible required questions are open, one of its answers is wrong, or a
legal topic is open whose closing questions are all in this section; a green tick when it is
complete; otherwise a grey ring. Refreshes only the sections a change report names. Emits
`chosen(section_id)` when the current row moves (arrow keys) and `opened(section_id)` on a
click or Enter (the page then puts the focus on the section's first field). No type-ahead:
a letter typed here never jumps to another section. Never switches pages or reads storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from kitchentable.formengine.model import Form
from kitchentable.formengine.session import ConversationState
from kitchentable.i18n import _

SECTION_ROLE = Qt.ItemDataRole.UserRole + 1


@cache
def mark_icon(kind: str) -> QIcon:
    """'open' amber dot, 'done' green tick, 'todo' grey ring; drawn, so they scale crisply."""
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pad = size * 0.18
        if kind == "open":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#c26a00"))
            painter.drawEllipse(QPointF(size / 2, size / 2), size / 2 - pad, size / 2 - pad)
        elif kind == "done":
            pen = QPen(QColor("#2e7d4f"), size * 0.14)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            path = QPainterPath(QPointF(pad, size * 0.55))
            path.lineTo(size * 0.42, size - pad * 1.3)
            path.lineTo(size - pad, pad * 1.2)
            painter.drawPath(path)
        else:
            painter.setPen(QPen(QColor("#8a8f98"), size * 0.09))
            painter.drawEllipse(QPointF(size / 2, size / 2), size / 2 - pad, size / 2 - pad)
        painter.end()
        icon.addPixmap(pixmap, QIcon.Mode.Normal)
        icon.addPixmap(pixmap, QIcon.Mode.Selected)
    return icon


class SectionNavigator(QListWidget):
    chosen = Signal(str)
    opened = Signal(str)

    def __init__(self, form: Form, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("navigator")
        self.setAccessibleName(_("Sections"))
        self.setIconSize(QSize(18, 18))
        self.setWordWrap(True)
        self.setSpacing(2)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap long titles when resized
        self.form = form
        self.refreshes = 0  # sections redrawn, for tests that typing redraws none
        self.rows: dict[str, int] = {}
        for row, section in enumerate(form.sections):
            item = QListWidgetItem(str(section.title), self)
            item.setData(SECTION_ROLE, section.id)
            self.rows[section.id] = row
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(lambda item: self.opened.emit(item.data(SECTION_ROLE)))
        self.itemActivated.connect(lambda item: self.opened.emit(item.data(SECTION_ROLE)))

    def keyboardSearch(self, search: str) -> None:
        """No type-ahead: text typed while the list has the focus must not jump sections."""

    def _current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is not None:
            self.chosen.emit(current.data(SECTION_ROLE))

    def select(self, section_id: str) -> None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(SECTION_ROLE) == section_id and self.currentRow() != row:
                self.blockSignals(True)
                self.setCurrentRow(row)
                self.blockSignals(False)

    def refresh(self, state: ConversationState, section_ids: Iterable[str] | None = None) -> None:
        """Every section, or only these."""
        sections = (
            self.form.sections
            if section_ids is None
            else [s for s in self.form.sections if s.id in set(section_ids)]
        )
        for section in sections:
            self.refreshes += 1
            item = self.item(self.rows[section.id])
            visible = state.section_visible(section)
            if item.isHidden() == visible:
                item.setHidden(not visible)
            if not visible:
                continue
            progress = state.progress(section)
            topics_open = state.topics_to_close_in(section)
            counts = _("{answered} of {total} answered").format(
                answered=progress.answered, total=progress.total
            )
            if progress.required_open or progress.errors:
                kind, status = "open", _("required questions open or answers to check")
            elif topics_open:
                kind, status = "open", _("legal topic still open")
            elif progress.answered == progress.total:
                kind, status = "done", _("complete")
            else:
                kind, status = "todo", ""
            item.setIcon(mark_icon(kind))
            item.setText(f"{section.title}\n{counts}")
            spoken = ", ".join(p for p in (str(section.title), counts, status) if p)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)
            item.setToolTip(spoken)
            item.setData(Qt.ItemDataRole.UserRole + 2, kind)

    def visible_ids(self) -> list[str]:
        return [
            self.item(row).data(SECTION_ROLE)
            for row in range(self.count())
            if not self.item(row).isHidden()
        ]
