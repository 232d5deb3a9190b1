"""About and diagnostics: version, data location, installed form versions, copy for support.

Owns the dialog and what 'Copy diagnostics' puts on the clipboard: exactly the core's
Profile.diagnostics() (versions, paths, counts, parameters) as JSON. Never adds anything
about an inhabitant; the core's diagnostics contain no personal data by contract.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable import __version__
from kitchentable.i18n import _
from kitchentable.ui.session import Session


class AboutDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About Kitchentable"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 32)
        self.diagnostics: dict[str, Any] | None = None
        layout = QVBoxLayout(self)
        title = QLabel(_("Kitchentable {version}").format(version=__version__), self)
        title.setObjectName("appTitle")
        layout.addWidget(title)
        intro = QLabel(
            _("The kitchen-table conversation for Wmo and youth care, offline and encrypted."),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.details = QLabel(_("Loading…"), self)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)
        self.copy_button = QPushButton(_("&Copy diagnostics"), self)
        self.copy_button.setToolTip(_("Versions and settings for support; no personal data."))
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy)
        layout.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.copied = QLabel(self)
        self.copied.setObjectName("muted")
        layout.addWidget(self.copied)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        session.op(self, lambda profile: profile.diagnostics()).success(
            self._show
        ).run_in_background()

    def _show(self, diagnostics: dict[str, Any]) -> None:
        self.diagnostics = diagnostics
        forms = "<br>".join(f"&nbsp;&nbsp;{f}" for f in diagnostics.get("forms", []))
        self.details.setText(
            "<p>"
            + _("Data location: {path}").format(path=diagnostics.get("profile", ""))
            + "<br>"
            + _("Python {python} on {platform}").format(
                python=diagnostics.get("python", ""), platform=diagnostics.get("platform", "")
            )
            + "</p><p>"
            + _("Forms installed:")
            + "<br>"
            + forms
            + "</p>"
        )
        self.copy_button.setEnabled(True)

    def text(self) -> str:
        return json.dumps(self.diagnostics, indent=2, ensure_ascii=False, default=str)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.text())
        self.copied.setText(_("Copied. Paste it into your message to support."))
