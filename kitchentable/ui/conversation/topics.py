"""The checklist of legal topics still open (Wmo 2015 art. 2.3.2): what the law asks to cover.

Owns listing every required topic of the form with a mark (open or covered), keeping the
first open one in view (the list is short on a laptop screen, the open ones may be far down),
and letting the consultant jump to a topic (`jump(topic_id)`: the page goes to the question
that would close it). Redrawn only when a change report says a topic opened or closed. Never
decides when a topic is covered (the form engine's `open_topics` does).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from kitchentable.formengine.model import Form
from kitchentable.formengine.session import ConversationState
from kitchentable.i18n import _
from kitchentable.ui.conversation.navigator import mark_icon

TOPIC_ROLE = Qt.ItemDataRole.UserRole + 1
OPEN_ROLE = Qt.ItemDataRole.UserRole + 2


class TopicsChecklist(QWidget):
    jump = Signal(str)  # a legal topic id

    def __init__(self, form: Form, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.refreshes = 0  # for tests that typing redraws nothing here
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(self)
        self.heading.setObjectName("panelHeading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.list = QListWidget(self)
        self.list.setObjectName("topics")
        self.list.setAccessibleName(_("Legal topics"))
        self.list.setWordWrap(True)
        self.list.setIconSize(QSize(16, 16))
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)  # re-wrap long titles when resized
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        layout.addWidget(self.list)
        self.topics = [t for t in form.legal_topics if t.required]
        for topic in self.topics:
            item = QListWidgetItem(str(topic.label), self.list)
            item.setData(TOPIC_ROLE, topic.id)
            item.setToolTip(f"{topic.label} ({topic.article})")
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)

    def refresh(self, state: ConversationState) -> None:
        self.refreshes += 1
        open_ids = {t.id for t in state.open_topics()}
        for row, topic in enumerate(self.topics):
            item = self.list.item(row)
            is_open = topic.id in open_ids
            item.setIcon(mark_icon("open" if is_open else "done"))
            item.setData(OPEN_ROLE, is_open)
            state_text = _("still open") if is_open else _("covered")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{topic.label}: {state_text}")
        first_open = next((r for r, t in enumerate(self.topics) if t.id in open_ids), None)
        if first_open is not None:
            self.list.scrollToItem(self.list.item(first_open))
        count = len(open_ids & {t.id for t in self.topics})
        self.heading.setText(
            _("Legal topics still open: {n}").format(n=count)
            if count
            else _("All legal topics covered")
        )

    def open_topic_ids(self) -> list[str]:
        return [
            self.list.item(row).data(TOPIC_ROLE)
            for row in range(self.list.count())
            if self.list.item(row).data(OPEN_ROLE)
        ]

    def _activated(self, item: QListWidgetItem) -> None:
        self.jump.emit(item.data(TOPIC_ROLE))
