"""The plan at the table: preview, the reaction, every signer's signature, seal, print.

Owns the signing moment's screen. All plan work (draft, reaction, signing and sealing,
rendering) runs on the worker through the session; this page shows the resulting PDF
with QtPdf, and prints it through the system dialog. What still blocks signing is listed
(ui.plan.blockers); a click goes there: the reaction or place on this page, or the question
in the conversation (`jump_requested`). A file leaves the vault only through "Save as
file…", after a warning that the file is not encrypted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt, Signal
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from kitchentable.domain.plan import SupportPlan
from kitchentable.errors import SealBlocker, SealRefused
from kitchentable.i18n import _
from kitchentable.services.plans import role_title
from kitchentable.ui.plan.blockers import BlockerList
from kitchentable.ui.plan.reaction import ReactionBox
from kitchentable.ui.plan.signers import SignerPads

PRINT_DPI = 300


def status_text(kind: str, sealed: bool) -> str:
    """The line at the top of the panel, in the words of the document's audience."""
    family = kind == "jeugd"
    if sealed:
        return (
            _("Signed and sealed. Print the family's copy before you leave.")
            if family
            else _("Signed and sealed. Print the inhabitant's copy before you leave.")
        )
    return (
        _("Draft (CONCEPT). Read it together; add the family's reaction, then everyone signs.")
        if family
        else _("Draft (CONCEPT). Read it together; add the inhabitant's reaction, then both sign.")
    )


