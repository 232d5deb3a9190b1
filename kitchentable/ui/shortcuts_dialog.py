"""Help → Keyboard shortcuts: every key the app answers to, on one page.

Owns the overview, built from what is really bound: the actions in the main window's menus
that have a shortcut (so a menu change shows here at once) and the conversation's key table
(ui.conversation.keys, which the conversation page binds). Never binds a key itself.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kitchentable.i18n import _
from kitchentable.ui.conversation.keys import CONVERSATION_KEYS

HELP_KEYS = "F1"


def _menu_actions(window: QWidget) -> list[QAction]:
    bar = window.menuBar() if isinstance(window, QMainWindow) else None
    found: list[QAction] = []
    for top in bar.actions() if bar is not None else []:
        menu = top.menu()
        if isinstance(menu, QMenu):
            found.extend(menu.actions())
    return found


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """(where, keys, what) for the menus' actions and the conversation."""
    rows: list[tuple[str, str, str]] = []
    for action in _menu_actions(window):
        sequence = action.shortcut()
        if sequence.isEmpty() or not action.text():
            continue
        keys = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        rows.append((_("Menu"), keys, action.text().replace("&", "").rstrip("…")))
    rows.sort(key=lambda r: r[2])
    for keys, what in CONVERSATION_KEYS:
        rows.append((_("Conversation"), _(keys), _(what)))  # "Space" has a Dutch name
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setWindowTitle(_("Keyboard shortcuts"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            _(
                "Everything can be done with the keyboard. Shortcuts are also shown in the menus "
                "and in the tooltips of buttons."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels([_("Where"), _("Keys"), _("What it does")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for index, row in enumerate(rows):
            for column, text in enumerate(row):
                self.table.setItem(index, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(self.fontMetrics().horizontalAdvance("M") * 64, 520)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.table.resizeRowsToContents()  # now that the columns have their width
