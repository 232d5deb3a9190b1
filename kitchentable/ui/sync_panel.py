"""Sync in the app: the controller (when to synchronise), the sync area, (its dialogs are in sync_dialogs).

Owns when sync runs (at unlock, every AUTO_SYNC_MINUTES, on request; never two at once),
the status the consultant sees ("Last synchronised 14:02 — 2 waiting — 1 conflict to
resolve"), the progress bar, the check-in block, the "Connect to the office" dialog and the
conflicts dialog. Every call into sync.client runs on the one worker (tasks.Op via
Session.op), so database access stays serialised with autosave; the core's progress
callback arrives on the worker and is passed to the UI thread through a queued signal.
A failed automatic sync only changes the status line, never opens a dialog. Never touches
the network or the vault from the UI thread, and never keeps a case's content after a
dialog closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kitchentable.errors import VaultLocked
from kitchentable.i18n import _, ngettext
from kitchentable.ui.errors import log_unexpected, message_for
from kitchentable.ui.session import Session
from kitchentable.ui.sync_dialogs import open_conflicts, open_connect
from kitchentable.ui.tasks import Op

if TYPE_CHECKING:
    from kitchentable.services import Profile
    from kitchentable.services.sync import ConflictView, Progress, Standing, SyncReport

log = logging.getLogger(__name__)

AUTO_SYNC_MINUTES = 5  # while unlocked and enrolled; a failed try waits for the next tick


# --- what the worker hands back ----------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    report: SyncReport | None
    error: BaseException | None
    standing: Standing


def _standing(profile: Profile) -> Standing:  # on the worker
    from kitchentable.services import sync

    return sync.standing(profile)


# --- the status line ----------------------------------------------------------------------


@dataclass
class SyncView:
    standing: Standing | None = None
    running: bool = False
    offline: bool = False
    failed: BaseException | None = None  # the last sync's error (automatic or not)
    progress: Progress | None = None


def when(iso: str, today: datetime | None = None) -> str:
    moment = datetime.fromisoformat(iso).astimezone()
    today = today or datetime.now().astimezone()
    return f"{moment:%H:%M}" if moment.date() == today.date() else f"{moment:%d-%m %H:%M}"


def status_text(view: SyncView) -> str:
    if view.standing is None:
        return ""
    status = view.standing.status
    if not status.enrolled:
        return _("Not connected to the office")
    if view.running:
        return _("Synchronising…")
    last = status.last_sync_at
    parts = []
    if view.offline:
        parts.append(_("Offline"))
    elif view.failed is not None:
        parts.append(_("Not synchronised"))
    elif last:
        parts.append(_("Last synchronised {time}").format(time=when(last)))
    else:
        parts.append(_("Not synchronised yet"))
    if status.waiting:
        parts.append(_("{n} waiting").format(n=status.waiting))
    elif view.offline:
        parts.append(_("your work waits on this laptop"))
    if status.conflicts:
        parts.append(
            ngettext(
                "{n} conflict to resolve", "{n} conflicts to resolve", status.conflicts
            ).format(n=status.conflicts)
        )
    if status.quarantined:
        parts.append(
            ngettext(
                "{n} item could not be sent", "{n} items could not be sent", status.quarantined
            ).format(n=status.quarantined)
        )
    if (view.offline or view.failed is not None) and last:
        parts.append(_("last synchronised {time}").format(time=when(last)))
    return " — ".join(parts)


def progress_text(progress: Progress) -> str:
    if progress.phase == "push" and progress.total:
        return _("Sending {done} of {total}").format(done=progress.done, total=progress.total)
    if progress.phase == "push":
        return _("Looking for changes")
    return _("Receiving")


# --- the controller -----------------------------------------------------------------------


class SyncController(QObject):
    """One per main window; survives page rebuilds (language switch), stops at lock."""

    changed = Signal()
    failed = Signal(str)  # a manual sync's sentence, for the page's inline error
    cases_changed = Signal()  # a sync or a resolved conflict may have changed the list
    revoked = Signal(str)
    blocked_changed = Signal(bool)
    _from_worker = Signal(object)  # Progress, emitted on the worker thread

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Set by the main window: the id of the case whose conversation is on screen.
        self.open_case: Callable[[], str | None] = lambda: None
        self.session = session
        self.view = SyncView()
        self.active = False
        self.timer = QTimer(self)
        self.timer.setInterval(AUTO_SYNC_MINUTES * 60_000)
        self.timer.timeout.connect(lambda: self.sync(manual=False))
        self._from_worker.connect(self._progress, Qt.ConnectionType.QueuedConnection)

    # -- state ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.view.running

    @property
    def enrolled(self) -> bool:
        return self.view.standing is not None and self.view.standing.status.enrolled

    @property
    def blocked(self) -> bool:
        return self.view.standing is not None and self.view.standing.check_in is not None

    def block_message(self) -> str | None:
        standing = self.view.standing
        return None if standing is None or standing.check_in is None else str(standing.check_in)

    def status_text(self) -> str:
        return status_text(self.view)

    def _set_standing(self, standing: Standing) -> None:
        was = self.blocked
        self.view.standing = standing
        if self.blocked != was:
            self.blocked_changed.emit(self.blocked)
        self.changed.emit()

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """After unlock: read the status (first, so the check-in rule is known before a case
        can open), then try to synchronise; again every AUTO_SYNC_MINUTES."""
        self.active = True
        self.view = SyncView()
        self.refresh(then_sync=True)
        self.timer.start()

    def stop(self) -> None:
        self.active = False
        self.timer.stop()
        self.view = SyncView()
        self.changed.emit()

    def refresh(self, then_sync: bool = False) -> None:
        def done(standing: Standing) -> None:
            if not self.active:
                return
            self._set_standing(standing)
            if then_sync and standing.status.enrolled:
                self.sync(manual=False)

        self.session.op(self, _standing).success(done).failure(self._quiet).run_in_background()

    def _quiet(self, error: BaseException) -> None:
        if not isinstance(error, VaultLocked):  # locked meanwhile: nothing to say
            log_unexpected(error)

    # -- synchronising -------------------------------------------------------------------
    def sync(self, manual: bool = True) -> None:
        if not self.active or self.view.running:
            return  # never two at once
        if not manual and not self.enrolled:
            return
        self.view.running = True
        self.view.progress = None
        self.changed.emit()
        # Read on the UI thread: the case on screen is never changed under the consultant's
        # hands; a colleague's version of it becomes a conflict to look at instead.
        open_case = self.open_case()
        keep = frozenset({open_case} if open_case else ())
        self.session.op(self, lambda profile: self._work(profile, keep)).success(
            lambda o: self._done(o, manual)
        ).failure(lambda e: self._crashed(e, manual)).run_in_background()

    def _work(self, profile: Profile, keep: frozenset[str]) -> Outcome:  # on the worker
        from kitchentable.services import sync

        try:
            report = sync.synchronise(profile, progress=self._from_worker.emit, keep_as_is=keep)
        except sync.DeviceRevoked:
            # The core has wiped the vault and closed the profile: the session must forget
            # it here, before any queued task reaches the closed database.
            self.session.forget()
            raise
        except sync.SyncError as error:
            return Outcome(None, error, _standing(profile))
        return Outcome(report, None, _standing(profile))

    def _progress(self, progress: Progress) -> None:
        if self.view.running:
            self.view.progress = progress
            self.changed.emit()

    def _done(self, outcome: Outcome, manual: bool) -> None:
        from kitchentable.services.sync import Offline

        if not self.active:  # locked meanwhile; the next unlock starts afresh
            return
        self.view.running = False
        self.view.progress = None
        self.view.failed = outcome.error
        self.view.offline = isinstance(outcome.error, Offline)
        if outcome.error is not None:
            log.info("sync did not succeed: %s", getattr(outcome.error, "code", "?"))
        self._set_standing(outcome.standing)
        if outcome.error is not None and manual:
            self.failed.emit(message_for(outcome.error))
        if outcome.report is not None:
            self.cases_changed.emit()

    def _crashed(self, error: BaseException, manual: bool) -> None:
        from kitchentable.services.sync import DeviceRevoked

        self.view.running = False
        self.view.progress = None
        if isinstance(error, DeviceRevoked):
            self.stop()
            self.revoked.emit(message_for(error))
            return
        if not isinstance(error, VaultLocked):
            log_unexpected(error)
        self.view.failed = error
        self.changed.emit()
        if manual:
            self.failed.emit(message_for(error))

    # -- enrolment and conflicts (run by the dialogs) ------------------------------------
    def enrol(
        self, parent: QObject, server: str, code: str, label: str, fingerprint: str | None
    ) -> Op:
        def work(profile: Profile) -> str:
            from kitchentable.services import sync

            return sync.enrol(profile, server, code, label, fingerprint).consultant

        return self.session.op(parent, work)

    def enrolled_now(self) -> None:
        self.refresh(then_sync=True)

    def conflicts(self, parent: QObject) -> Op:
        def work(profile: Profile) -> list[ConflictView]:
            from kitchentable.services import sync

            return sync.conflict_views(profile)

        return self.session.op(parent, work)

    def resolve(self, parent: QObject, conflict_id: str, keep: str) -> Op:
        def work(profile: Profile) -> list[ConflictView]:
            from kitchentable.services import sync

            sync.resolve(profile, conflict_id, keep)
            return sync.conflict_views(profile)

        return self.session.op(parent, work)

    def resolved(self) -> None:
        self.refresh()
        self.cases_changed.emit()


# --- the sync area on the case list -------------------------------------------------------


class SyncPanel(QFrame):
    """Status line, progress, and the buttons: Synchronise | Connect… | Resolve conflicts…"""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.controller = controller
        self._build()
        controller.changed.connect(self.render)
        controller.failed.connect(self.show_error)
        self.render()

    def _build(self) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 10, 8)
        row.setSpacing(10)
        texts = QVBoxLayout()
        texts.setSpacing(2)
        self.status = QLabel(self)
        self.status.setAccessibleName(_("Synchronisation status"))
        texts.addWidget(self.status)
        self.error = QLabel(self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(_("Synchronisation message"))
        self.error.hide()
        texts.addWidget(self.error)
        row.addLayout(texts, 1)
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("muted")
        row.addWidget(self.progress_label)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 10)
        self.progress.setFixedHeight(8)
        self.progress.setAccessibleName(_("Synchronisation progress"))
        row.addWidget(self.progress)
        self.conflicts_button = QPushButton(_("Resolve &conflicts…"), self)
        self.conflicts_button.clicked.connect(lambda: open_conflicts(self.controller, self))
        row.addWidget(self.conflicts_button)
        self.connect_button = QPushButton(_("Connect to the off&ice…"), self)
        self.connect_button.clicked.connect(lambda: open_connect(self.controller, self))
        row.addWidget(self.connect_button)
        self.sync_button = QPushButton(_("&Synchronise"), self)
        self.sync_button.setToolTip(_("Send your work to the office and fetch new cases"))
        self.sync_button.clicked.connect(self._clicked)
        row.addWidget(self.sync_button)

    def _clicked(self) -> None:
        self.error.hide()
        self.controller.sync(manual=True)

    def show_error(self, sentence: str) -> None:
        self.error.setText(sentence)
        self.error.show()

    def render(self) -> None:
        view, controller = self.controller.view, self.controller
        known = view.standing is not None
        self.status.setText(controller.status_text() or _("Checking the connection…"))
        self.status.setToolTip(message_for(view.failed) if view.failed is not None else "")
        running = view.running
        self.progress.setVisible(running)
        self.progress_label.setVisible(running and view.progress is not None)
        if view.progress is not None and view.progress.phase == "push" and view.progress.total:
            self.progress.setRange(0, view.progress.total)
            self.progress.setValue(view.progress.done)
        else:
            self.progress.setRange(0, 0)  # receiving: the number of pages is not known ahead
        if view.progress is not None:
            self.progress_label.setText(progress_text(view.progress))
        if running:
            self.error.hide()
        enrolled = controller.enrolled
        self.connect_button.setVisible(known and not enrolled)
        self.sync_button.setVisible(not known or enrolled)
        self.sync_button.setEnabled(controller.active and enrolled and not running)
        conflicts = view.standing.status.conflicts if view.standing else 0
        self.conflicts_button.setVisible(conflicts > 0)
        self.conflicts_button.setEnabled(not running and not controller.blocked)
