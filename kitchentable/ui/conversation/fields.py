"""The base of every answer widget, and the text widgets: one line, several lines, computed.

Owns showing a stored value and reporting what the consultant enters: `edited` while typing
(the page saves after a short pause) and `committed` when an answer is final (focus leaves a
text field, a choice is clicked: the page saves at once). Raw input is reported as is; the
page coerces it with the form engine. A name question (`person`) offers the names given
elsewhere in the conversation; a `keep_last` question keeps the last characters typed. The
line being typed stays on the screen (`bring_into_view`): the page follows the cursor of a
long text down. Never saves, validates or evaluates rules itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from math import ceil
from typing import Any

from PySide6.QtCore import QRect, QStringListModel, Qt, Signal
from PySide6.QtGui import QAction, QFocusEvent
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.formengine.model import Question, QuestionType
from kitchentable.i18n import _, language


@dataclass
class FieldContext:
    """What a field may ask the conversation around it while the consultant types."""

    today: Callable[[], date] = date.today
    conversation_date: Callable[[], str | None] = lambda: None  # ISO, or None if not given
    people: Callable[[], list[str]] = field(default=list)  # names given in person questions


MARGIN = 24  # pixels kept free above and below what is brought into view
LINES = (3, 9)  # a long text shows at least this many lines and grows up to the second


def bring_into_view(widget: QWidget, area: QRect | None = None) -> None:
    """Scroll the page the widget is on so `area` (in the widget's coordinates; default: all
    of it, or its top as far as the screen holds) is on the screen; nothing moves when it
    already is."""
    page = widget.parentWidget()
    while page is not None and not isinstance(page, QScrollArea):
        page = page.parentWidget()
    body = page.widget() if page is not None else None
    if page is None or body is None or not body.isAncestorOf(widget):
        return
    area = area if area is not None else widget.rect()
    height = min(area.height(), page.viewport().height() - 2 * MARGIN)
    top = widget.mapTo(body, area.topLeft())
    page.ensureVisible(top.x(), top.y() + height // 2, 0, height // 2 + MARGIN)


class AnswerField(QWidget):
    """Base of every answer widget. Subclasses fill `value`, `set_value` and `focus_target`."""

    edited = Signal(object)
    committed = Signal(object)

    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(parent)
        self.question = question
        self.context = context or FieldContext()
        self._loading = False

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, stored: Any) -> None:
        self._loading = True
        try:
            self._show(stored)
        finally:
            self._loading = False

    def show_normalised(self, stored: Any) -> None:
        """After a final answer: show it as stored (30-11-26 becomes 30-11-2026)."""

    def set_scope(self, item: dict[str, Any]) -> None:
        """Inside a group: the item's answers now (a product list follows its category)."""

    def _show(self, stored: Any) -> None:
        raise NotImplementedError

    def focus_target(self) -> QWidget:
        return self

    def _emit(self, signal: Signal, raw: Any) -> None:  # type: ignore[valid-type]
        if not self._loading:
            signal.emit(raw)  # type: ignore[attr-defined]

    def focus_state(self) -> dict[str, Any]:
        """Where the cursor is, and the text typed, so a lock or rebuild can put it back."""
        return {}

    def restore_focus(self, state: dict[str, Any]) -> None:
        self.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    def set_accessible(self, name: str, description: str) -> None:
        target = self.focus_target()
        target.setAccessibleName(name)
        target.setAccessibleDescription(description)


def show_number(stored: Any) -> str:
    if stored is None:
        return ""
    if isinstance(stored, float) and language() == "nl":
        return str(stored).replace(".", ",")
    return str(stored)


