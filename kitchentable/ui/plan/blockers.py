"""What must happen before the plan can be signed, as a list one can click.

Owns showing each SealBlocker's sentence as a link-like button; a click asks to go there:
`jump(blocker)` (the plan page focuses its own fields, or asks the main window to open the
conversation at that question). Sentences are wrapped to fit the narrow panel beside the
preview. Never decides what blocks (the services do).
"""

from __future__ import annotations

import textwrap

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from kitchentable.errors import SealBlocker
from kitchentable.i18n import _

WRAP = 44  # characters a line: the panel beside the preview is ~420 px on a 1366 px screen


class BlockerList(QGroupBox):
    jump = Signal(object)  # the SealBlocker clicked

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
        if list(blockers) == self.blockers and len(self.buttons) == len(blockers):
            self.setVisible(bool(blockers))
            return  # the same list (the page asks again on every key typed for the place)
        for button in self.buttons:
            # Hidden, out of the layout, then deleted; never parentless while the layout may
            # still show it: Qt would show it as a window of its own.
            self._layout.removeWidget(button)
            button.hide()
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
            button.clicked.connect(lambda _checked=False, b=blocker: self.jump.emit(b))
            self._layout.addWidget(button)
            self.buttons.append(button)
        self.setVisible(bool(blockers))
        for button in self.buttons:
            button.show()  # now, not when the layout gets round to it: it may take the focus
