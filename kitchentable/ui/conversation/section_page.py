"""One page per section: its title and help, and a row per question (label, help, input, message).

Owns the layout of a section and applying the live state to it: which rows are visible
(skip logic), which messages show, computed values — for every row when the page is built,
afterwards only for the rows a change report names. Keeps the control in use where it is on
the screen while rows above it appear, disappear or grow (scroll anchoring). Reports every
input upward with the question it belongs to. Never coerces, saves or decides what is valid
(the page and the form engine do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from kitchentable.formengine.model import Form, Question, QuestionType, Section
from kitchentable.formengine.session import ConversationState, is_empty
from kitchentable.i18n import _
from kitchentable.ui.conversation.fields import AnswerField, FieldContext
from kitchentable.ui.conversation.group import GroupField
from kitchentable.ui.conversation.kinds import make_field

InputHandler = Callable[[Question, Any, bool], None]


def field_for(question: Question, parent: QWidget, context: FieldContext) -> AnswerField:
    if question.type == QuestionType.GROUP:
        return GroupField(question, parent, context)
    return make_field(question, parent, context)


class QuestionRow(QFrame):
    def __init__(
        self, form: Form, question: Question, context: FieldContext, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("questionRow")
        self.question = question
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(4)
        self.label = QLabel(str(question.label), self)
        self.label.setObjectName("questionLabel")
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        topics = [form.topic(t) for t in question.legal_topics]
        names = ", ".join(str(t.label) for t in topics if t is not None)
        if names:
            self.label.setToolTip(_("Legal topic: {topics}").format(topics=names))
        help_text = str(question.help) if question.help else ""
        if help_text:
            self.help = QLabel(help_text, self)
            self.help.setObjectName("help")
            self.help.setWordWrap(True)
            layout.addWidget(self.help)
        self.field: AnswerField = field_for(question, self, context)
        layout.addWidget(self.field)
        if question.type != QuestionType.GROUP:
            self.label.setBuddy(self.field.focus_target())
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self._help_text = help_text
        self._required: bool | None = None

    def set_required(self, required: bool) -> None:
        if required == self._required:
            return
        self._required = required
        text = str(self.question.label)
        self.label.setText(f"{text} <span style='color:#9a4a00'>*</span>" if required else text)
        self.label.setTextFormat(Qt.TextFormat.RichText if required else Qt.TextFormat.PlainText)
        name = f"{text} ({_('required')})" if required else text
        self.field.set_accessible(name, self._help_text)

    def set_error(self, message: str | None) -> None:
        if (message or "") == self.error.text() and bool(message) == self.error.isVisibleTo(self):
            return
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        target = self.field.focus_target()
        target.setProperty("invalid", bool(message))
        target.style().unpolish(target)
        target.style().polish(target)


class SectionPage(QScrollArea):
    def __init__(
        self,
        form: Form,
        section: Section,
        on_input: InputHandler,
        context: FieldContext,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.section = section
        self.setObjectName("sectionPage")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(self)
        body.setObjectName("sectionBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 16, 24, 24)
        layout.setSpacing(8)
        title = QLabel(str(section.title), body)
        title.setObjectName("sectionTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        if section.help:
            help_label = QLabel(str(section.help), body)
            help_label.setObjectName("help")
            help_label.setWordWrap(True)
            layout.addWidget(help_label)
        self.rows: dict[str, QuestionRow] = {}
        for question in section.questions:
            row = QuestionRow(form, question, context, body)
            row.field.edited.connect(lambda raw, q=question: on_input(q, raw, False))
            row.field.committed.connect(lambda raw, q=question: on_input(q, raw, True))
            layout.addWidget(row)
            self.rows[question.id] = row
        layout.addStretch(1)
        self.setWidget(body)

    def load(self, state: ConversationState) -> None:
        for question_id, row in self.rows.items():
            if row.question.type == QuestionType.COMPUTED:
                continue
            row.field.set_value(state.answers.get(question_id))

    def refresh(self, state: ConversationState, touched: set[str], invalid: dict[str, str]) -> None:
        """Skip logic, required marks, messages and computed values, from the live state."""
        self.refresh_rows(state, self.rows, touched, invalid)

    def refresh_rows(
        self,
        state: ConversationState,
        question_ids: Iterable[str],
        touched: set[str],
        invalid: dict[str, str],
    ) -> None:
        """The same for only these rows, keeping the control in use still on the screen."""
        rows = [self.rows[q] for q in question_ids if q in self.rows]
        if not rows:
            return
        anchor = self._anchor()
        for row in rows:
            self._refresh_row(row, state, touched, invalid)
        self._hold(anchor)

    def _refresh_row(
        self, row: QuestionRow, state: ConversationState, touched: set[str], invalid: dict[str, str]
    ) -> None:
        question = row.question
        visible = state.visible(question)
        if row.isVisibleTo(self.widget()) != visible:
            row.setVisible(visible)
        if not visible:
            return
        row.set_required(state.required(question))
        if question.type == QuestionType.COMPUTED:
            row.field.set_value(state.value(question.id))
            return
        message = invalid.get(question.id)
        if message is None and (
            question.id in touched or not is_empty(state.answers.get(question.id))
        ):
            message = state.question_error(question)
        row.set_error(message)
        if isinstance(row.field, GroupField):
            row.field.refresh(state)

    # -- holding still ---------------------------------------------------------------------
    def _anchor(self) -> tuple[QWidget, int] | None:
        """The widget in use (focus, else under the pointer's press) and its height on screen."""
        focused = QApplication.focusWidget()
        body = self.widget()
        if focused is None or body is None or not body.isAncestorOf(focused):
            return None
        return focused, focused.mapTo(self.viewport(), QPoint(0, 0)).y()

    def _hold(self, anchor: tuple[QWidget, int] | None) -> None:
        """After rows changed: scroll so the widget in use is where it was (rows that appear
        or grow above it push the page, not the control under the consultant's hand)."""
        body = self.widget()
        if anchor is None or body is None:
            return
        self._settle(body)
        widget, before = anchor
        after = widget.mapTo(self.viewport(), QPoint(0, 0)).y()
        if after != before:
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + after - before)

    def _settle(self, body: QWidget) -> None:
        """Lay the page out now, at the size the scroll area will give it: activating the
        layout alone would first squeeze the rows into the old height."""
        layout = body.layout()
        layout.invalidate()
        width = self.viewport().width()
        height = (
            layout.totalHeightForWidth(width)
            if layout.hasHeightForWidth()
            else layout.totalSizeHint().height()
        )
        body.resize(width, max(height, self.viewport().height()))

    def first_input(self) -> QWidget | None:
        for row in self.rows.values():
            if row.isVisibleTo(self) and row.question.type != QuestionType.COMPUTED:
                return row.field.focus_target()
        return None
