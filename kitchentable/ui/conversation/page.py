"""The conversation page: header, section navigator, the current section, open topics, saving.

Owns the UI-side ConversationState (a copy made on the worker when the case opened; from
then on only this page changes it, with the values it sends to be saved), turning raw input
into stored values with the form engine, live skip logic and messages, free navigation
between sections (buttons, Ctrl+PgDown / Ctrl+PgUp, Alt+Right / Alt+Left), and where the
consultant is (for auto-lock and language switches). Section pages are built when first
shown, so opening a long form stays quick. Never touches storage (AutoSaver sends saves).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kitchentable.domain.case import BsnSource, CaseStatus
from kitchentable.errors import InvalidAnswer
from kitchentable.formengine.model import Question
from kitchentable.formengine.session import coerce
from kitchentable.i18n import _
from kitchentable.ui.caselist import URGENT_DAYS
from kitchentable.ui.conversation.autosave import DEBOUNCE_MS, AutoSaver
from kitchentable.ui.conversation.navigator import SectionNavigator
from kitchentable.ui.conversation.section_page import SectionPage
from kitchentable.ui.conversation.topics import TopicsChecklist
from kitchentable.ui.session import OpenedConversation, Session


def _date_nl(iso: str) -> str:
    try:
        return date.fromisoformat(iso).strftime("%d-%m-%Y")
    except ValueError:
        return iso


class ConversationPage(QWidget):
    back = Signal()
    plan_requested = Signal()

    def __init__(
        self, session: Session, opened: OpenedConversation, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conversationPage")
        self.opened = opened
        self.form = opened.form
        self.state = opened.state
        self.case = opened.case
        self.touched: set[str] = set()
        self.invalid: dict[str, str] = {}
        self.pages: dict[str, SectionPage] = {}
        self.current: str | None = None
        self.saver = AutoSaver(session, opened.worker_side, self)
        self._build()
        self.saver.state_changed.connect(self._show_save_state)
        self.navigator.refresh(self.state)
        self.topics.refresh(self.state)
        first = self.navigator.visible_ids()
        self.show_section(first[0] if first else self.form.sections[0].id)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._header())
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        side = QWidget(splitter)
        side.setObjectName("sidePanel")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(12, 12, 8, 12)
        form_title = QLabel(str(self.form.title), side)
        form_title.setObjectName("formTitle")
        form_title.setWordWrap(True)
        form_title.setToolTip(_("Form version {version}").format(version=self.form.version))
        side_layout.addWidget(form_title)
        heading = QLabel(_("Sections"), side)
        heading.setObjectName("panelHeading")
        side_layout.addWidget(heading)
        self.navigator = SectionNavigator(self.form, side)
        self.navigator.chosen.connect(self.show_section)
        side_layout.addWidget(self.navigator, 3)
        self.topics = TopicsChecklist(self.form, side)
        self.topics.jump.connect(lambda s: self.show_section(s, focus_first=True))
        side_layout.addWidget(self.topics, 2)
        main = QWidget(splitter)
        main_layout = QVBoxLayout(main)
        main_layout.setContentsMargins(0, 0, 0, 0)
        main_layout.setSpacing(0)
        self.read_only = self.case.status in (CaseStatus.SIGNED, CaseStatus.SYNCED)
        if self.read_only:
            banner = QLabel(
                _(
                    "Signed and sealed: this conversation can be read, not changed. "
                    'The report and its print are under "Report and signing".'
                ),
                main,
            )
            banner.setObjectName("readOnlyBanner")
            banner.setWordWrap(True)
            main_layout.addWidget(banner)
        self.stack = QStackedWidget(main)
        main_layout.addWidget(self.stack, 1)
        main_layout.addWidget(self._footer(main))
        splitter.addWidget(side)
        splitter.addWidget(main)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 740])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        for keys, step in (
            ("Ctrl+PgDown", 1),
            ("Alt+Right", 1),
            ("Ctrl+PgUp", -1),
            ("Alt+Left", -1),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self.step(s))

    def _header(self) -> QWidget:
        header = QFrame(self)
        header.setObjectName("conversationHeader")
        row = QHBoxLayout(header)
        row.setContentsMargins(12, 8, 16, 8)
        self.back_button = QPushButton(_("← Cases"), header)
        self.back_button.setObjectName("backButton")
        self.back_button.setAccessibleName(_("Back to the case list"))
        self.back_button.setToolTip(_("Back to the case list (Ctrl+L)"))
        self.back_button.setShortcut(QKeySequence("Ctrl+L"))
        self.back_button.clicked.connect(self.back.emit)
        row.addWidget(self.back_button)
        who = QVBoxLayout()
        who.setSpacing(0)
        person = self.case.person
        self.name_label = QLabel(person.name, header)
        self.name_label.setObjectName("personName")
        who.addWidget(self.name_label)
        self.details_label = QLabel(self._details(), header)
        self.details_label.setObjectName("muted")
        self.details_label.setWordWrap(True)
        who.addWidget(self.details_label)
        row.addLayout(who, 1)
        self.saved_label = QLabel(_("All answers are saved"), header)
        self.saved_label.setObjectName("savedIndicator")
        self.saved_label.setProperty("kind", "saved")
        self.saved_label.setAccessibleName(_("Save status"))
        self.term_label = QLabel(self._term(), header)
        self.term_label.setObjectName("term")
        self.term_label.setProperty("urgent", self.case.days_left() <= URGENT_DAYS)
        self.term_label.setToolTip(
            _("Wmo 2015 art. 2.3.2: the investigation takes at most six weeks")
        )
        row.addWidget(self.term_label, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.saved_label, 0, Qt.AlignmentFlag.AlignVCenter)
        return header

    def _details(self) -> str:
        case, person = self.case, self.case.person
        parts = [_("Melding {number}").format(number=case.external_id)]
        if person.bsn:
            source = (
                _("verified by the office")
                if person.bsn_source == BsnSource.OFFICE
                else _("typed here, not verified")
            )
            parts.append(_("BSN {bsn} ({source})").format(bsn=person.bsn, source=source))
        if person.birth_date:
            parts.append(_("born {date}").format(date=_date_nl(person.birth_date)))
        return "  ·  ".join(parts)

    def _term(self) -> str:
        deadline = _date_nl(self.case.deadline.isoformat())
        days = self.case.days_left()
        # Phrased without a plural form: the catalogue test checks singular messages only.
        if days >= 0:
            return _("Term ends {date} · days left: {n}").format(date=deadline, n=days)
        return _("Term ended {date} · days overdue: {n}").format(date=deadline, n=-days)

    def _footer(self, parent: QWidget) -> QWidget:
        footer = QFrame(parent)
        footer.setObjectName("pageFooter")
        row = QHBoxLayout(footer)
        row.setContentsMargins(24, 8, 24, 8)
        self.previous_button = QPushButton(_("Previous section"), footer)
        self.previous_button.setToolTip(_("Previous section (Ctrl+PgUp)"))
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton(_("Next section"), footer)
        self.next_button.setObjectName("primary")
        self.next_button.setToolTip(_("Next section (Ctrl+PgDown)"))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.plan_button = QPushButton(_("Report and signing"), footer)
        self.plan_button.setToolTip(_("Make the report, read it together, sign and print"))
        self.plan_button.setAccessibleName(_("Report and signing"))
        self.plan_button.clicked.connect(self._request_plan)
        row.addWidget(self.previous_button)
        row.addStretch(1)
        row.addWidget(self.plan_button)
        row.addWidget(self.next_button)
        return footer

    def _request_plan(self) -> None:
        self.flush()
        self.plan_requested.emit()

    # -- navigation ----------------------------------------------------------------------------
    def page(self, section_id: str) -> SectionPage:
        page = self.pages.get(section_id)
        if page is None:
            section = self.form.section(section_id)
            assert section is not None
            page = SectionPage(self.form, section, self._on_input, self.stack)
            page.load(self.state)
            page.refresh(self.state, self.touched, self.invalid)
            if self.read_only and page.widget() is not None:
                page.widget().setEnabled(False)  # inputs off, scrolling still works
            self.stack.addWidget(page)
            self.pages[section_id] = page
        return page

    def show_section(self, section_id: str, focus_first: bool = False) -> None:
        page = self.page(section_id)
        if self.current != section_id:
            self.current = section_id
            page.refresh(self.state, self.touched, self.invalid)
            self.stack.setCurrentWidget(page)
            self.navigator.select(section_id)
        ids = self.navigator.visible_ids()
        index = ids.index(section_id) if section_id in ids else 0
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(ids) - 1)
        if focus_first:
            target = page.first_input()
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)

    def step(self, delta: int) -> None:
        ids = self.navigator.visible_ids()
        if not ids:
            return
        index = ids.index(self.current) if self.current in ids else 0
        target = max(0, min(len(ids) - 1, index + delta))
        if ids[target] != self.current:
            self.show_section(ids[target], focus_first=True)

    # -- answers -------------------------------------------------------------------------------
    def _on_input(self, question: Question, raw: Any, final: bool) -> None:
        qid = question.id
        self.touched.add(qid)
        try:
            stored = coerce(question, raw)
        except InvalidAnswer as exc:
            self.invalid[qid] = str(exc.params.get("message", exc))
            self.refresh()
            return
        self.invalid.pop(qid, None)
        if stored != self.state.answers.get(qid):
            self.state.set(qid, stored)
            self.saver.schedule(qid, stored, 0 if final else DEBOUNCE_MS)
        elif final and self.saver.has_pending():
            self.saver.flush()
        self.refresh()

    def refresh(self) -> None:
        if self.current is not None:
            self.pages[self.current].refresh(self.state, self.touched, self.invalid)
        self.navigator.refresh(self.state)
        self.topics.refresh(self.state)
        self.show_section(self.current or self.form.sections[0].id)

    def _show_save_state(self, kind: str, text: str) -> None:
        self.saved_label.setText(text)
        self.saved_label.setProperty("kind", kind)
        self.saved_label.style().unpolish(self.saved_label)
        self.saved_label.style().polish(self.saved_label)

    def flush(self) -> None:
        self.saver.flush()

    # -- where the consultant is -----------------------------------------------------------------
    def position(self) -> dict[str, Any]:
        where: dict[str, Any] = {"case_id": self.case.id, "section_id": self.current}
        focused = QApplication.focusWidget()
        page = self.pages.get(self.current or "")
        if page is not None and focused is not None:
            for question_id, row in page.rows.items():
                if row.isAncestorOf(focused):
                    where["question_id"] = question_id
                    where["focus"] = row.field.focus_state()
                    where["scroll"] = page.verticalScrollBar().value()
        return where

    def restore(self, where: dict[str, Any]) -> None:
        section_id = where.get("section_id")
        if section_id and self.form.section(section_id) is not None:
            self.show_section(section_id)
        else:
            self.show_section(self.current or "", focus_first=True)
        page = self.pages.get(self.current or "")
        row = page.rows.get(where.get("question_id", "")) if page else None
        if page is not None and row is not None:
            page.verticalScrollBar().setValue(int(where.get("scroll", 0)))
            row.field.restore_focus(where.get("focus", {}))
            page.ensureWidgetVisible(row.field.focus_target())
