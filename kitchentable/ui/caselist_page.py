"""The case list page: search, the table of cases, new case and open case.

Owns the page's widgets and its keyboard flow (type to search, Down or Return to reach the
table, Return to open), the place where the main window puts the sync area, and the
check-in banner that keeps cases closed until the laptop has synchronised. Loads rows
through a worker task; a search that looks like a BSN also asks the vault's blind index on
the worker, since BSNs are not kept in the list. Never reads storage on the UI thread and
never fills the table by hand (CaseTableModel).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kitchentable.i18n import _
from kitchentable.ui.caselist import (
    ADDRESS,
    ID_ROLE,
    CaseFilterProxy,
    CaseTableModel,
    PreparedRows,
    prepare_rows,
)
from kitchentable.ui.session import Session

if TYPE_CHECKING:
    from kitchentable.config import Settings

_BSN_LIKE = re.compile(r"[\d\s.]{8,12}")


class CaseListPage(QWidget):
    open_case = Signal(str)
    new_case = Signal()
    loaded = Signal()

    def __init__(self, session: Session, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("caseListPage")
        self.session = session
        self.model = CaseTableModel(self)
        self.proxy = CaseFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self._build(settings)
        self._bsn_timer = QTimer(self)
        self._bsn_timer.setSingleShot(True)
        self._bsn_timer.setInterval(150)
        self._bsn_timer.timeout.connect(self._search_index)
        self._select_after_load: str | None = None

    def _build(self, settings: Settings) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(10)
        top = QHBoxLayout()
        titles = QVBoxLayout()
        title = QLabel(_("My cases"), self)
        title.setObjectName("pageTitle")
        titles.addWidget(title)
        who = " · ".join(p for p in (settings.consultant, settings.role, settings.team) if p)
        subtitle = QLabel(who, self)
        subtitle.setObjectName("muted")
        titles.addWidget(subtitle)
        top.addLayout(titles, 1)
        self.new_button = QPushButton(_("&New case…"), self)
        self.new_button.setToolTip(_("Register a new case (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_case.emit)
        top.addWidget(self.new_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.open_button = QPushButton(_("&Open case"), self)
        self.open_button.setObjectName("primary")
        self.open_button.clicked.connect(self._open_current)
        top.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(top)
        self.sync_slot = QVBoxLayout()  # the main window puts the sync area here
        self.sync_slot.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.sync_slot)
        self.check_in_banner = QLabel(self)
        self.check_in_banner.setObjectName("checkInBanner")
        self.check_in_banner.setWordWrap(True)
        self.check_in_banner.setAccessibleName(_("Synchronise first"))
        self.check_in_banner.setStyleSheet(
            "QLabel#checkInBanner { background: #fdecea; border: 1px solid #e7b4ae;"
            " border-radius: 6px; padding: 10px; color: #5c1610; font-weight: 600; }"
        )
        self.check_in_banner.hide()
        layout.addWidget(self.check_in_banner)
        self._build_list(layout)

    def _build_list(self, layout: QVBoxLayout) -> None:
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(_("Search by name, BSN, postcode or melding number"))
        self.search.setAccessibleName(_("Search cases"))
        self.search.textChanged.connect(self._search_changed)
        self.search.installEventFilter(self)
        layout.addWidget(self.search)

        self.table = QTableView(self)
        self.table.setObjectName("caseTable")
        self.table.setAccessibleName(_("Cases"))
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)  # the most urgent term first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 14)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(ADDRESS, QHeaderView.ResizeMode.Stretch)
        self._size_columns()
        self.table.activated.connect(self._open)
        layout.addWidget(self.table, 1)
        self._build_footer(layout)

    def _size_columns(self) -> None:
        """Wide enough for typical content and the bold heading, at any font size or scaling."""
        width = self.fontMetrics().horizontalAdvance
        bold = QFont(self.font())
        bold.setBold(True)
        heading = QFontMetrics(bold).horizontalAdvance
        samples = (
            "Geertruida (Truus) Bakker-Huizing",
            "Kerkstraat 120, 9601 AB Hoogezand",
            "M-2026-0000",
            _("In conversation"),
            "00-00-0000",
            "",
            "00-00-0000 00:00",
            _("Only on this laptop"),
        )
        for column, sample in enumerate(samples):
            if column == ADDRESS:
                continue
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            self.table.setColumnWidth(column, max(width(sample), heading(title) + 16) + 28)

    def _build_footer(self, layout: QVBoxLayout) -> None:
        bottom = QHBoxLayout()
        self.count_label = QLabel(self)
        self.count_label.setObjectName("muted")
        bottom.addWidget(self.count_label)
        bottom.addStretch(1)
        hint = QLabel(_("Red: seven days or fewer left of the six-week term"), self)
        hint.setObjectName("muted")
        bottom.addWidget(hint)
        layout.addLayout(bottom)
        self.new_button.setShortcut(QKeySequence("Ctrl+N"))
        self.setTabOrder(self.search, self.table)
        self.setTabOrder(self.table, self.new_button)
        self.setTabOrder(self.new_button, self.open_button)

    # -- sync area and the check-in rule -------------------------------------------------------
    def set_sync_area(self, area: QWidget) -> None:
        self.sync_slot.addWidget(area)

    def set_blocked(self, message: str | None) -> None:
        """Overdue check-in: cases stay closed (only the sync area works) until a sync."""
        blocked = message is not None
        self.check_in_banner.setText(message or "")
        self.check_in_banner.setVisible(blocked)
        for widget in (self.search, self.table, self.new_button, self.open_button):
            widget.setEnabled(not blocked)

    @property
    def blocked(self) -> bool:
        return not self.check_in_banner.isHidden()

    # -- loading -------------------------------------------------------------------------------
    def reload(self, select_case: str | None = None) -> None:
        self._select_after_load = select_case or self.current_case_id()
        today = self.model.today
        self.session.op(self, lambda p: prepare_rows(p.case_summaries(), today)).success(
            self._loaded
        ).run_in_background()

    def _loaded(self, rows: PreparedRows) -> None:
        self.model.set_prepared(rows)
        self._update_count()
        if self._select_after_load:
            self.select_case(self._select_after_load)
        elif self.proxy.rowCount() and not self.table.currentIndex().isValid():
            # current without selecting: a selected row would hide the red of an urgent term
            self.table.selectionModel().setCurrentIndex(
                self.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        self.loaded.emit()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        if total == 0:
            text = _("No cases yet. Register one with 'New case'.")
        elif shown == total:
            text = _("Cases: {n}").format(n=total)
        else:
            text = _("{shown} of {total} cases").format(shown=shown, total=total)
        self.count_label.setText(text)

    # -- search --------------------------------------------------------------------------------
    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()
        if _BSN_LIKE.fullmatch(text.strip()) and sum(c.isdigit() for c in text) >= 8:
            self._bsn_timer.start()

    def _search_index(self) -> None:
        text = self.search.text()
        self.session.op(self, lambda p: {s.id for s in p.case_summaries(text)}).success(
            lambda ids: self._index_found(text, ids)
        ).run_in_background()

    def _index_found(self, text: str, ids: set[str]) -> None:
        if text == self.search.text():
            self.proxy.add_index_matches(ids)
            self._update_count()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.proxy.rowCount():
                    self.table.setFocus()
                    if not self.table.currentIndex().isValid():
                        self.table.setCurrentIndex(self.proxy.index(0, 0))
                    self.table.selectionModel().select(
                        self.table.currentIndex(),
                        QItemSelectionModel.SelectionFlag.ClearAndSelect
                        | QItemSelectionModel.SelectionFlag.Rows,
                    )
                return True
        return super().eventFilter(watched, event)

    # -- opening -------------------------------------------------------------------------------
    def current_case_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def select_case(self, case_id: str) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(ID_ROLE) == case_id:
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
                return True
        return False

    def _open_current(self) -> None:
        self._open(self.table.currentIndex())

    def _open(self, index: Any) -> None:
        if index.isValid() and not self.blocked:
            self.open_case.emit(index.data(ID_ROLE))

    def position(self) -> dict[str, Any]:
        return {"search": self.search.text(), "case_id": self.current_case_id()}

    def restore(self, where: dict[str, Any]) -> None:
        if where.get("search"):
            self.search.setText(where["search"])
        self._select_after_load = where.get("case_id")
