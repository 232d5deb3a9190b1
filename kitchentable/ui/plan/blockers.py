"""What must happen before the plan can be signed, as a list one can click.

Owns showing each SealBlocker's sentence as a link-like button; a click asks to go there:
`jump(kind, section, question)` (the plan page focuses its own fields, or asks the main
window to open the conversation at that question). Never decides what blocks (the
services do).
"""

from __future__ import annotations

import textwrap

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from kitchentable.errors import SealBlocker
from kitchentable.i18n import _

WRAP = 60  # characters a line


class BlockerList(QGroupBox):
    jump = Signal(str, str, str)  # kind, section id, question id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_("Before signing"), parent)
        self.setObjectName("sealBlockers")
        self._layout = QVBoxLayout(self)
        self.intro = QLabel(_("Click an item to go there."), self)
        self.intro.setWordWrap(True)
        self._layout.addWidget(self.intro)
        self.buttons: list[QPushButton] = []
        self.blockers: list[SealBlocker] = []
        self.setVisible(False)

    def show_blockers(self, blockers: list[SealBlocker]) -> None:
        for button in self.buttons:
            button.setParent(None)
            button.deleteLater()
        self.buttons = []
        self.blockers = list(blockers)
        for blocker in blockers:
            # A push button does not wrap its text: the sentence is wrapped here.
            button = QPushButton(textwrap.fill(blocker.text, WRAP), self)
            button.setObjectName("linkButton")
            button.setFlat(True)
            button.setToolTip(blocker.text)
            button.setAccessibleName(blocker.text)
            button.setStyleSheet("text-align: left; padding: 2px 4px;")
            button.clicked.connect(
                lambda _checked=False, b=blocker: self.jump.emit(b.kind, b.section, b.question)
            )
            self._layout.addWidget(button)
            self.buttons.append(button)
        self.setVisible(bool(blockers))
