"""A date: typed the way people write it, today or the conversation's date in one click, or
picked from a calendar.

Owns the date widget: the typed text (30-11-26, 30-11, 30 11 2026… the form engine reads
them and the field then shows 30-11-2026), a "Today" button (Alt+V), a "Conversation date"
button (Alt+G) that copies the date of the conversation, and the calendar. Never decides
what a typed date means (the form engine does) and never saves.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QToolButton, QWidget

from kitchentable.formengine.model import Prefill, Question
from kitchentable.i18n import _
from kitchentable.ui.conversation.fields import FieldContext, LineField
from kitchentable.ui.date_edit import calendar_button

TODAY_KEYS = "Alt+V"
CONVERSATION_DATE_KEYS = "Alt+G"


def date_nl(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d-%m-%Y")
    except ValueError:
        return iso


class DateField(LineField):
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.edit.setPlaceholderText(_("dd-mm-yyyy"))
        self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 14 + 24)
        self.today_button = self._button(
            _("Today"), _("Fill in today's date ({keys})").format(keys=TODAY_KEYS), TODAY_KEYS
        )
        self.today_button.clicked.connect(lambda: self._choose(self.context.today().isoformat()))
        self.row.insertWidget(1, self.today_button)
        self.meeting_button: QToolButton | None = None
        if question.prefill != Prefill.CONVERSATION_DATE:  # not on that date's own question
            self.meeting_button = self._button(
                _("Conversation date"),
                _("Fill in the date of the conversation ({keys})").format(
                    keys=CONVERSATION_DATE_KEYS
                ),
                CONVERSATION_DATE_KEYS,
            )
            self.meeting_button.clicked.connect(self._conversation_date)
            self.row.insertWidget(2, self.meeting_button)
        self.pick, self.calendar = calendar_button(self, self._picked_day)
        self.row.insertWidget(3 if self.meeting_button else 2, self.pick)

    def _button(self, text: str, tip: str, keys: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # by keyboard: its shortcut, no Tab stop
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(button.click)
        return button

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_buttons()

    def refresh_buttons(self) -> None:
        """The conversation-date button works once that date is known."""
        if self.meeting_button is not None:
            known = self.context.conversation_date()
            self.meeting_button.setEnabled(known is not None)
            if known is not None:
                self.meeting_button.setToolTip(
                    _("Fill in the date of the conversation: {date} ({keys})").format(
                        date=date_nl(known), keys=CONVERSATION_DATE_KEYS
                    )
                )

    def _conversation_date(self) -> None:
        known = self.context.conversation_date()
        if known is not None:
            self._choose(known)

    def _choose(self, iso: str) -> None:
        text = date_nl(iso)
        self.edit.setText(text)
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._emit(self.committed, text)

    def _picked_day(self, day: QDate) -> None:
        self.pick.menu().hide()
        self._choose(day.toString("yyyy-MM-dd"))

    def _show(self, stored: Any) -> None:
        if isinstance(stored, str) and len(stored) == 10:
            try:
                self.edit.setText(date.fromisoformat(stored).strftime("%d-%m-%Y"))
                self.calendar.setSelectedDate(QDate.fromString(stored, "yyyy-MM-dd"))
                return
            except ValueError:
                pass
        super()._show(stored)

    def show_normalised(self, stored: Any) -> None:
        if isinstance(stored, str) and date_nl(stored) != self.edit.text():
            self.set_value(stored)
