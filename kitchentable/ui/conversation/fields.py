"""A widget per question type, built from the form (one class per kind of input).

Owns showing a stored value and reporting what the consultant enters: `edited` while typing
(the page saves after a short pause) and `committed` when an answer is final (focus leaves a
text field, a choice is clicked: the page saves at once). Raw input is reported as is; the
page coerces it with the form engine. Never saves, validates or evaluates rules itself.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from kitchentable.formengine.model import Question, QuestionType
from kitchentable.i18n import _, language

RADIO_LIMIT = 6  # more options than this become a drop-down list


class AnswerField(QWidget):
    """Base of every answer widget. Subclasses fill `value`, `set_value` and `focus_target`."""

    edited = Signal(object)
    committed = Signal(object)

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self._loading = False

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, stored: Any) -> None:
        self._loading = True
        try:
            self._show(stored)
        finally:
            self._loading = False

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


class LineField(AnswerField):
    """One line of text: text, number, BSN, postcode, phone, e-mail (and the date's field)."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.edit = QLineEdit(self)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(self.edit, 1)
        if question.placeholder:
            self.edit.setPlaceholderText(str(question.placeholder))
        if question.max_length:
            self.edit.setMaxLength(question.max_length)
        if question.type in (QuestionType.NUMBER, QuestionType.POSTCODE, QuestionType.BSN):
            self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 18 + 24)
        if question.unit:
            self.row.addWidget(QLabel(str(question.unit), self))
        if question.type != QuestionType.TEXT:
            self.row.addStretch(0)
        self.edit.textEdited.connect(lambda text: self._emit(self.edited, text))
        self.edit.editingFinished.connect(lambda: self._emit(self.committed, self.edit.text()))

    def value(self) -> str:
        return self.edit.text()

    def _show(self, stored: Any) -> None:
        if stored is None:
            self.edit.setText("")
        elif isinstance(stored, float) and language() == "nl":
            self.edit.setText(str(stored).replace(".", ","))
        else:
            self.edit.setText(str(stored))

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


class DateField(LineField):
    """A date typed as dd-mm-jjjj, or picked from a calendar."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.edit.setPlaceholderText(_("dd-mm-yyyy"))
        self.edit.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 14 + 24)
        self.pick = QToolButton(self)
        self.pick.setText(_("Calendar"))
        self.pick.setAccessibleName(_("Pick a date from the calendar"))
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.pick)
        self.calendar = QCalendarWidget(menu)
        self.calendar.setGridVisible(False)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.pick.setMenu(menu)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)
        self.row.insertWidget(1, self.pick)

    def _picked(self, day: QDate) -> None:
        self.pick.menu().hide()
        text = day.toString("dd-MM-yyyy")
        self.edit.setText(text)
        self._emit(self.committed, text)

    def _show(self, stored: Any) -> None:
        if isinstance(stored, str) and len(stored) == 10:
            try:
                self.edit.setText(date.fromisoformat(stored).strftime("%d-%m-%Y"))
                self.calendar.setSelectedDate(QDate.fromString(stored, "yyyy-MM-dd"))
                return
            except ValueError:
                pass
        super()._show(stored)


class _PlainText(QPlainTextEdit):
    left = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.left.emit()


class LongTextField(AnswerField):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.edit = _PlainText(self)
        self.edit.setTabChangesFocus(True)  # Tab moves on; the consultant types no tab stops
        self.edit.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        self.edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 9 + 16)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.edit.textChanged.connect(lambda: self._emit(self.edited, self.edit.toPlainText()))
        self.edit.left.connect(lambda: self._emit(self.committed, self.edit.toPlainText()))

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


class ButtonsField(AnswerField):
    """Radio buttons (yes/no, one choice, a scale level) with a way to clear the answer."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.values: list[Any] = []
        self.clear = QPushButton(_("Clear answer"), self)
        self.clear.setObjectName("clearAnswer")
        self.clear.setFlat(True)
        self.clear.clicked.connect(self._cleared)
        self.group.idClicked.connect(self._clicked)

    def add_button(self, button: QAbstractButton, value: Any) -> None:
        self.group.addButton(button, len(self.values))
        self.values.append(value)

    def _clicked(self, index: int) -> None:
        self.clear.setVisible(True)
        self._emit(self.committed, self.values[index])

    def _cleared(self) -> None:
        self._show(None)
        self.group.buttons()[0].setFocus()
        self._emit(self.committed, None)

    def value(self) -> Any:
        index = self.group.checkedId()
        return self.values[index] if index >= 0 else None

    def _show(self, stored: Any) -> None:
        self.group.setExclusive(False)
        for index, button in enumerate(self.group.buttons()):
            button.setChecked(stored is not None and self.values[index] == stored)
        self.group.setExclusive(True)
        self.clear.setVisible(stored is not None)

    def focus_target(self) -> QWidget:
        checked = self.group.checkedButton()
        return checked or self.group.buttons()[0]

    def set_accessible(self, name: str, description: str) -> None:
        for button in self.group.buttons():
            button.setAccessibleDescription(f"{name}. {description}".strip(". "))
        self.clear.setAccessibleName(_("Clear the answer to: {question}").format(question=name))


