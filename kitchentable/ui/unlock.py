"""The unlock screen: passphrase in, vault open; the wait after wrong attempts counts down.

Owns the passphrase field, the busy indicator while Argon2id runs on the worker (≈0.5 s),
the message under the field for a wrong passphrase (the core's sentence), the countdown
that keeps the button disabled while the core imposes a delay, and, on the demo profile
only, the public demo passphrase. Never keeps the passphrase after the attempt and never
shows the demo passphrase for a profile whose settings do not say demo.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.errors import UnlockDelayed, WrongPassphrase
from kitchentable.i18n import _
from kitchentable.ui.errors import message_for
from kitchentable.ui.session import Session

if TYPE_CHECKING:
    from kitchentable.config import Settings


class UnlockScreen(QWidget):
    unlocked = Signal(object)  # Settings

    def __init__(
        self,
        session: Session,
        demo_passphrase: str,
        wait_seconds: float = 0.0,
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("unlockScreen")
        self.session = session
        self._remaining = 0
        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self._build(session.path, demo_passphrase, note)
        if wait_seconds > 0:
            self.start_delay(wait_seconds)

    def _build(self, path: Path, demo_passphrase: str, note: str) -> None:
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        card = QFrame(self)
        card.setObjectName("card")
        card.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 30)
        card.setMaximumWidth(self.fontMetrics().horizontalAdvance("M") * 40)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(10)
        title = QLabel(_("Kitchentable"), card)
        title.setObjectName("appTitle")
        layout.addWidget(title)
        subtitle = QLabel(_("The kitchen-table conversation, safely on this laptop."), card)
        subtitle.setObjectName("muted")
        subtitle.setWordWrap(True)
        layout.addWidget(subtitle)
        if note:
            self.note = QLabel(note, card)
            self.note.setObjectName("notice")
            self.note.setWordWrap(True)
            layout.addWidget(self.note)
        self._build_form(layout, card, demo_passphrase)
        where = QLabel(_("Profile: {path}").format(path=path), card)
        where.setObjectName("small")
        where.setWordWrap(True)
        layout.addWidget(where)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def _build_form(self, layout: QVBoxLayout, card: QFrame, demo_passphrase: str) -> None:
        label = QLabel(_("&Passphrase"), card)
        layout.addWidget(label)
        self.passphrase = QLineEdit(card)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(_("Passphrase"))
        self.passphrase.returnPressed.connect(self.try_unlock)
        label.setBuddy(self.passphrase)
        layout.addWidget(self.passphrase)
        self.message = QLabel(card)
        self.message.setObjectName("fieldError")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(_("Unlock message"))
        self.message.hide()
        layout.addWidget(self.message)
        self.busy = QProgressBar(card)
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.setAccessibleName(_("Opening the vault"))
        self.busy.hide()
        layout.addWidget(self.busy)
        self.button = QPushButton(_("Unlock"), card)
        self.button.setObjectName("primary")
        self.button.clicked.connect(self.try_unlock)
        layout.addWidget(self.button)
        if demo_passphrase:
            hint = QLabel(
                _("Demo profile with fictional cases. The passphrase is: {p}").format(
                    p=f"<b>{demo_passphrase}</b>"
                ),
                card,
            )
            hint.setObjectName("demoHint")
            hint.setWordWrap(True)
            hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(hint)
            self.demo_hint: QLabel | None = hint
        else:
            self.demo_hint = None

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        QTimer.singleShot(0, lambda: self.passphrase.setFocus(Qt.FocusReason.OtherFocusReason))

    # -- unlocking -----------------------------------------------------------------------------
    def try_unlock(self) -> None:
        if not self.button.isEnabled():
            return
        passphrase = self.passphrase.text()
        if not passphrase:
            self._say(_("Type your passphrase."))
            return
        self.button.setEnabled(False)
        self.passphrase.setEnabled(False)
        self.busy.show()
        self.session.unlock(self, passphrase).success(self._success).failure(
            self._failure
        ).run_in_background()

    def _success(self, settings: Settings) -> None:
        self.busy.hide()
        self.passphrase.clear()
        self.unlocked.emit(settings)

    def _failure(self, error: BaseException) -> None:
        self.busy.hide()
        self.passphrase.setEnabled(True)
        self.button.setEnabled(True)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        self._say(message_for(error))
        if isinstance(error, UnlockDelayed):
            self.start_delay(float(error.params.get("seconds", 1)))
        elif isinstance(error, WrongPassphrase):
            self.session.seconds_until_unlock(self).success(self._maybe_delay).run_in_background()

    def _maybe_delay(self, seconds: float) -> None:
        if seconds > 0:
            self.start_delay(seconds)

    def start_delay(self, seconds: float) -> None:
        self._remaining = math.ceil(seconds)
        self.button.setEnabled(False)
        self._tick(first=True)
        self._countdown.start()

    def _tick(self, first: bool = False) -> None:
        if not first:
            self._remaining -= 1
        if self._remaining <= 0:
            self._countdown.stop()
            self.button.setEnabled(True)
            self.button.setText(_("Unlock"))
            return
        self.button.setText(_("Wait {n} s").format(n=self._remaining))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
