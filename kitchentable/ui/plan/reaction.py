"""The reaction on the plan page: agree or not, remarks in the reader's own words, the place.

Owns these fields and their words for either audience (a Wmo report: the inhabitant; a
gezinsplan: the family), laid out so they fit a narrow column (the choices wrap under each
other rather than push the panel wider than the screen). Emits `changed` on every edit so
the page can update what still blocks signing. Never saves (the plan page does, through
the session).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.i18n import _


class ReactionBox(QGroupBox):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.agree = QRadioButton()
        self.disagree = QRadioButton()
        self.unknown = QRadioButton()
        self.unknown.setChecked(True)
        self.group = QButtonGroup(self)
        choices = QVBoxLayout()
        choices.setSpacing(2)
        for button in (self.agree, self.disagree, self.unknown):
            self.group.addButton(button)
            choices.addWidget(button)
        self.group.buttonToggled.connect(lambda *_args: self.changed.emit())
        self.remarks = QPlainTextEdit()
        self.remarks.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        self.remarks.textChanged.connect(self.changed)
        self.place = QLineEdit()
        self.place.textChanged.connect(self.changed)
        self.update_button = QPushButton()
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(_("Reaction"), choices)
        form.addRow(_("Remarks"), self.remarks)
        form.addRow(_("Place"), self.place)
        form.addRow("", self.update_button)
        self.set_kind("wmo")

    def set_kind(self, kind: str) -> None:
        """The words for the reader: the inhabitant, or the family of a gezinsplan."""
        family = kind == "jeugd"
        self.setTitle(_("The family's reaction") if family else _("The inhabitant's reaction"))
        self.agree.setText(_("Agrees"))
        self.disagree.setText(_("Does not agree"))
        self.unknown.setText(_("Not stated"))
        self.remarks.setAccessibleName(
            _("Remarks and additions of the family")
            if family
            else _("Remarks and additions of the inhabitant")
        )
        self.remarks.setPlaceholderText(
            _("What the family wants to add or correct, in their own words")
            if family
            else _("What the inhabitant wants to add or correct, in their own words")
        )
        self.place.setAccessibleName(_("Place of signing"))
        self.update_button.setText(_("Update the draft"))

    def show_reaction(self, agrees: bool | None, remarks: str, place: str) -> None:
        {True: self.agree, False: self.disagree, None: self.unknown}[agrees].setChecked(True)
        self.remarks.setPlainText(remarks)
        self.place.setText(place)

    def values(self) -> tuple[bool | None, str, str]:
        agrees = True if self.agree.isChecked() else False if self.disagree.isChecked() else None
        return agrees, self.remarks.toPlainText(), self.place.text().strip()

    def set_editable(self, editable: bool) -> None:
        for widget in (self.agree, self.disagree, self.unknown, self.remarks, self.place):
            widget.setEnabled(editable)
        self.update_button.setVisible(editable)  # a sealed plan has no draft to update
