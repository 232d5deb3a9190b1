"""The 'new case' dialog: a melding registered at the laptop (the office usually sends cases).

Owns the fields of a new case in the order a consultant types them (melding number and date,
name, date of birth, BSN, address, form), checking all of them at once when the case is
created: every problem is marked at its field and named in a summary, and nothing typed is
lost. The melding date drives the six-week deadline, so it must lie between 1-1-2015 (the
Wmo 2015) and today. The default form is the one for the consultant's role (Wmo or Jeugd,
a profile setting). A BSN typed here is stored as 'typed' (not verified against the
population register). Creates the case through a worker task; never writes to storage itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kitchentable.config import ConsultantRole
from kitchentable.domain.case import Address, BsnSource, Person
from kitchentable.formengine import validators
from kitchentable.formengine.model import Form
from kitchentable.i18n import _, ngettext
from kitchentable.ui.date_edit import DateLineEdit
from kitchentable.ui.errors import message_for
from kitchentable.ui.session import Session

if TYPE_CHECKING:
    from kitchentable.services import Profile

# The Wmo 2015 took effect on 1 January 2015; an earlier melding date is a typing error.
FIRST_MELDING = date(2015, 1, 1)
FIRST_BIRTH = date(1900, 1, 1)


@dataclass
class _Field:
    name: str  # how messages name the field
    editor: QLineEdit | DateLineEdit
    error: QLabel

    @property
    def line(self) -> QLineEdit:
        return self.editor.edit if isinstance(self.editor, DateLineEdit) else self.editor


def ordered_forms(forms: list[Form], role: ConsultantRole) -> list[Form]:
    """The consultant's own kind of form first (Wmo or Jeugd), then the others, by title."""
    return sorted(forms, key=lambda form: (form.kind != role.value, str(form.title)))


