"""Which widget answers which question type (every type but the repeating group).

Owns the table from question type to answer widget, so the section page and the repeating
group build fields the same way without importing each other. Never builds a group (the
section page does: a group holds fields, never another group).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from kitchentable.formengine.model import Question, QuestionType
from kitchentable.formengine.optionsources import PRODUCTS
from kitchentable.ui.conversation.buttons import (
    RADIO_LIMIT,
    ChoiceField,
    ComboField,
    MultiChoiceField,
    ProductField,
    YesNoField,
)
from kitchentable.ui.conversation.datefield import DateField
from kitchentable.ui.conversation.fields import (
    AnswerField,
    ComputedField,
    FieldContext,
    LineField,
    LongTextField,
)
from kitchentable.ui.conversation.scale import ScaleField


def make_field(
    question: Question, parent: QWidget | None = None, context: FieldContext | None = None
) -> AnswerField:
    """The widget for one question (one line of text unless the type says more)."""
    if question.type == QuestionType.GROUP:
        raise ValueError("a group is built by the section page (conversation.group)")
    kinds: dict[QuestionType, type[AnswerField]] = {
        QuestionType.LONGTEXT: LongTextField,
        QuestionType.DATE: DateField,
        QuestionType.YESNO: YesNoField,
        QuestionType.CHOICE: (ComboField if len(question.options) > RADIO_LIMIT else ChoiceField),
        QuestionType.MULTICHOICE: MultiChoiceField,
        QuestionType.SCALE: ScaleField,
        QuestionType.COMPUTED: ComputedField,
    }
    if question.options_from == PRODUCTS:
        return ProductField(question, parent, context)
    return kinds.get(question.type, LineField)(question, parent, context)
