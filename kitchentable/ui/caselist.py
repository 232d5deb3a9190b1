"""The case list as Qt models over the core's CaseSummary rows (no widget filled by hand).

Owns `CaseTableModel` (one row per CaseSummary: columns, display text, the red mark when the
six-week term has 7 days or fewer left, sort keys) and `CaseFilterProxy` (instant search on
name, address, postcode and melding number in memory, plus case ids the vault's blind index
found for a BSN). Never reads storage: rows are handed in by the page after a worker task.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from kitchentable.domain.case import CaseStatus, deadline_for
from kitchentable.i18n import N_, _

if TYPE_CHECKING:
    from kitchentable.services import CaseSummary

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
URGENT_DAYS = 7

COLUMNS = (
    N_("Name"),
    N_("Address"),
    N_("Melding"),
    N_("Status"),
    N_("Melding date"),
    N_("Days left"),
    N_("Last change"),
    N_("Sync"),
)
NAME, ADDRESS, MELDING, STATUS, MELDING_DATE, DAYS_LEFT, CHANGED, SYNC = range(len(COLUMNS))

STATUS_LABELS = {
    CaseStatus.NEW: N_("New"),
    CaseStatus.IN_CONVERSATION: N_("In conversation"),
    CaseStatus.PLAN_DRAFTED: N_("Plan drafted"),
    CaseStatus.SIGNED: N_("Signed"),
    CaseStatus.SYNCED: N_("Sent to the office"),
}
SYNC_LABELS = {
    "local": N_("Only on this laptop"),
    "pending": N_("Waiting to be sent"),
    "synced": N_("Sent"),
    "conflict": N_("Conflict"),
}
Index = QModelIndex | QPersistentModelIndex

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise(text: str) -> str:
    """Case- and accent-insensitive, like the vault's name index: 'Özlem' finds 'ozlem'."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("İ", "I"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).split())


def _dutch_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _changed(stamp: str) -> str:
    # updated_at is ISO 8601 UTC; the list shows the local date and time to the minute
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return stamp
    return moment.strftime("%d-%m-%Y %H:%M")


@dataclass(frozen=True)
class PreparedRows:
    """Rows ready for the table: texts, search haystacks and sort keys, computed off the UI thread."""

    rows: list[CaseSummary]
    display: list[tuple[str, ...]]
    haystack: list[str]
    keys: list[tuple[Any, ...]]  # per row, one sort key per column


def _texts(row: CaseSummary, today: date) -> tuple[str, ...]:
    days = row.days_left(today)
    return (
        row.name,
        row.address,
        row.external_id,
        _(STATUS_LABELS.get(row.status, row.status.value)),
        _dutch_date(row.melding_date),
        _days_text(row, days),
        _changed(row.updated_at),
        _(SYNC_LABELS[row.sync_state]) if row.sync_state in SYNC_LABELS else row.sync_state,
    )


def _days_text(row: CaseSummary, days: int) -> str:
    """Days left of the six-week term, or of an extension agreed with the inhabitant (marked:
    the list never hides that the term was moved), or how many days it is overdue."""
    text = str(days) if days >= 0 else _("{n} overdue").format(n=-days)
    if row.deadline != deadline_for(row.melding_date):
        text += " · " + _("extended")
    return text


_STATUS_ORDER = {status: number for number, status in enumerate(CaseStatus)}


def prepare_rows(rows: list[CaseSummary], today: date | None = None) -> PreparedRows:
    """Everything the table needs per row. Pure: run it on the worker for long lists."""
    today = today or date.today()
    display = [_texts(r, today) for r in rows]
    haystack = [
        " ".join(
            (
                normalise(r.name),
                normalise(r.address),
                r.postcode.replace(" ", "").lower(),
                r.external_id.lower(),
            )
        )
        for r in rows
    ]
    keys = [
        (
            normalise(r.name),
            texts[ADDRESS].casefold(),
            r.external_id,
            _STATUS_ORDER[r.status],
            r.melding_date.isoformat(),
            r.days_left(today),
            r.updated_at,
            texts[SYNC].casefold(),
        )
        for r, texts in zip(rows, display, strict=True)
    ]
    return PreparedRows(list(rows), display, haystack, keys)