class NewCaseDialog(QDialog):
    created = Signal(str)  # the new case's id

    def __init__(
        self,
        session: Session,
        forms: list[Form],
        role: ConsultantRole = ConsultantRole.WMO,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(_("New case"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 48)
        self.fields: dict[str, _Field] = {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form_layout = form
        self.external_id = self._line("external_id", _("&Melding number"), _("Melding number"))
        self.external_id.setPlaceholderText(_("e.g. M-2026-0450"))
        self.melding_date = self._date("melding_date", _("Melding &date"), _("Melding date"))
        self.melding_date.set_date(date.today())
        self.name = self._line("name", _("&Name of the inhabitant"), _("Name of the inhabitant"))
        self.birth_date = self._date(
            "birth_date", _("Date of b&irth (optional)"), _("Date of birth")
        )
        self.bsn = self._line("bsn", _("&BSN (optional)"), _("BSN"))
        self.bsn.setPlaceholderText(_("9 digits"))
        self.street = self._line("street", _("&Street and number"), _("Street and number"))
        self.postcode = self._line("postcode", _("&Postcode"), _("Postcode"))
        self.postcode.setPlaceholderText("1234 AB")
        self.city = self._line("city", _("&Town"), _("Town"))
        self.form_choice = QComboBox(self)
        self.form_choice.setAccessibleName(_("Conversation form"))
        for item in ordered_forms(forms, role):
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

    # -- building ------------------------------------------------------------------------------
    def _add(self, key: str, label: str, name: str, editor: QLineEdit | DateLineEdit) -> None:
        holder = QWidget(self)
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(editor)
        error = QLabel(holder)
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.form_layout.addRow(label, holder)
        buddy = self.form_layout.labelForField(holder)
        if isinstance(buddy, QLabel):
            buddy.setBuddy(editor)
        field = _Field(name, editor, error)
        field.line.setAccessibleName(name)
        self.fields[key] = field

    def _line(self, key: str, label: str, name: str) -> QLineEdit:
        edit = QLineEdit(self)
        self._add(key, label, name, edit)
        edit.textEdited.connect(lambda _text, k=key: self._recheck(k))
        return edit

    def _date(self, key: str, label: str, name: str) -> DateLineEdit:
        edit = DateLineEdit(self)
        self._add(key, label, name, edit)
        edit.edited.connect(lambda k=key: self._recheck(k))
        return edit

    # -- checking ------------------------------------------------------------------------------
    def _problem(self, key: str) -> str | None:
        """What is wrong with one field, as a sentence, or None."""
        text = self.fields[key].line.text().strip()
        required = {
            "external_id": _("Fill in the melding number."),
            "melding_date": _("Fill in the date of the melding."),
            "name": _("Fill in the name of the inhabitant."),
        }
        if not text:
            return required.get(key)
        try:
            if key == "melding_date":
                return _date_problem(
                    self.melding_date.date(),
                    FIRST_MELDING,
                    _(
                        "A melding date before 01-01-2015 is not possible: the Wmo 2015 starts then."
                    ),
                    _("The melding date cannot be later than today."),
                )
            if key == "birth_date":
                return _date_problem(
                    self.birth_date.date(),
                    FIRST_BIRTH,
                    _("A date of birth before 1900 is not possible."),
                    _("The date of birth cannot be later than today."),
                )
            if key == "bsn":
                validators.normalise_bsn(text)
            if key == "postcode":
                validators.normalise_postcode(text)
        except ValueError as exc:
            return str(exc)
        return None

    def _mark(self, key: str, problem: str | None) -> None:
        field = self.fields[key]
        line = field.line
        line.setProperty("invalid", problem is not None)
        line.style().unpolish(line)
        line.style().polish(line)
        if problem is None:
            field.error.clear()
            field.error.hide()
            line.setAccessibleDescription("")
            return
        text = _("{field}: {problem}").format(field=field.name, problem=problem)
        field.error.setText(text)
        field.error.show()
        line.setAccessibleDescription(text)

    def _recheck(self, key: str) -> None:
        """A marked field loses its mark as soon as it is right; a new mark waits for 'Create'
        (a message appearing under a field while typing would move the fields below)."""
        if self.fields[key].error.isVisible() and self._problem(key) is None:
            self._mark(key, None)
            self._summarise()

    def check(self) -> bool:
        """Mark every field that is wrong, name them all in the summary, focus the first."""
        for key in self.fields:
            self._mark(key, self._problem(key))
        wrong = self._summarise()
        if wrong:
            self.fields[wrong[0]].line.setFocus(Qt.FocusReason.OtherFocusReason)
        return not wrong

    def _summarise(self) -> list[str]:
        wrong = [key for key, field in self.fields.items() if field.error.isVisible()]
        self._fit()
        if not wrong:
            self.problem.hide()
            return wrong
        names = ", ".join(self.fields[key].name for key in wrong)
        self.problem.setText(
            ngettext(
                "Check this field: {names}.", "Check these {n} fields: {names}.", len(wrong)
            ).format(n=len(wrong), names=names)
        )
        self.problem.show()
        self._fit()
        return wrong

    def _fit(self) -> None:
        """Grow (or shrink back) with the messages: wrapped lines get their full height."""
        layout = self.layout()
        layout.activate()
        height = layout.totalHeightForWidth(self.width())
        if height > 0:
            self.resize(self.width(), height)

    def person(self) -> Person:
        """The inhabitant as typed (call after check())."""
        bsn = self.bsn.text().strip()
        postcode = self.postcode.text().strip()
        return Person(
            name=self.name.text().strip(),
            bsn=validators.normalise_bsn(bsn) if bsn else "",
            bsn_source=BsnSource.TYPED,
            birth_date=self.birth_date.date().isoformat() if self.birth_date.text().strip() else "",
            address=Address(
                self.street.text().strip(),
                validators.normalise_postcode(postcode) if postcode else "",
                self.city.text().strip(),
            ),
        )

    # -- creating ------------------------------------------------------------------------------
    def _create(self) -> None:
        if not self.check():
            return
        person = self.person()
        external_id = self.external_id.text().strip()
        melding = self.melding_date.date()
        form_id = self.form_choice.currentData()

        def work(profile: Profile) -> str | None:
            # The melding number is unique; say so instead of failing on the database index.
            if profile.external_id_exists(external_id):
                return None
            return profile.create_case(
                external_id=external_id, melding_date=melding, person=person, form_id=form_id
            )

        self.buttons.setEnabled(False)
        self.session.op(self, work).success(self._created).failure(self._failed).run_in_background()

    def _created(self, case_id: str | None) -> None:
        self.buttons.setEnabled(True)
        if case_id is None:
            self._mark("external_id", _("A case with this melding number already exists."))
            self._summarise()
            self.external_id.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.created.emit(case_id)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.problem.setText(message_for(error))
        self.problem.show()


def _date_problem(day: date, first: date, too_early: str, too_late: str) -> str | None:
    if day < first:
        return too_early
    if day > date.today():
        return too_late
    return None
