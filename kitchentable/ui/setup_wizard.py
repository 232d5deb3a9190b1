"""First run: a short wizard that creates the consultant's profile (vault) on this laptop.

Owns the three steps (who you are and whether you work under the Wmo or the Jeugdwet, a
passphrase with a strength hint, a summary that says office enrolment can follow later) and
creating the profile through a worker task. IT's preset role is chosen beforehand; what the
consultant picks here wins over it. The
core decides what is too weak (WeakPassphrase); the hint here only helps choose well. Never
stores the passphrase anywhere but in the Argon2id-wrapped key the core writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from kitchentable.config import ConsultantRole
from kitchentable.i18n import _, language
from kitchentable.presets import installation_presets
from kitchentable.ui.errors import message_for
from kitchentable.ui.session import Session

if TYPE_CHECKING:
    from kitchentable.config import Settings

MINIMUM = 10  # the core's minimum (storage.crypto.MIN_PASSPHRASE); the core is the judge


def strength(passphrase: str) -> tuple[int, str]:
    """0 too short, 1 fair, 2 good, 3 strong: length counts most, several words help."""
    words = len(passphrase.split())
    if len(passphrase) < MINIMUM:
        return 0, _("Too short: use at least {n} characters.").format(n=MINIMUM)
    if len(passphrase) >= 20 or words >= 4:
        return 3, _("Strong. Keep it somewhere only you can find it.")
    if len(passphrase) >= 14 or words >= 3:
        return 2, _("Good. A fourth word makes it stronger.")
    return 1, _("Fair. Longer is better: for example four unrelated words.")


class _AboutYou(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_("Welcome to Kitchentable"))
        self.setSubTitle(
            _("Everything you record stays encrypted on this laptop. First, who are you?")
        )
        form = QFormLayout(self)
        self.consultant = QLineEdit(self)
        self.consultant.setAccessibleName(_("Your name"))
        form.addRow(_("Your &name"), self.consultant)
        self.kind = QComboBox(self)
        self.kind.setAccessibleName(_("You work under"))
        self.kind.setToolTip(_("Chooses the form a new case starts with. You can change it later."))
        self.kind.addItem(_("Wmo (support at home)"), ConsultantRole.WMO)
        self.kind.addItem(_("Jeugdwet (youth and family)"), ConsultantRole.JEUGD)
        preset = installation_presets().consultant_role or ConsultantRole.WMO
        self.kind.setCurrentIndex(self.kind.findData(preset))
        form.addRow(_("You &work under"), self.kind)
        self.role = QLineEdit(role_title(preset), self)
        self.role.setAccessibleName(_("Your role"))
        form.addRow(_("&Role"), self.role)
        self._title = role_title(preset)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.team = QLineEdit(self)
        self.team.setAccessibleName(_("Team"))
        self.team.setPlaceholderText(_("e.g. Wijkteam Noord"))
        form.addRow(_("&Team"), self.team)
        self.language = QComboBox(self)
        self.language.setAccessibleName(_("Language"))
        self.language.addItem("Nederlands", "nl")
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(0 if language() == "nl" else 1)
        form.addRow(_("&Language"), self.language)
        self.registerField("consultant*", self.consultant)

    def chosen_role(self) -> ConsultantRole:
        return ConsultantRole(self.kind.currentData())

    def _kind_changed(self) -> None:
        """The job title follows the choice until the consultant typed one of their own."""
        if self.role.text().strip() in ("", self._title):
            self._title = role_title(self.chosen_role())
            self.role.setText(self._title)


def role_title(role: ConsultantRole) -> str:
    return _("Youth consultant") if role is ConsultantRole.JEUGD else _("Wmo consultant")


class _Passphrase(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_("Choose a passphrase"))
        self.setSubTitle(
            _(
                "It opens your cases. Several words you will remember work best. "
                "The office can restore access if you forget it."
            )
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.first = QLineEdit(self)
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.first.setAccessibleName(_("Passphrase"))
        form.addRow(_("&Passphrase"), self.first)
        self.second = QLineEdit(self)
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        self.second.setAccessibleName(_("Passphrase again"))
        form.addRow(_("&Again"), self.second)
        layout.addLayout(form)
        self.meter = QProgressBar(self)
        self.meter.setRange(0, 3)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(8)
        self.meter.setAccessibleName(_("Passphrase strength"))
        layout.addWidget(self.meter)
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setObjectName("muted")
        layout.addWidget(self.hint)
        self.problem = QLabel(self)
        self.problem.setObjectName("fieldError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.first.textChanged.connect(self._changed)
        self.second.textChanged.connect(self._changed)
        self._changed()

    def _changed(self) -> None:
        level, text = strength(self.first.text())
        self.meter.setValue(level)
        self.meter.setProperty("level", level)
        self.meter.style().unpolish(self.meter)
        self.meter.style().polish(self.meter)
        if self.second.text() and self.second.text() != self.first.text():
            text += " " + _("The two passphrases differ.")
        self.hint.setText(text)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return len(self.first.text()) >= MINIMUM and self.first.text() == self.second.text()


class _Ready(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(_("Ready"))
        layout = QVBoxLayout(self)
        text = QLabel(
            _(
                "Kitchentable will now create your encrypted profile. Linking this laptop to "
                "the office (enrolment) is optional and can be done later, when the office "
                "gives you a code."
            ),
            self,
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        layout.addWidget(self.busy)
        layout.addStretch(1)


class SetupWizard(QWizard):
    created = Signal(object)  # Settings

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setupWizard")
        self.setWindowFlags(Qt.WindowType.Widget)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.session = session
        self.about = _AboutYou()
        self.secret = _Passphrase()
        self.ready = _Ready()
        for page in (self.about, self.secret, self.ready):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.NextButton, _("&Next >"))
        self.setButtonText(QWizard.WizardButton.BackButton, _("< &Back"))
        self.setButtonText(QWizard.WizardButton.FinishButton, _("Create &profile"))

    def settings(self) -> Settings:
        from kitchentable.config import Settings

        return Settings(
            consultant=self.about.consultant.text().strip(),
            role=self.about.role.text().strip() or role_title(self.about.chosen_role()),
            consultant_role=self.about.chosen_role(),
            team=self.about.team.text().strip(),
            language=self.about.language.currentData(),
        )

    def accept(self) -> None:
        """Finish creates the profile on the worker; the wizard stays until it is done."""
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.ready.busy.show()
        self.session.create(self, self.secret.first.text(), self.settings()).success(
            self._created
        ).failure(self._failed).run_in_background()

    def _created(self, settings: Settings) -> None:
        chosen = self.about.chosen_role()
        if settings.consultant_role is not chosen:
            # IT's preset replaced the choice as a default does; the consultant's choice wins.
            self.session.op(self, lambda p: p.update_settings(consultant_role=chosen)).success(
                lambda _none: self._created(settings.updated(consultant_role=chosen))
            ).failure(self._failed).run_in_background()
            return
        self.ready.busy.hide()
        self.created.emit(settings)

    def _failed(self, error: BaseException) -> None:
        self.ready.busy.hide()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self.back()
        self.secret.problem.setText(message_for(error))
        self.secret.problem.show()