class YesNoField(ButtonsField):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, value in ((_("Yes"), True), (_("No"), False)):
            button = QRadioButton(text, self)
            self.add_button(button, value)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.clear, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.clear.setVisible(False)


class ChoiceField(ButtonsField):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for option in question.options:
            button = QRadioButton(str(option.label), self)
            if option.help:
                button.setToolTip(str(option.help))
            self.add_button(button, option.value)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.clear, 0, Qt.AlignmentFlag.AlignLeft)
        self.clear.setVisible(False)


class ComboField(AnswerField):
    """One choice out of many options: a drop-down list with an empty first entry."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.combo = QComboBox(self)
        self.combo.addItem(_("(not answered)"), None)
        for option in question.options:
            self.combo.addItem(str(option.label), option.value)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.combo.activated.connect(lambda _i: self._emit(self.committed, self.value()))

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, stored: Any) -> None:
        index = self.combo.findData(stored) if stored is not None else 0
        self.combo.setCurrentIndex(max(index, 0))

    def focus_target(self) -> QWidget:
        return self.combo


class MultiChoiceField(AnswerField):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: list[tuple[QCheckBox, str]] = []
        for option in question.options:
            box = QCheckBox(str(option.label), self)
            if option.help:
                box.setToolTip(str(option.help))
            box.toggled.connect(lambda _c: self._emit(self.committed, self.value()))
            layout.addWidget(box, 0, Qt.AlignmentFlag.AlignLeft)
            self.boxes.append((box, option.value))

    def value(self) -> list[str]:
        return [value for box, value in self.boxes if box.isChecked()]

    def _show(self, stored: Any) -> None:
        chosen = set(stored or [])
        for box, value in self.boxes:
            box.setChecked(value in chosen)

    def focus_target(self) -> QWidget:
        return self.boxes[0][0]

    def set_accessible(self, name: str, description: str) -> None:
        for box, _value in self.boxes:
            box.setAccessibleDescription(f"{name}. {description}".strip(". "))


class ComputedField(AnswerField):
    """A value the form calculates; shown, never typed."""

    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
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
        self.label.setText("—" if stored is None else f"{stored}{unit}")

    def focus_target(self) -> QWidget:
        return self.label


def make_field(question: Question, parent: QWidget | None = None) -> AnswerField:
    """The widget for one question of the form (one line of text unless the type says more)."""
    from kitchentable.ui.conversation.group import GroupField
    from kitchentable.ui.conversation.scale import ScaleField

    kinds: dict[QuestionType, type[AnswerField]] = {
        QuestionType.LONGTEXT: LongTextField,
        QuestionType.DATE: DateField,
        QuestionType.YESNO: YesNoField,
        QuestionType.CHOICE: (ComboField if len(question.options) > RADIO_LIMIT else ChoiceField),
        QuestionType.MULTICHOICE: MultiChoiceField,
        QuestionType.SCALE: ScaleField,
        QuestionType.GROUP: GroupField,
        QuestionType.COMPUTED: ComputedField,
    }
    return kinds.get(question.type, LineField)(question, parent)
