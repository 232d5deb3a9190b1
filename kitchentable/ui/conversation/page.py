"""The conversation page: header, section navigator, the current section, open topics, saving.

Owns the UI-side ConversationState (a copy made on the worker when the case opened; from
then on only this page changes it, with the values it sends to be saved), turning raw input
into stored values with the form engine, and applying each answer's change report to exactly
the widgets it names: a typed letter touches its own row and nothing else unless the engine
says more changed. Also free navigation between sections (buttons and the keys in
conversation.keys), going to the questions that close a legal topic, and where the
consultant is (for auto-lock, language switches, and per case in the vault so reopening
returns there). Section pages are built when first shown, so opening a long form stays
quick. Never touches storage (AutoSaver and Session ops do).
"""

from __future__ import annotations

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

from kitchentable.domain.case import CaseStatus
from kitchentable.errors import InvalidAnswer
from kitchentable.formengine.changes import Changes
from kitchentable.formengine.model import Prefill, Question
from kitchentable.formengine.session import coerce
from kitchentable.i18n import _
from kitchentable.ui.conversation import keys
from kitchentable.ui.conversation.autosave import DEBOUNCE_MS, AutoSaver
from kitchentable.ui.conversation.fields import FieldContext
from kitchentable.ui.conversation.header import ConversationHeader
from kitchentable.ui.conversation.navigator import SectionNavigator
from kitchentable.ui.conversation.people import named_people
from kitchentable.ui.conversation.section_page import SectionPage
from kitchentable.ui.conversation.topics import TopicsChecklist
from kitchentable.ui.session import OpenedConversation, Session


