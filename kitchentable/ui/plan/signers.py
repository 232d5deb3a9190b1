"""The signature pads of one plan: one per signer the plan names, each with its own name.

Owns the pads' layout (a Wmo plan: the inhabitant or representative and the consultant; a
gezinsplan: the young person, each parent with gezag and the consultant) and, for the young
person and a parent, "not present" with the reason. Hands back a Signature per signer; never
signs anything itself (the plan page does, through the session).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QLineEdit, QVBoxLayout, QWidget

from kitchentable.domain.plan import Signature, Signer, SignerRole
from kitchentable.i18n import _
from kitchentable.ui.plan.signature_pad import SignaturePad


class SignerPad(QWidget):
    """One signer: a pad, and where allowed "not present" with a reason."""

    changed = Signal()

    def __init__(self, signer: Signer, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.signer = signer
        self.pad = SignaturePad(title, self)
        self.pad.changed.connect(self.changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pad)
        self.absent = QCheckBox(_("Not present at the signing"), self)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(_("Why not, e.g. lives elsewhere and gets the plan by post"))
        self.reason.setAccessibleName(_("Reason {name} does not sign").format(name=signer.name))
        self.absent.setVisible(signer.may_be_absent)
        self.reason.setVisible(False)
        self.absent.toggled.connect(self._absent_toggled)
        self.reason.textChanged.connect(self.changed)
        # As wide as its words: a click beside them must not take the focus without ticking
        # it (the next word typed for the reason was lost on the box).
        layout.addWidget(self.absent, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.reason)

    def _absent_toggled(self, absent: bool) -> None:
        self.reason.setVisible(absent)
        self.pad.setEnabled(not absent)
        if absent:
            self.reason.setFocus()
        self.changed.emit()

    def settled(self) -> bool:
        """Signed, or (where allowed) marked absent with a reason."""
        if self.absent.isChecked():
            return bool(self.reason.text().strip())
        return self.pad.canvas.signed()

    def signature(self, place: str) -> Signature:
        absent = self.absent.isChecked()
        return Signature(
            self.signer.role,
            self.signer.name,
            self.signer.capacity,
            place,
            strokes=() if absent else self.pad.strokes(),
            signer=self.signer.key,
            absent_reason=self.reason.text().strip() if absent else "",
        )


def pad_title(signer: Signer, inhabitant: str, consultant: str, role: str) -> str:
    match signer.role:
        case SignerRole.INHABITANT:
            return _("Inhabitant or representative: {name}").format(name=inhabitant)
        case SignerRole.YOUTH:
            return _("Young person: {name}").format(name=signer.name)
        case SignerRole.PARENT:
            return _("Parent with parental authority: {name}").format(name=signer.name)
    return _("Consultant: {name}, {role}").format(name=consultant, role=role)


class SignerPads(QWidget):
    """Every signer's pad, rebuilt when the plan's signers change."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pads: list[SignerPad] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._signers: tuple[Signer, ...] = ()

    def set_signers(
        self, signers: tuple[Signer, ...], inhabitant: str, consultant: str, role: str
    ) -> None:
        if signers == self._signers and self.pads:
            return
        self._signers = signers
        for pad in self.pads:
            pad.setParent(None)
            pad.deleteLater()
        self.pads = []
        for signer in signers:
            pad = SignerPad(signer, pad_title(signer, inhabitant, consultant, role), self)
            pad.changed.connect(self.changed)
            self._layout.addWidget(pad)
            self.pads.append(pad)
        self.changed.emit()

    def pad(self, key: str) -> SignerPad | None:
        return next((p for p in self.pads if p.signer.key == key), None)

    def complete(self) -> bool:
        return bool(self.pads) and all(p.settled() for p in self.pads)

    def signatures(self, place: str) -> list[Signature]:
        return [p.signature(place) for p in self.pads]
