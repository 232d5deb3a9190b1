"""The sync dialogs: "Connect to the office" and the conflicts dialog with both versions.

Owns entering the server address, one-time code and (optionally) fingerprint, and showing
two versions of a case side by side so the consultant chooses which to keep (the rows come
ready from services.sync). Every call goes through the SyncController (sync_controller);
never calls services itself, and a dialog keeps no case content after it closes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QSysInfo, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.i18n import _
from kitchentable.ui.errors import message_for

if TYPE_CHECKING:
    from kitchentable.services.sync import ConflictView, VersionRow
    from kitchentable.ui.sync_controller import SyncController

log = logging.getLogger(__name__)


def open_connect(controller: SyncController, anchor: QWidget) -> ConnectDialog:
    window = anchor.window()
    office_url = getattr(getattr(window, "settings", None), "office_url", "") or ""
    dialog = ConnectDialog(controller, office_url, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def open_conflicts(controller: SyncController, anchor: QWidget) -> ConflictsDialog:
    dialog = ConflictsDialog(controller, anchor.window())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


# --- connect to the office ----------------------------------------------------------------


class ConnectDialog(QDialog):
    def __init__(
        self, controller: SyncController, office_url: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("connectDialog")
        self.setWindowTitle(_("Connect to the office"))
        self.controller = controller
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 44)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel(
            _(
                "Enter the office server's address and the one-time code the office gave "
                "you. The code works once and only for a short time."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.server = QLineEdit(office_url, self)
        self.server.setPlaceholderText("https://kitchentable.gemeente.nl")
        self.server.setAccessibleName(_("Server address"))
        form.addRow(_("Server &address"), self.server)
        self.code = QLineEdit(self)
        self.code.setPlaceholderText("XXXX-XXXX-XXXX-XXXX")
        self.code.setAccessibleName(_("One-time code"))
        form.addRow(_("One-time &code"), self.code)
        layout.addLayout(form)
        self._build_details(layout)
        self.message = QLabel(self)
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        self.done_note = QLabel(self)
        self.done_note.setObjectName("notice")
        self.done_note.setWordWrap(True)
        self.done_note.hide()
        layout.addWidget(self.done_note)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        layout.addWidget(self.busy)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = QPushButton(_("Cancel"), self)
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        self.connect_button = QPushButton(_("Connect"), self)
        self.connect_button.setObjectName("primary")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.try_connect)
        buttons.addWidget(self.connect_button)
        layout.addLayout(buttons)
        (self.code if office_url else self.server).setFocus()

    def _build_details(self, layout: QVBoxLayout) -> None:
        self.details_toggle = QToolButton(self)
        self.details_toggle.setText(_("Details"))
        self.details_toggle.setCheckable(True)
        self.details_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.details_toggle.setAutoRaise(True)
        layout.addWidget(self.details_toggle)
        self.details = QWidget(self)
        form = QFormLayout(self.details)
        form.setContentsMargins(0, 0, 0, 0)
        self.fingerprint = QLineEdit(self.details)
        self.fingerprint.setPlaceholderText(_("Optional: only when the office gave you one"))
        self.fingerprint.setAccessibleName(_("Certificate fingerprint"))
        form.addRow(_("Certificate &fingerprint"), self.fingerprint)
        self.label = QLineEdit(QSysInfo.machineHostName() or "laptop", self.details)
        self.label.setMaxLength(80)
        self.label.setAccessibleName(_("Name of this laptop"))
        form.addRow(_("&Name of this laptop"), self.label)
        self.details.hide()
        layout.addWidget(self.details)

        def toggle(shown: bool) -> None:
            self.details.setVisible(shown)
            arrow = Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
            self.details_toggle.setArrowType(arrow)
            self.adjustSize()

        self.details_toggle.toggled.connect(toggle)

    def try_connect(self) -> None:
        server, code = self.server.text().strip(), self.code.text().strip()
        if not server or not code:
            self._say(_("Fill in the server address and the one-time code."))
            return
        self.message.hide()
        self._busy(True)
        fingerprint = self.fingerprint.text().strip() or None
        self.controller.enrol(self, server, code, self.label.text().strip(), fingerprint).success(
            self._connected
        ).failure(self._refused).run_in_background()

    def _busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for widget in (self.server, self.code, self.fingerprint, self.label, self.connect_button):
            widget.setEnabled(not busy)

    def _connected(self, consultant: str) -> None:
        self.busy.hide()
        self.done_note.setText(
            _(
                "This laptop is now connected to the office as {consultant}. The first "
                "synchronisation starts now."
            ).format(consultant=consultant)
        )
        self.done_note.show()
        self.connect_button.hide()
        self.cancel_button.setText(_("Close"))
        self.cancel_button.setFocus()
        self.controller.enrolled_now()

    def _refused(self, error: BaseException) -> None:
        self._busy(False)
        self._say(message_for(error))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()


# --- conflicts ----------------------------------------------------------------------------


class VersionsModel(QAbstractTableModel):
    """Question | this laptop | other device; the rows that differ are highlighted."""

    DIFFERS = QColor("#fff1c7")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[VersionRow] = []
        self.other = ""

    def set_rows(self, rows: list[VersionRow], other: str) -> None:
        self.beginResetModel()
        self.rows, self.other = list(rows), other
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.label, row.mine, row.theirs)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if role == Qt.ItemDataRole.BackgroundRole and row.differs:
            return self.DIFFERS
        if role == Qt.ItemDataRole.FontRole and row.differs and index.column() == 0:
            bold = QFont()
            bold.setBold(True)
            return bold
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < 3:
            return None
        other = _("Other device ({name})").format(name=self.other) if self.other else ""
        return (_("Question"), _("This laptop"), other or _("Other device"))[section]


class ConflictsDialog(QDialog):
    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictsDialog")
        self.setWindowTitle(_("Conflicts to resolve"))
        self.controller = controller
        self.views: list[ConflictView] = []
        self.model = VersionsModel(self)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 62, 560)
        self._build()
        controller.conflicts(self).success(self._loaded).failure(self._failed).run_in_background()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        intro = QLabel(
            _(
                "This case was changed on this laptop and on another device. Compare the two "
                "versions and choose which one to keep. Nothing is thrown away until you choose."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget(self)
        self.list.setAccessibleName(_("Conflicts"))
        self.list.setMaximumHeight(self.fontMetrics().height() * 5)
        self.list.currentRowChanged.connect(self._show)
        layout.addWidget(self.list)
        self.heading = QLabel(self)
        self.heading.setObjectName("panelHeading")
        layout.addWidget(self.heading)
        self._build_table()
        layout.addWidget(self.table, 1)
        self.legend = QLabel(_("Highlighted rows differ between the two versions."), self)
        self.legend.setObjectName("muted")
        layout.addWidget(self.legend)
        self.message = QLabel(self)
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.hide()
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        self.mine_button = QPushButton(_("Keep &mine"), self)
        self.mine_button.setToolTip(_("This laptop's version goes to the office as the newest"))
        self.mine_button.clicked.connect(lambda: self._resolve("mine"))
        buttons.addWidget(self.mine_button)
        self.theirs_button = QPushButton(_("Take &theirs"), self)
        self.theirs_button.setToolTip(_("The other device's answers replace the ones here"))
        self.theirs_button.clicked.connect(lambda: self._resolve("theirs"))
        buttons.addWidget(self.theirs_button)
        buttons.addStretch(1)
        close = QPushButton(_("Close"), self)
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._enable(False)

    def _build_table(self) -> None:
        self.table = QTableView(self)
        self.table.setAccessibleName(_("Both versions"))
        self.table.setModel(self.model)
        self.table.setWordWrap(True)
        self.table.setShowGrid(False)
        self.table.setStyleSheet(
            "QTableView { outline: 0; } QTableView::item { padding: 6px 4px; }"
        )
        self.table.setSelectionMode(QTableView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, self.fontMetrics().horizontalAdvance("M") * 15)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def _enable(self, enabled: bool) -> None:
        current = self.current()
        self.mine_button.setEnabled(enabled and current is not None)
        self.theirs_button.setEnabled(enabled and current is not None and current.has_theirs)

    def current(self) -> ConflictView | None:
        row = self.list.currentRow()
        return self.views[row] if 0 <= row < len(self.views) else None

    def _loaded(self, views: list[ConflictView]) -> None:
        self.views = views
        if not views:
            self.accept()
            return
        self.list.blockSignals(True)
        self.list.clear()
        for view in views:
            text = " · ".join(p for p in (view.reference, view.name) if p)
            if view.theirs_from:
                text += "  " + _("(other version from {device})").format(device=view.theirs_from)
            QListWidgetItem(text, self.list)
        self.list.blockSignals(False)
        self.list.setVisible(len(views) > 1)
        self.list.setCurrentRow(0)
        self._show(0)

    def _show(self, row: int) -> None:
        view = self.views[row] if 0 <= row < len(self.views) else None
        if view is None:
            return
        self.heading.setText(" · ".join(p for p in (view.reference, view.name) if p))
        self.model.set_rows(view.rows, view.theirs_from)
        if view.has_theirs:
            self.message.hide()
        else:
            self._say(_("The other version has not arrived yet; synchronise first."))
        self._enable(True)

    def _resolve(self, keep: str) -> None:
        view = self.current()
        if view is None:
            return
        self._enable(False)
        self.controller.resolve(self, view.id, keep).success(self._resolved).failure(
            self._failed
        ).run_in_background()

    def _resolved(self, views: list[ConflictView]) -> None:
        self.controller.resolved()
        self._loaded(views)

    def _failed(self, error: BaseException) -> None:
        self._say(message_for(error))
        self._enable(True)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def done(self, result: int) -> None:
        self.model.set_rows([], "")  # the answers leave memory with the dialog
        self.views = []
        super().done(result)