class CaseTableModel(QAbstractTableModel):
    """The rows of the case list. Sorting happens here, on precomputed keys, so a list of
    thousands sorts in milliseconds (a proxy would call data() for every comparison)."""

    def __init__(self, parent: Any = None, today: date | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseSummary] = []
        self._haystack: list[str] = []
        self._display: list[tuple[str, ...]] = []
        self._keys: list[tuple[Any, ...]] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.today = today or date.today()
        self._bold = QFont()
        self._bold.setBold(True)
        self._red = QColor("#b3261e")

    def set_rows(self, rows: list[CaseSummary]) -> None:
        self.set_prepared(prepare_rows(rows, self.today))

    def set_prepared(self, prepared: PreparedRows) -> None:
        self.beginResetModel()
        self._rows = prepared.rows
        self._display = prepared.display
        self._haystack = prepared.haystack
        self._keys = prepared.keys
        if self._sort is not None:
            self._apply_sort(*self._sort)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self._rows
        self._apply_sort(column, order)
        # keep persistent indexes (selection, current row) on the same cases
        position = {id(row): number for number, row in enumerate(self._rows)}
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old,
            [self.index(position[id(before[i.row()])], i.column()) for i in old],
        )
        self.layoutChanged.emit()

    def _apply_sort(self, column: int, order: Qt.SortOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        ranked = sorted(
            range(len(self._rows)), key=lambda i: self._keys[i][column], reverse=descending
        )
        self._rows = [self._rows[i] for i in ranked]
        self._display = [self._display[i] for i in ranked]
        self._haystack = [self._haystack[i] for i in ranked]
        self._keys = [self._keys[i] for i in ranked]

    def summary(self, row: int) -> CaseSummary:
        return self._rows[row]

    def haystack(self, row: int) -> str:
        return self._haystack[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: PLR0911
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display[index.row()][column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{_(COLUMNS[column])}: {self._display[index.row()][column]}"
        if role == SORT_ROLE:
            return self._keys[index.row()][column]
        if role == ID_ROLE:
            return row.id
        urgent = column == DAYS_LEFT and row.days_left(self.today) <= URGENT_DAYS
        if role == Qt.ItemDataRole.ForegroundRole and urgent:
            return self._red
        if role == Qt.ItemDataRole.FontRole and urgent:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column in (NAME, ADDRESS):
            return self._display[index.row()][column]
        if role == Qt.ItemDataRole.ToolTipRole and column == DAYS_LEFT:
            if row.deadline != deadline_for(row.melding_date):
                return _("Term extended by agreement until {date}").format(
                    date=_dutch_date(row.deadline)
                )
            return _("Six-week term ends on {date}").format(date=_dutch_date(row.deadline))
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section]) if 0 <= section < len(COLUMNS) else None
        return None


class CaseFilterProxy(QSortFilterProxyModel):
    """Every search word must occur in the row (name, address, postcode, melding number),
    or the vault's blind index matched the row for this search (a BSN)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._index_matches: set[str] = set()
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(False)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The source model sorts (fast, on precomputed keys); this proxy only filters."""
        model = self.sourceModel()
        if isinstance(model, CaseTableModel):
            model.sort(column, order)

    def set_search(self, text: str) -> None:
        normal = normalise(text)
        compact = text.replace(" ", "").lower()
        words = normal.split()
        # "9601 AB" and "9601AB" both find postcode 9601 AB (the haystack has it without space)
        if re.fullmatch(r"\d{4}[a-z]{2}", compact):
            words = [compact]
        self.beginFilterChange()
        self._words = words
        self._index_matches = set()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def add_index_matches(self, case_ids: set[str]) -> None:
        self.beginFilterChange()
        self._index_matches = set(case_ids)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._words:
            return True
        model = self.sourceModel()
        assert isinstance(model, CaseTableModel)
        if self._index_matches and model.summary(source_row).id in self._index_matches:
            return True
        haystack = model.haystack(source_row)
        return all(word in haystack for word in self._words)
