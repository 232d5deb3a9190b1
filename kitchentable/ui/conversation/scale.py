"""The 1–5 scale (ZRM style): five levels, each with its description visible beside it.

Owns showing the levels as a column of radio buttons, level 1 first, so the consultant reads
every description while choosing; each level's whole row is its hit area and nothing moves
between press and release; arrow keys move between levels. Never stores anything.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kitchentable.formengine.model import Question
from kitchentable.i18n import _
from kitchentable.ui.conversation.buttons import ButtonsField, OptionRadio, option_button
from kitchentable.ui.conversation.fields import FieldContext


class ScaleField(ButtonsField):
    def __init__(
        self, question: Question, parent: QWidget | None = None, context: FieldContext | None = None
    ) -> None:
        super().__init__(question, parent, context)
        self.setObjectName("scale")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for level, description in enumerate(question.levels, start=1):
            button = option_button(OptionRadio(f"{level}  ·  {description}", self))
            button.setObjectName(f"level{level}")
            button.setAccessibleName(
                _("Level {level}: {description}").format(level=level, description=description)
            )
            self.add_button(button, level)
            layout.addWidget(button)
        layout.addWidget(self.add_clear(), 0, Qt.AlignmentFlag.AlignLeft)
