"""The sync area on the case list: status line, progress, and its buttons.

Owns the widgets of the sync area (Synchronise | Connect to the office… | Resolve
conflicts…) and showing the controller's state in them; the dialogs are in sync_dialogs,
when and how sync runs in sync_controller. Never calls services itself.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.i18n import _
from kitchentable.ui.errors import message_for
from kitchentable.ui.sync_controller import SyncController
from kitchentable.ui.sync_dialogs import open_conflicts, open_connect
from kitchentable.ui.sync_status import progress_text


class SyncPanel(QFrame):
    """Status line, progress, and the buttons: Synchronise | Connect… | Resolve conflicts…"""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.controller = controller
        self._build()
        controller.changed.connect(self.render)
        controller.failed.connect(self.show_error)
        self.render()

    def _build(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 10, 8)
        row.setSpacing(10)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.status = QLabel(self)
        self.status.setAccessibleName(_("Synchronisation status"))
        texts.addWidget(self.status)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(_("Synchronisation message"))
        self.error.hide()
        texts.addWidget(self.error)
        row.addLayout(texts, 1)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("muted")
        row.addWidget(self.progress_label)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 10)
        self.progress.setFixedHeight(8)
        self.progress.setAccessibleName(_("Synchronisation progress"))
        row.addWidget(self.progress)
        self.conflicts_button = QPushButton(_("Resolve &conflicts…"), self)
        self.conflicts_button.clicked.connect(lambda: open_conflicts(self.controller, self))
        row.addWidget(self.conflicts_button)
        self.connect_button = QPushButton(_("Connect to the off&ice…"), self)
        self.connect_button.clicked.connect(lambda: open_connect(self.controller, self))
        row.addWidget(self.connect_button)
        self.sync_button = QPushButton(_("&Synchronise"), self)
        self.sync_button.setToolTip(_("Send your work to the office and fetch new cases"))
        self.sync_button.clicked.connect(self._clicked)
        row.addWidget(self.sync_button)
        self.stop_button = QPushButton(_("S&top"), self)
        self.stop_button.setToolTip(
            _("Stop synchronising; what has not been sent goes at the next synchronisation")
        )
        self.stop_button.clicked.connect(self.controller.cancel)
        row.addWidget(self.stop_button)

    def _clicked(self) -> None:
        self.error.hide()
        self.controller.sync(manual=True)

    def show_error(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.show()

    def render(self) -> None:
        view, controller = self.controller.view, self.controller
        known = view.standing is not None
        self.status.setText(controller.status_text() or _("Checking the connection…"))
        self.status.setToolTip(message_for(view.failed) if view.failed is not None else "")
        running = view.running
        self.progress.setVisible(running)
        self.progress_label.setVisible(running and view.progress is not None)
        if view.progress is not None and view.progress.phase == "push" and view.progress.total:
            self.progress.setRange(0, view.progress.total)
            self.progress.setValue(view.progress.done)
        else:
            self.progress.setRange(0, 0)  # receiving: the number of pages is not known ahead
        if view.progress is not None:
            self.progress_label.setText(progress_text(view.progress))
        if running:
            self.error.hide()
        enrolled = controller.enrolled
        self.connect_button.setVisible(known and not enrolled)
        self.sync_button.setVisible((not known or enrolled) and not running)
        self.sync_button.setEnabled(controller.active and enrolled and not running)
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(running and not view.stopping)
        conflicts = view.standing.status.conflicts if view.standing else 0
        self.conflicts_button.setVisible(conflicts > 0)
        self.conflicts_button.setEnabled(not running and not controller.blocked)
