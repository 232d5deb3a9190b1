"""The sociale kaart in the app: the office's local services, searchable at the table.

Owns showing the catalogue the last synchronisation brought (general facilities first, then
contracted providers, per product) with a search box. Reads it once on the worker; the
search runs on the copy in the dialog. Never edits the catalogue: the office publishes it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kitchentable.catalogue import KINDS, find
from kitchentable.i18n import _
from kitchentable.ui.errors import log_unexpected
from kitchentable.ui.session import Session

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("kind", "product", "name", "phone", "area", "waiting_weeks")


def _headers() -> list[str]:
    return [_("Kind"), _("Product"), _("Name"), _("Phone"), _("Area"), _("Waiting (weeks)")]


class CatalogueModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[dict[str, Any]] = []

    def set_entries(self, entries: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.entries):
            return None
        entry = self.entries[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = entry.get(column, "")
            return _(KINDS[value]) if column == "kind" and value in KINDS else str(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [entry.get("description", ""), entry.get("address", "")]
            lines += [entry.get("email", ""), entry.get("website", "")]
            return "\n".join(str(line) for line in lines if line) or None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _headers()[section]
        return None


class CatalogueDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Sociale kaart"))
        self.resize(self.fontMetrics().horizontalAdvance("M") * 70, 480)
        self.all_entries: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        self.note = QLabel(_("Loading…"), self)
        self.note.setWordWrap(True)
        self.note.setObjectName("muted")
        layout.addWidget(self.note)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(_("Search by product, name or area"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(_("Search the sociale kaart"))
        self.search.textChanged.connect(self._filter)
        layout.addWidget(self.search)
        self.model = CatalogueModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(_("Sociale kaart"))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        def load(profile: Any) -> dict[str, Any] | None:  # on the worker
            from kitchentable.services import sync

            return sync.catalogue(profile)

        session.op(self, load).success(self._loaded).failure(self._failed).run_in_background()

    def _loaded(self, catalogue: dict[str, Any] | None) -> None:
        if not catalogue:
            self.note.setText(
                _("There is no sociale kaart on this laptop yet; synchronise to fetch it.")
            )
            return
        self.all_entries = list(catalogue.get("entries", []))
        issued = str(catalogue.get("issued_at", ""))[:10]
        self.note.setText(
            _(
                "The office's list of local services ({date}): general facilities first, "
                "then contracted providers. Hover over a row for details."
            ).format(date=issued)
        )
        self._filter(self.search.text())

    def _failed(self, error: BaseException) -> None:
        log_unexpected(error)
        self.note.setText(_("The sociale kaart could not be read."))

    def _filter(self, text: str) -> None:
        self.model.set_entries(find(self.all_entries, text))
