"""Autosave: every answer goes to the vault as it is entered, with a visible state.

Owns the short pause after typing (DEBOUNCE_MS, and at most MAX_WAIT_MS while typing goes
on), sending each answer as one task on the worker (in order, so the last value wins), and
the state the indicator shows: saving…, saved at HH:MM, or a problem. `flush()` sends what
is waiting at once (before a lock, a close or leaving the case). Never coerces values (the
page hands over stored values) and never touches the database on the UI thread.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTime, QTimer, Signal

from kitchentable.i18n import _
from kitchentable.ui.errors import message_for
from kitchentable.ui.session import Session

if TYPE_CHECKING:
    from kitchentable.services import Conversation

DEBOUNCE_MS = 300
MAX_WAIT_MS = 2000


class AutoSaver(QObject):
    state_changed = Signal(str, str)  # kind: saving | saved | problem; the text to show
    saved = Signal(str, object)  # question id, stored value (after the worker confirmed it)

    def __init__(self, session: Session, conversation: Conversation, parent: QObject) -> None:
        super().__init__(parent)
        self.session = session
        self.conversation = conversation
        self._pending: dict[str, Any] = {}
        self._first_pending = 0.0
        self._in_flight = 0
        self._problem: str | None = None
        self.kind = "saved"
        self.text = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    def schedule(self, question_id: str, stored: Any, delay_ms: int = DEBOUNCE_MS) -> None:
        if not self._pending:
            self._first_pending = time.monotonic()
        self._pending[question_id] = stored
        self._set_state("saving", _("Saving…"))
        waited = (time.monotonic() - self._first_pending) * 1000
        if delay_ms <= 0 or waited >= MAX_WAIT_MS:
            self.flush()
        else:
            self._timer.start(delay_ms)

    def has_pending(self) -> bool:
        return bool(self._pending) or self._in_flight > 0

    def flush(self) -> None:
        self._timer.stop()
        pending, self._pending = self._pending, {}
        for question_id, stored in pending.items():
            self._in_flight += 1
            self.session.save_answer(self, self.conversation, question_id, stored).success(
                lambda value, q=question_id: self._done(q, value)
            ).failure(self._failed).run_in_background()

    def _done(self, question_id: str, value: Any) -> None:
        self._in_flight -= 1
        self.saved.emit(question_id, value)
        if self._in_flight == 0 and not self._pending:
            if self._problem is None:
                stamp = QTime.currentTime().toString("HH:mm")
                self._set_state("saved", _("Saved at {time}").format(time=stamp))
            else:
                self._set_state("problem", self._problem)
                self._problem = None

    def _failed(self, error: BaseException) -> None:
        self._in_flight -= 1
        self._problem = _("Not saved: {reason}").format(reason=message_for(error))
        if self._in_flight == 0 and not self._pending:
            self._set_state("problem", self._problem)
            self._problem = None

    def _set_state(self, kind: str, text: str) -> None:
        if (kind, text) != (self.kind, self.text):
            self.kind, self.text = kind, text
            self.state_changed.emit(kind, text)
