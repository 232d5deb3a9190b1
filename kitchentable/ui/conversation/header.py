"""The conversation's header: back to the cases, who this is, the six-week term, saving.

Owns the top strip of the conversation page: the "← Cases" button (a click or Ctrl+L, never
in the Tab chain, so a Space or Enter meant for a field never leaves the case), the
inhabitant's name and details (melding number, BSN and where it came from, birth date), the
term of the investigation (Wmo 2015 art. 2.3.2 lid 1) and the fixed-size save indicator, so
nothing in it changes height while the consultant works. Never saves or navigates itself
(the page connects the button).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from kitchentable.domain.case import BsnSource, Case
from kitchentable.i18n import _
from kitchentable.ui.caselist import URGENT_DAYS
from kitchentable.ui.conversation import keys
from kitchentable.ui.conversation.datefield import date_nl
from kitchentable.ui.conversation.indicator import SaveIndicator


class ConversationHeader(QFrame):
    def __init__(self, case: Case, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.case = case
        self.setObjectName("conversationHeader")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 16, 8)
        self.back_button = QPushButton(_("← Cases"), self)
        self.back_button.setObjectName("backButton")
        self.back_button.setAccessibleName(_("Back to the case list"))
        self.back_button.setToolTip(
            _("Back to the case list ({keys}); everything is saved").format(keys=keys.BACK_TO_CASES)
        )
        self.back_button.setShortcut(QKeySequence(keys.BACK_TO_CASES))
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(self.back_button)
        who = QVBoxLayout()
        who.setSpacing(0)
        self.name_label = QLabel(case.person.name, self)
        self.name_label.setObjectName("personName")
        who.addWidget(self.name_label)
        self.details_label = QLabel(self._details(), self)
        self.details_label.setObjectName("muted")
        self.details_label.setWordWrap(True)
        who.addWidget(self.details_label)
        row.addLayout(who, 1)
        self.saved_label = SaveIndicator(self)
        self.saved_label.fit(
            [
                _("All answers are saved"),
                _("Saving…"),
                _("Saved at {time}").format(time="00:00"),
            ]
        )
        self.term_label = QLabel(self._term(), self)
        self.term_label.setObjectName("term")
        self.term_label.setProperty("urgent", case.days_left() <= URGENT_DAYS)
        self.term_label.setToolTip(
            _("Wmo 2015 art. 2.3.2: the investigation takes at most six weeks")
        )
        row.addWidget(self.term_label, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.saved_label, 0, Qt.AlignmentFlag.AlignVCenter)

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
            parts.append(_("born {date}").format(date=date_nl(person.birth_date)))
        return "  ·  ".join(parts)

    def _term(self) -> str:
        deadline = date_nl(self.case.deadline.isoformat())
        days = self.case.days_left()
        # Phrased without a plural form: the catalogue test checks singular messages only.
        if days >= 0:
            return _("Term ends {date} · days left: {n}").format(date=deadline, n=days)
        return _("Term ended {date} · days overdue: {n}").format(date=deadline, n=-days)
