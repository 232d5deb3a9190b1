"""Answers chosen, not typed: yes/no, one choice (buttons or a list), several choices.

Owns the chosen widgets with hit areas that are easy to click at a kitchen table (the whole
padded row of an option, not only its small circle) and a page that holds still around them:
the "Clear answer" link keeps its place while it is hidden, so answering never moves a row,
and nothing about an option changes between press and release. By keyboard, Tab reaches a
question's options first (at the one chosen, if any) and "Clear answer" after them, so a
Space meant for an option never wipes the answer. Never saves or validates.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kitchentable.formengine.model import Question
from kitchentable.i18n import _
from kitchentable.ui.conversation.fields import AnswerField, FieldContext

RADIO_LIMIT = 6  # more options than this become a drop-down list


class OptionRadio(QRadioButton):
    """A radio button that answers to a click anywhere on it, not only on its circle and
    text: Qt's own hit area is the indicator and the words, a few pixels high."""

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Tab into an answered question lands on the option chosen (Qt takes the group's
        first button): a Space there keeps the answer instead of changing it."""
        group = self.group()
        chosen = group.checkedButton() if group is not None else None
        tabbed = event.reason() in (
            Qt.FocusReason.TabFocusReason,
            Qt.FocusReason.BacktabFocusReason,
        )
        if tabbed and chosen is not None and chosen is not self:
            chosen.setFocus(event.reason())
            return
        super().focusInEvent(event)


class OptionCheck(QCheckBox):
    """A check box that answers to a click anywhere on it (see OptionRadio)."""

    def hitButton(self, pos: QPoint) -> bool:
        return self.rect().contains(pos)


def option_button(button: QAbstractButton, wide: bool = True) -> QAbstractButton:
    """An option whose whole (padded) row is the hit area (style: QSS `[option="true"]`)."""
    button.setProperty("option", True)
    if wide:
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return button


class ButtonsField(AnswerField):
    """Radio buttons (yes/no, one choice, a scale level) with a way to clear the answer."""

    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.values: list[Any] = []
        self.group.idClicked.connect(self._clicked)

    def add_clear(self) -> QPushButton:
        """ "Clear answer", made after the options so Tab reaches it after them (Qt's Tab
        order is the order widgets are made in)."""
        self.clear = QPushButton(_("Clear answer"), self)
        self.clear.setObjectName("clearAnswer")
        self.clear.setFlat(True)
        # Hidden until there is an answer, but its room is kept: the first answer must not
        # push the rows below it down under the pointer.
        policy = self.clear.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.clear.setSizePolicy(policy)
        self.clear.clicked.connect(self._cleared)
        self.clear.setVisible(False)
        return self.clear

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
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for text, value in ((_("Yes"), True), (_("No"), False)):
            button = option_button(OptionRadio(text, self), wide=False)
            button.setMinimumWidth(self.fontMetrics().horizontalAdvance(text) + 64)
            self.add_button(button, value)
            layout.addWidget(button)
        layout.addWidget(self.add_clear(), 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)


class ChoiceField(ButtonsField):
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for option in question.options:
            button = option_button(OptionRadio(str(option.label), self))
            if option.help:
                button.setToolTip(str(option.help))
            self.add_button(button, option.value)
            layout.addWidget(button)
        layout.addWidget(self.add_clear(), 0, Qt.AlignmentFlag.AlignLeft)


class ComboField(AnswerField):
    """One choice out of many options: a drop-down list with an empty first entry."""

    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
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


class ProductField(ComboField):
    """A product from the municipality's list (`options_from: products`): only the products
    of the category chosen in the same item are offered; a product picked earlier stays
    listed, so a changed category shows it beside its message instead of hiding it."""

    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.combo.setObjectName("productPicker")
        # The list changes with the kind chosen: the box follows the longest name offered.
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._category: Any = None
        self._stored: Any = None
        self._fill()

    def set_scope(self, item: dict[str, Any]) -> None:
        category = item.get(self.question.options_filter or "")
        if category != self._category:
            self._category = category
            self._fill()

    def _show(self, stored: Any) -> None:
        self._stored = stored
        self._fill()

    def _fill(self) -> None:
        self.combo.clear()
        shown = [
            o for o in self.question.options if o.group == self._category or o.value == self._stored
        ]
        if not self.question.options:
            empty = _("(the municipality sent no product list)")
        elif self._category is None:
            empty = _("(choose the kind first)")
        elif not shown:
            empty = _("(no product of this kind in the list)")
        else:
            empty = _("(not answered)")
        self.combo.addItem(empty, None)
        for option in shown:
            self.combo.addItem(str(option.label), option.value)
        index = self.combo.findData(self._stored) if self._stored is not None else 0
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.setEnabled(bool(shown) or self._stored is not None)

    def value(self) -> Any:
        self._stored = self.combo.currentData()
        return self._stored


class MultiChoiceField(AnswerField):
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.boxes: list[tuple[QCheckBox, str]] = []
        for option in question.options:
            box = option_button(OptionCheck(str(option.label), self))
            assert isinstance(box, QCheckBox)
            if option.help:
                box.setToolTip(str(option.help))
            box.toggled.connect(lambda _c: self._emit(self.committed, self.value()))
            layout.addWidget(box)
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