class PlanPage(QWidget):
    """Preview on the left, reaction and signatures on the right."""

    back_requested = Signal()
    sealed = Signal()
    jump_requested = Signal(dict)  # where in the conversation: {"section_id", "question_id"}

    def __init__(
        self,
        session: Any,
        case_id: str,
        inhabitant: str,
        consultant: str,
        role: str,
        show_error: Callable[[QWidget, BaseException], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.case_id = case_id
        self.show_error = show_error
        self.pdf_bytes = b""
        self.is_sealed = False
        self._buffer: QBuffer | None = None
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName(_("Preview of the report and support plan"))

        self.inhabitant_name, self.consultant_name, self.role = inhabitant, consultant, role
        self.kind = "wmo"
        self._blockers: list[SealBlocker] = []
        reaction, signatures = self._build_side()
        toolbar = self._build_toolbar()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.addWidget(self.status)
        side_layout.addWidget(self.blocker_list)
        side_layout.addWidget(reaction)
        side_layout.addWidget(signatures)
        side_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        # Everything in the panel wraps or shrinks to its column: it never scrolls sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(side)
        self.side = scroll
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.view)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        self._update_buttons()

    def _build_side(self) -> tuple[QGroupBox, QGroupBox]:
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setObjectName("planStatus")
        self.blocker_list = BlockerList()
        self.blocker_list.jump.connect(self.go_to)
        self.reaction = ReactionBox()
        self.agree, self.remarks, self.place = (
            self.reaction.agree,
            self.reaction.remarks,
            self.reaction.place,
        )
        self.reaction.update_button.clicked.connect(self.save_reaction)
        self.reaction.changed.connect(self._show_blockers)

        self.pads = SignerPads()
        self.pads.changed.connect(self._update_buttons)
        self.sign_button = QPushButton(_("Sign and seal"))
        self.sign_button.setObjectName("primary")
        self.sign_button.clicked.connect(self.sign)
        signatures = QGroupBox(_("Signatures"))
        sig_layout = QVBoxLayout(signatures)
        sig_layout.addWidget(self.pads)
        note = QLabel(
            _("The decision (beschikking) follows from a mandated officer of the municipality.")
        )
        note.setWordWrap(True)
        sig_layout.addWidget(note)
        sig_layout.addWidget(self.sign_button)
        self.signatures = signatures
        return self.reaction, signatures

    def _build_toolbar(self) -> QHBoxLayout:
        # Parented at birth, not by the layout later: a widget Qt reparents afterwards stays
        # Python's to shiboken, and freed from a worker it is deleted twice (tests.qtkit).
        self.print_button = QPushButton(_("Print…"), self)
        self.print_button.clicked.connect(self.print_dialog)
        self.export_button = QPushButton(_("Save as file…"), self)
        self.export_button.clicked.connect(self.export_dialog)
        back = QPushButton(_("Back to the conversation"), self)
        back.clicked.connect(self.back_requested)
        zoom_in, zoom_out = QPushButton("+", self), QPushButton("−", self)
        zoom_in.setAccessibleName(_("Zoom in"))
        zoom_out.setAccessibleName(_("Zoom out"))
        zoom_in.clicked.connect(lambda: self.zoom(1.25))
        zoom_out.clicked.connect(lambda: self.zoom(0.8))
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom(1.25))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom(0.8))
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_dialog)

        toolbar = QHBoxLayout()
        for widget in (back, zoom_out, zoom_in):
            toolbar.addWidget(widget)
        toolbar.addStretch(1)
        toolbar.addWidget(self.export_button)
        toolbar.addWidget(self.print_button)

        return toolbar

    # -- loading -----------------------------------------------------------------------------
    def refresh(self, rebuild: bool = True) -> None:
        case_id = self.case_id

        def work(profile: Any) -> tuple[SupportPlan | None, bytes, bool, list[SealBlocker], str]:
            if rebuild:
                profile.plans.draft(case_id)
            pdf, sealed = profile.plans.pdf(case_id)
            plan = profile.plans.current(case_id)
            blockers = [] if sealed else profile.plans.blockers(case_id)
            role = role_title(profile.settings, plan.kind, plan.language) if plan else self.role
            return plan, pdf, sealed, blockers, role

        self.status.setText(_("Preparing the document…"))
        self.session.op(self, work).success(self._loaded).failure(self._failed).run_in_background()

    def _failed(self, error: BaseException) -> None:
        self.status.setText(str(error))
        self.show_error(self, error)

    def _loaded(
        self, result: tuple[SupportPlan | None, bytes, bool, list[SealBlocker], str]
    ) -> None:
        plan, pdf, sealed, blockers, self.role = result
        self.pdf_bytes, self.is_sealed = pdf, sealed
        self._buffer = QBuffer(self)
        self._buffer.setData(QByteArray(pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        if plan is not None:
            self.kind = plan.kind
            self.reaction.set_kind(plan.kind)
            self.reaction.show_reaction(plan.reaction.agrees, plan.reaction.remarks, plan.place)
            self.pads.set_signers(
                plan.required_signers, self.inhabitant_name, self.consultant_name, self.role
            )
        self._show_blockers(blockers)
        self.status.setText(status_text(self.kind, sealed))
        self._update_buttons()

    def _show_blockers(self, blockers: list[SealBlocker] | None = None) -> None:
        """The list as the services made it, less what was just done on this page: a reaction
        chosen or a place typed is no longer "to do" (it is saved when signing)."""
        if blockers is not None:
            self._blockers = list(blockers)
        agrees, _remarks, place = self.reaction.values()
        done = {"reaction"} if agrees is not None else set()
        done |= {"place"} if place else set()
        self.blocker_list.show_blockers([b for b in self._blockers if b.kind not in done])

    def _update_buttons(self) -> None:
        editable = not self.is_sealed
        self.reaction.set_editable(editable)
        # A sealed plan's signatures are in the document: no empty pads saying "sign here".
        self.signatures.setVisible(editable)
        self.pads.setEnabled(editable)
        self.sign_button.setEnabled(editable and self.pads.complete())
        self.print_button.setEnabled(bool(self.pdf_bytes))
        self.export_button.setEnabled(bool(self.pdf_bytes))

    def zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, self.view.zoomFactor() * factor)))

    # -- actions ------------------------------------------------------------------------------
    def save_reaction(self) -> None:
        case_id = self.case_id
        agrees, remarks, place = self.reaction.values()

        def work(profile: Any) -> None:
            profile.plans.set_reaction(case_id, agrees, remarks, place)

        self.session.op(self, work).success(lambda _r: self.refresh(rebuild=False)).failure(
            self._failed
        ).run_in_background()

    def sign(self) -> None:
        case_id = self.case_id
        agrees, remarks, place = self.reaction.values()
        signatures = self.pads.signatures(place)

        def work(profile: Any) -> None:
            profile.plans.seal(case_id, agrees, remarks, place, signatures)

        self.sign_button.setEnabled(False)
        self.status.setText(_("Sealing the signed document…"))

        def done(_result: object) -> None:
            self._show_blockers([])
            self.refresh(rebuild=False)
            self._to_top()  # where the page says it is signed, and to print
            self.sealed.emit()

        self.session.op(self, work).success(done).failure(self._sign_failed).run_in_background()

    def _sign_failed(self, error: BaseException) -> None:
        """Refused: the list of what to do first, at the top of the panel, the first item in
        focus; the pads keep the drawn signatures, so signing again needs no new strokes."""
        if not isinstance(error, SealRefused):
            self._failed(error)
            return
        self.status.setText(_("Not signed yet: first do what is listed below."))
        self._show_blockers(error.blockers)
        self._update_buttons()
        self._to_top()
        if self.blocker_list.buttons:
            self.blocker_list.buttons[0].setFocus(Qt.FocusReason.OtherFocusReason)

    def _to_top(self) -> None:
        """The panel back to its top, where the status and the list are: after signing, the
        pads it was scrolled to say nothing about what happened."""
        self.side.verticalScrollBar().setValue(0)

    def go_to(self, blocker: SealBlocker) -> None:
        """To the thing a blocker names: a field here, or the question in the conversation
        (inside a repeating group: the entry and field it is about)."""
        if blocker.kind == "reaction":
            self.agree.setFocus()
            self.side.ensureWidgetVisible(self.agree)
        elif blocker.kind == "place":
            self.place.setFocus()
            self.side.ensureWidgetVisible(self.place)
        elif blocker.kind == "signature":
            pad = self.pads.pad(blocker.question)
            if pad is not None:
                pad.pad.canvas.setFocus()
                self.side.ensureWidgetVisible(pad)
        elif blocker.section:
            where: dict[str, Any] = {"section_id": blocker.section, "question_id": blocker.question}
            if blocker.field:
                where["focus"] = {"item": blocker.item, "field": blocker.field}
            self.jump_requested.emit(where)

    def print_to(self, printer: QPrinter) -> int:
        """Paint every page onto the printer at its resolution; returns pages printed."""
        painter = QPainter()
        if not painter.begin(printer):
            return 0
        count = self.document.pageCount()
        for index in range(count):
            if index:
                printer.newPage()
            target = painter.viewport()
            size = self.document.pagePointSize(index)
            # 300 dpi is sharp on paper; the printer's own 1200 dpi would make 100 MB jobs.
            image = self.document.render(index, (size * (PRINT_DPI / 72)).toSize())
            scale = min(target.width() / image.width(), target.height() / image.height())
            painter.save()
            painter.fillRect(target, Qt.GlobalColor.white)  # QtPdf renders on transparent
            painter.scale(scale, scale)
            painter.drawImage(QPointF(0, 0), image)
            painter.restore()
        painter.end()
        return count

    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setCopyCount(2)  # one for the inhabitant, one for the file
        printer.setDocName(_("Report and support plan"))
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            pages = self.print_to(printer)
            case_id = self.case_id
            self.session.op(
                self,
                lambda p: p.access.record(
                    "plan.print",
                    "plan",
                    case_id,
                    detail={"pages": pages, "copies": printer.copyCount()},
                ),
            ).run_in_background()

    def export_dialog(self) -> None:
        answer = QMessageBox.warning(
            self,
            _("Save as a file"),
            _(
                "The file you save is NOT encrypted. Anyone who finds it can read it. Keep it on an "
                "encrypted drive and delete it when you no longer need it. Continue?"
            ),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Save:
            return
        path, _filter = QFileDialog.getSaveFileName(self, _("Save as a file"), "", "PDF (*.pdf)")
        if path:
            self.write_file(path)

    def write_file(self, path: str) -> None:
        with open(path, "wb") as handle:
            handle.write(self.pdf_bytes)
        case_id = self.case_id
        self.session.op(
            self, lambda p: p.access.record("plan.export", "plan", case_id)
        ).run_in_background()
