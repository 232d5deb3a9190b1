"""A date typed the way people type dates, with a calendar beside it that Tab never visits.

Owns `DateLineEdit`: a line edit that reads what the form engine's `normalise_date` reads
(so every date field in the app accepts the same short forms), shows the date normalised
(dd-mm-jjjj) when the consultant leaves it, and opens a calendar on Alt+Down / F4 or a
click on the button. QDateEdit is not used on purpose: it moves between its day, month and
year sections on Tab, so typed-in-order text ended up one field further (issue 10).
Never judges whether a date is allowed (not in the future, …): the dialog that uses it does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from kitchentable.formengine import validators
from kitchentable.i18n import _

DISPLAY = "%d-%m-%Y"


def parse_date(text: str) -> date:
    """The date in `text`, as the form engine reads dates; ValueError with a sentence."""
    return date.fromisoformat(validators.normalise_date(text))


def calendar_button(
    parent: QWidget, picked: Callable[[QDate], None]
) -> tuple[QToolButton, QCalendarWidget]:
    """A "Calendar" button whose menu is a month calendar; a day clicked, or chosen with
    Enter, goes to `picked`."""
    button = QToolButton(parent)
    button.setText(_("Calendar"))
    button.setAccessibleName(_("Pick a date from the calendar"))
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    calendar = QCalendarWidget(menu)
    calendar.setGridVisible(False)
    action = QWidgetAction(menu)
    action.setDefaultWidget(calendar)
    menu.addAction(action)
    button.setMenu(menu)
    calendar.clicked.connect(picked)
    calendar.activated.connect(picked)
    return button, calendar


class _Edit(QLineEdit):
    calendar_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        alt_down = (
            event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        )
        if alt_down or event.key() == Qt.Key.Key_F4:
            self.calendar_requested.emit()
            return
        super().keyPressEvent(event)


class DateLineEdit(QWidget):
    """The edit is the focus proxy, so the widget sits in the Tab chain exactly once."""

    edited = Signal()  # typed into, or picked from the calendar

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = _Edit(self)
        self.edit.setPlaceholderText(_("dd-mm-yyyy"))
        self.edit.setToolTip(_("Type the date, or press Alt+Down for a calendar."))
        self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 14 + 24)
        self.setFocusProxy(self.edit)
        self.pick, self.calendar = calendar_button(self, self._picked)
        # Not a Tab stop: typed-in-order text must land in the next field, not on this button.
        self.pick.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pick.menu().aboutToShow.connect(self._sync_calendar)
        self.edit.calendar_requested.connect(self.pick.showMenu)
        self.edit.editingFinished.connect(self.normalise)
        self.edit.textEdited.connect(lambda _text: self.edited.emit())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.pick)
        row.addStretch(1)

    # -- value ---------------------------------------------------------------------------------
    def text(self) -> str:
        return self.edit.text()

    def set_date(self, day: date) -> None:
        self.edit.setText(day.strftime(DISPLAY))

    def date(self) -> date:
        """The typed date; ValueError with a sentence when it is not one."""
        return parse_date(self.edit.text())

    def normalise(self) -> None:
        """Show a readable date as dd-mm-jjjj; leave anything else as typed (never lose it)."""
        if not self.edit.text().strip():
            return
        with contextlib.suppress(ValueError):  # not a date yet: it stays as typed
            self.set_date(self.date())

    # -- calendar ------------------------------------------------------------------------------
    def _sync_calendar(self) -> None:
        try:
            day = self.date()
        except ValueError:
            return
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))

    def _picked(self, day: QDate) -> None:
        self.pick.menu().hide()
        self.set_date(date(day.year(), day.month(), day.day()))
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.edited.emit()