class ConversationPage(QWidget):
    back = Signal()
    plan_requested = Signal()

    def __init__(
        self, session: Session, opened: OpenedConversation, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("conversationPage")
        self.session = session
        self.opened = opened
        self.form = opened.form
        self.state = opened.state
        self.case = opened.case
        self.touched: set[str] = set()
        self.invalid: dict[str, str] = {}
        self.pages: dict[str, SectionPage] = {}
        self.current: str | None = None
        self.context = FieldContext(
            today=lambda: self.state.today,
            conversation_date=self._conversation_date,
            people=lambda: named_people(self.form, self.state.answers),
        )
        self.saver = AutoSaver(session, opened.worker_side, self)
        self._build()
        self.saver.state_changed.connect(self.saved_label.show_state)
        self.navigator.refresh(self.state)
        self.topics.refresh(self.state)
        first = self.navigator.visible_ids()
        self.show_section(first[0] if first else self.form.sections[0].id)

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = ConversationHeader(self.case, self)
        self.back_button = self.header.back_button
        self.back_button.clicked.connect(self.back.emit)
        self.name_label = self.header.name_label
        self.details_label = self.header.details_label
        self.saved_label = self.header.saved_label
        layout.addWidget(self.header)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        side = self._side(splitter)
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
        for sequence, step in [(k, 1) for k in keys.NEXT_SECTION] + [
            (k, -1) for k in keys.PREVIOUS_SECTION
        ]:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self.step(s))

    def _side(self, splitter: QSplitter) -> QWidget:
        """The left panel: the form's title, the sections and the legal topics."""
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
        self.navigator.opened.connect(lambda s: self.show_section(s, focus_first=True))
        side_layout.addWidget(self.navigator, 3)
        self.topics = TopicsChecklist(self.form, side)
        self.topics.jump.connect(self.go_to_topic)
        side_layout.addWidget(self.topics, 2)
        return side

    def _footer(self, parent: QWidget) -> QWidget:
        footer = QFrame(parent)
        footer.setObjectName("pageFooter")
        row = QHBoxLayout(footer)
        row.setContentsMargins(24, 8, 24, 8)
        self.previous_button = QPushButton(_("Previous section"), footer)
        self.previous_button.setToolTip(
            _("Previous section ({keys})").format(keys=keys.PREVIOUS_SECTION[0])
        )
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QPushButton(_("Next section"), footer)
        self.next_button.setObjectName("primary")
        self.next_button.setToolTip(_("Next section ({keys})").format(keys=keys.NEXT_SECTION[0]))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.plan_button = QPushButton(_("Report and signing"), footer)
        self.plan_button.setToolTip(
            _("Make the report, read it together, sign and print ({keys})").format(keys=keys.REPORT)
        )
        self.plan_button.setShortcut(QKeySequence(keys.REPORT))
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
            page = SectionPage(self.form, section, self._on_input, self.context, self.stack)
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
            self.stack.setCurrentWidget(page)
            self.navigator.select(section_id)
            self._remember()
        self._update_steps()
        if focus_first:
            target = page.first_input()
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_steps(self) -> None:
        ids = self.navigator.visible_ids()
        index = ids.index(self.current) if self.current in ids else 0
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(ids) - 1)

    def step(self, delta: int) -> None:
        ids = self.navigator.visible_ids()
        if not ids:
            return
        index = ids.index(self.current) if self.current in ids else 0
        target = max(0, min(len(ids) - 1, index + delta))
        if ids[target] != self.current:
            self.show_section(ids[target], focus_first=True)

    def go_to_topic(self, topic_id: str) -> None:
        """Show the first visible question that would close a legal topic, focused."""
        topic = self.form.topic(topic_id)
        if topic is None:
            return
        for question_id in self.state.closing_questions(topic):
            question = self.form.question(question_id)
            section = self.form.section_of(question_id)
            if question is None or section is None or not self.state.visible(question):
                continue
            self.show_section(section.id)
            row = self.pages[section.id].rows[question_id]
            row.field.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)
            self.pages[section.id].ensureWidgetVisible(row)
            return

    # -- answers -------------------------------------------------------------------------------
    def _on_input(self, question: Question, raw: Any, final: bool) -> None:
        qid = question.id
        self.touched.add(qid)
        try:
            stored = coerce(question, raw, self.state.today)
        except InvalidAnswer as exc:
            self.invalid[qid] = str(exc.params.get("message", exc))
            self._apply(Changes(), qid)
            return
        self.invalid.pop(qid, None)
        changes = Changes(stored=stored)
        if stored != self.state.answers.get(qid):
            changes = self.state.apply(qid, stored)
            self.saver.schedule(qid, stored, 0 if final else DEBOUNCE_MS)
        elif final and self.saver.has_pending():
            self.saver.flush()
        if final:
            row = self.pages[self.current].rows.get(qid) if self.current else None
            if row is not None:
                row.field.show_normalised(stored)
        self._apply(changes, qid)

    def _apply(self, changes: Changes, edited: str) -> None:
        """Touch what the report names (and the edited row: its own message)."""
        rows = changes.questions | changes.groups | {edited}
        for page in self.pages.values():
            page.refresh_rows(self.state, rows, self.touched, self.invalid)
        if changes.sections or changes.topics:
            self.navigator.refresh(self.state)  # a topic's mark may move between sections
        elif changes.progress:
            self.navigator.refresh(self.state, changes.progress)
        if changes.topics:
            self.topics.refresh(self.state)
        if changes.sections:
            self._update_steps()

    def refresh(self) -> None:
        """Everything again (after a language switch or a lock; never per keystroke)."""
        for page in self.pages.values():
            page.refresh(self.state, self.touched, self.invalid)
        self.navigator.refresh(self.state)
        self.topics.refresh(self.state)
        self._update_steps()

    def _conversation_date(self) -> str | None:
        for question in self.form.questions():
            if question.prefill == Prefill.CONVERSATION_DATE:
                value = self.state.value(question.id)
                if isinstance(value, str):
                    return value
        return None

    def flush(self) -> None:
        self.saver.flush()
        self._remember()

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

    def _remember(self) -> None:
        """Keep the position in the vault, so reopening the case returns here."""
        if self.current is not None and not self.read_only:
            self.session.remember_position(None, self.case.id, self.position()).run_in_background()

    def resume(self) -> None:
        """After opening: where the consultant was last time, or the first field."""
        where = self.opened.position
        if where.get("section_id"):
            self.restore(where)
        else:
            self.show_section(self.current or "", focus_first=True)

    def restore(self, where: dict[str, Any]) -> None:
        section_id = where.get("section_id")
        section = self.form.section(section_id) if isinstance(section_id, str) else None
        if section is not None and self.state.section_visible(section):
            self.show_section(section.id)
        else:
            self.show_section(self.current or "", focus_first=True)
        page = self.pages.get(self.current or "")
        row = page.rows.get(where.get("question_id", "")) if page else None
        if page is None or row is None or not row.isVisibleTo(page):
            if page is not None and QApplication.focusWidget() is None:
                target = page.first_input()
                if target is not None:
                    target.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        page.verticalScrollBar().setValue(int(where.get("scroll", 0)))
        row.field.restore_focus(where.get("focus", {}))
        focused = QApplication.focusWidget()  # inside a group: the entry asked for
        page.ensureWidgetVisible(
            focused
            if focused is not None and row.isAncestorOf(focused)
            else row.field.focus_target()
        )
