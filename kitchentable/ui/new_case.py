"""The 'new case' dialog: a melding registered at the laptop (the office usually sends cases).

Owns the fields of a new case, checking them as typed (the BSN with the 11-proef, the
postcode, dates) and creating the case through a worker task. A BSN typed here is stored as
'typed' (not verified against the population register). Never writes to storage itself.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kitchentable.domain.case import Address, BsnSource, Person
from kitchentable.formengine import validators
from kitchentable.formengine.model import Form
from kitchentable.i18n import _
from kitchentable.ui.errors import message_for
from kitchentable.ui.session import Session

if TYPE_CHECKING:
    from kitchentable.services import Profile


class NewCaseDialog(QDialog):
    created = Signal(str)  # the new case's id

    def __init__(self, session: Session, forms: list[Form], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(_("New case"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 36)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.external_id = self._line(form, _("Melding number"), _("e.g. M-2026-0450"))
        self.melding_date = QDateEdit(QDate.currentDate(), self)
        self.melding_date.setCalendarPopup(True)
        self.melding_date.setDisplayFormat("dd-MM-yyyy")
        self.melding_date.setAccessibleName(_("Melding date"))
        form.addRow(_("Melding &date"), self.melding_date)
        self.name = self._line(form, _("Name of the inhabitant"), "")
        self.bsn = self._line(form, _("BSN (optional)"), _("9 digits"))
        self.birth_date = self._line(form, _("Date of birth (optional)"), _("dd-mm-yyyy"))
        self.street = self._line(form, _("Street and number"), "")
        self.postcode = self._line(form, _("Postcode"), "1234 AB")
        self.city = self._line(form, _("Town"), "")
        self.form_choice = QComboBox(self)
        self.form_choice.setAccessibleName(_("Conversation form"))
        for item in forms:
            self.form_choice.addItem(f"{item.title} ({item.version})", item.id)
        if len(forms) > 1:
            form.addRow(_("Conversation &form"), self.form_choice)
        else:
            self.form_choice.hide()
        layout.addLayout(form)
        self.problem = QLabel(self)
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Create case"))
        self.buttons.accepted.connect(self._create)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _line(self, form: QFormLayout, label: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setAccessibleName(label)
        if placeholder:
            edit.setPlaceholderText(placeholder)
        form.addRow(label, edit)
        return edit

    def _check(self) -> tuple[Person, str] | str:
        """The person and melding number, or the first problem as a sentence."""
        external_id = self.external_id.text().strip()
        name = self.name.text().strip()
        if not external_id:
            return _("Fill in the melding number.")
        if not name:
            return _("Fill in the name of the inhabitant.")
        try:
            bsn = validators.normalise_bsn(self.bsn.text()) if self.bsn.text().strip() else ""
            postcode = (
                validators.normalise_postcode(self.postcode.text())
                if self.postcode.text().strip()
                else ""
            )
            born = (
                validators.normalise_date(self.birth_date.text())
                if self.birth_date.text().strip()
                else ""
            )
        except ValueError as exc:
            return str(exc)
        person = Person(
            name=name,
            bsn=bsn,
            bsn_source=BsnSource.TYPED,
            birth_date=born,
            address=Address(self.street.text().strip(), postcode, self.city.text().strip()),
        )
        return person, external_id

    def _create(self) -> None:
        checked = self._check()
        if isinstance(checked, str):
            self._show_problem(checked)
            return
        person, external_id = checked
        melding = self.melding_date.date().toPython()
        assert isinstance(melding, date)
        form_id = self.form_choice.currentData()

        def work(profile: Profile) -> str | None:
            # The melding number is unique; say so instead of failing on the database index.
            if profile.external_id_exists(external_id):
                return None
            return profile.create_case(
                external_id=external_id, melding_date=melding, person=person, form_id=form_id
            )

        self.buttons.setEnabled(False)
        self.session.op(self, work).success(self._created).failure(
            lambda error: self._show_problem(message_for(error))
        ).run_in_background()

    def _created(self, case_id: str | None) -> None:
        self.buttons.setEnabled(True)
        if case_id is None:
            self._show_problem(_("A case with this melding number already exists."))
            return
        self.created.emit(case_id)
        self.accept()

    def _show_problem(self, text: str) -> None:
        self.buttons.setEnabled(True)
        self.problem.setText(text)
        self.problem.show()
