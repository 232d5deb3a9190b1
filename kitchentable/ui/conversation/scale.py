"""The 1–5 scale (ZRM style): five levels, each with its description visible beside it.

Owns showing the levels as a column of radio buttons, level 1 first, so the consultant reads
every description while choosing; arrow keys move between levels. Never stores anything.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QRadioButton, QVBoxLayout, QWidget

from kitchentable.formengine.model import Question
from kitchentable.i18n import _
from kitchentable.ui.conversation.fields import ButtonsField


class ScaleField(ButtonsField):
    def __init__(self, question: Question, parent: QWidget | None = None) -> None:
        super().__init__(question, parent)
        self.setObjectName("scale")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for level, description in enumerate(question.levels, start=1):
            button = QRadioButton(f"{level}  ·  {description}", self)
            button.setObjectName(f"level{level}")
            button.setAccessibleName(
                _("Level {level}: {description}").format(level=level, description=description)
            )
            self.add_button(button, level)
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.clear, 0, Qt.AlignmentFlag.AlignLeft)
        self.clear.setVisible(False)