def shown_computed(value: object) -> str:
    """A computed value as the consultant reads it: Ja/Nee, 30-11-2026, 2,5."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).strftime("%d-%m-%Y")
        except ValueError:
            return value
    return show_number(value)


class LineField(AnswerField):
    """One line of text: text, number, BSN, postcode, phone, e-mail (and the date's field)."""

    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.edit = QLineEdit(self)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(self.edit, 1)
        if question.placeholder:
            self.edit.setPlaceholderText(str(question.placeholder))
        if question.max_length and not question.keep_last:
            self.edit.setMaxLength(question.max_length)
        if question.type in (QuestionType.NUMBER, QuestionType.POSTCODE, QuestionType.BSN):
            self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 18 + 24)
        if question.keep_last and question.max_length:
            self.edit.setMaximumWidth(
                self.fontMetrics().horizontalAdvance("W") * question.max_length + 40
            )
        if question.unit:
            self.row.addWidget(QLabel(str(question.unit), self))
        if question.person:
            self._offer_people()
        if question.type != QuestionType.TEXT or question.keep_last:
            self.row.addStretch(0)
        self.edit.textEdited.connect(self._typed)
        self.edit.editingFinished.connect(self._finished)
        self._to_popup = False  # the focus went to a list opened over the field
        self.edit.installEventFilter(self)

    def _finished(self) -> None:
        # Qt also "finishes" when a list opens over the field (the names to pick, the
        # calendar): the answer is not final then, and an empty one would be called missing.
        if not self._to_popup:
            self._emit(self.committed, self.edit.text())

    def _typed(self, text: str) -> None:
        limit = self.question.max_length
        if self.question.keep_last and limit and len(text) > limit:
            text = text[-limit:]  # "the last four characters": the rest of a pasted number goes
            self.edit.setText(text)
        self._emit(self.edited, text)

    def _offer_people(self) -> None:
        """A name asked again (carer, network member) is picked from the names given."""
        self.names = QStringListModel(self)
        completer = QCompleter(self.names, self.edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        completer.activated.connect(lambda _text: self._emit(self.committed, self.edit.text()))
        self.pick = QToolButton(self)
        self.pick.setObjectName("pickPerson")
        self.pick.setText(_("Pick…"))
        self.pick.setToolTip(_("Pick a person already named in this conversation"))
        self.pick.setAccessibleName(_("Pick a person already named in this conversation"))
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.pick.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # by keyboard: type, the list offers
        self.pick.setMenu(QMenu(self.pick))
        self.pick.menu().aboutToShow.connect(self._fill_people)
        self.row.addWidget(self.pick)

    def people(self) -> list[str]:
        own = self.edit.text().strip().casefold()
        return [n for n in self.context.people() if n.strip().casefold() != own]

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if watched is self.edit and event.type() in (
            QFocusEvent.Type.FocusIn,
            QFocusEvent.Type.FocusOut,
        ):
            popup = event.reason() == Qt.FocusReason.PopupFocusReason
            self._to_popup = popup and event.type() == QFocusEvent.Type.FocusOut
            # Not when the focus comes back from the completer's own list: Qt hides the list
            # before it completes, and a list reset in between makes it complete the letters
            # typed ("pie") instead of the name chosen ("Piet Jansen").
            if self.question.person and event.type() == QFocusEvent.Type.FocusIn and not popup:
                names = self.people()
                if names != self.names.stringList():
                    self.names.setStringList(names)
        return False

    def _fill_people(self) -> None:
        menu = self.pick.menu()
        menu.clear()
        names = self.people()
        if not names:
            menu.addAction(_("No one named yet")).setEnabled(False)
        for name in names:
            action = QAction(name, menu)
            action.triggered.connect(lambda _c=False, n=name: self._picked(n))
            menu.addAction(action)

    def _picked(self, name: str) -> None:
        self.edit.setText(name)
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._emit(self.committed, name)

    def value(self) -> str:
        return self.edit.text()

    def _show(self, stored: Any) -> None:
        self.edit.setText(show_number(stored))

    def show_normalised(self, stored: Any) -> None:
        shown = show_number(stored)
        if self.question.type != QuestionType.TEXT and shown != self.edit.text():
            self.set_value(stored)

    def focus_target(self) -> QWidget:
        return self.edit

    def focus_state(self) -> dict[str, Any]:
        return {"text": self.edit.text(), "cursor": self.edit.cursorPosition()}

    def restore_focus(self, state: dict[str, Any]) -> None:
        if "text" in state and state["text"] != self.edit.text():
            self.edit.setText(state["text"])
            self._emit(self.edited, state["text"])
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        if "cursor" in state:
            self.edit.setCursorPosition(int(state["cursor"]))


class _PlainText(QPlainTextEdit):
    left = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.left.emit()


class LongTextField(AnswerField):
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.edit = _PlainText(self)
        self.edit.setTabChangesFocus(True)  # Tab moves on; the consultant types no tab stops
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self._fit()
        self.edit.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.edit.textChanged.connect(lambda: self._emit(self.edited, self.edit.toPlainText()))
        self.edit.left.connect(lambda: self._emit(self.committed, self.edit.toPlainText()))
        self.edit.cursorPositionChanged.connect(self._follow_cursor)

    def _fit(self) -> None:
        """As high as what is written, from 3 to 9 lines: a one-line motivation takes one
        line's room plus two to go on, not a screenful (a page of results stays short)."""
        lines = self.edit.document().documentLayout().documentSize().height()  # wrapped lines
        shown = max(LINES[0], min(LINES[1], ceil(lines)))
        height = self.edit.fontMetrics().lineSpacing() * shown + 16
        if self.edit.height() != height or self.edit.minimumHeight() != height:
            self.edit.setFixedHeight(height)

    def _follow_cursor(self) -> None:
        """A field low on the page: its next lines would be typed below the screen."""
        if self.edit.hasFocus():
            line = self.edit.cursorRect()
            bring_into_view(
                self.edit, QRect(self.edit.viewport().mapTo(self.edit, line.topLeft()), line.size())
            )

    def value(self) -> str:
        return self.edit.toPlainText()

    def _show(self, stored: Any) -> None:
        self.edit.setPlainText("" if stored is None else str(stored))

    def focus_target(self) -> QWidget:
        return self.edit

    def focus_state(self) -> dict[str, Any]:
        return {"text": self.edit.toPlainText(), "cursor": self.edit.textCursor().position()}

    def restore_focus(self, state: dict[str, Any]) -> None:
        if "text" in state and state["text"] != self.edit.toPlainText():
            self.edit.setPlainText(state["text"])
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        if "cursor" in state:
            cursor = self.edit.textCursor()
            cursor.setPosition(min(int(state["cursor"]), len(self.edit.toPlainText())))
            self.edit.setTextCursor(cursor)


class ComputedField(AnswerField):
    """A value the form calculates; shown, never typed."""

    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.label = QLabel(self)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.label.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addStretch(1)

    def value(self) -> Any:
        return None

    def _show(self, stored: Any) -> None:
        unit = f" {self.question.unit}" if self.question.unit else ""
        self.label.setText("—" if stored is None else f"{shown_computed(stored)}{unit}")

    def focus_target(self) -> QWidget:
        return self.label
