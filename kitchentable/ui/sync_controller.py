"""When the app synchronises, and what it knows about the last try.

Owns when sync runs (at unlock, every AUTO_SYNC_MINUTES, on request; never two at once),
stopping it (the Stop button, lock, quit: a `threading.Event` the core honours), the state
the sync area shows (`SyncView`), the check-in block, and running the sync use cases
(services.sync): the network on the network lane, each database step on the one worker
through the session, so saving never waits for the network. The core's progress reaches
the UI thread through a queued signal. A failed automatic sync only changes the status
line, never opens a dialog. Never touches a widget of its own and never the network or the
vault from the UI thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from kitchentable.errors import VaultLocked
from kitchentable.ui.errors import log_unexpected, message_for
from kitchentable.ui.session import Session
from kitchentable.ui.sync_status import SyncView, status_text
from kitchentable.ui.tasks import NetOp, Op, task_manager

if TYPE_CHECKING:
    from kitchentable.services import Profile
    from kitchentable.services.sync import ConflictView, Progress, Standing, SyncReport

log = logging.getLogger(__name__)

AUTO_SYNC_MINUTES = 5  # while unlocked and enrolled; a failed try waits for the next tick


@dataclass(frozen=True)
class Outcome:
    report: SyncReport | None
    error: BaseException | None
    standing: Standing


def _standing(profile: Profile) -> Standing:  # on the worker
    from kitchentable.services import sync

    return sync.standing(profile)


class SyncController(QObject):
    """One per main window; survives page rebuilds (language switch), stops at lock."""

    changed = Signal()
    failed = Signal(str)  # a manual sync's sentence, for the page's inline error
    cases_changed = Signal()  # a sync or a resolved conflict may have changed the list
    revoked = Signal(str)
    blocked_changed = Signal(bool)
    _from_lane = Signal(object)  # Progress, emitted on the network lane

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
        self._from_lane.connect(self._progress, Qt.ConnectionType.QueuedConnection)
        self._cancel = threading.Event()
        self._generation = 0  # a sync of an earlier unlock reports to nobody

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
        """At lock and quit: no more syncs, and the one that runs is cancelled (it never
        holds the database worker, so nothing here waits for it)."""
        self.active = False
        self.timer.stop()
        self._cancel.set()
        self._generation += 1
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
        self.view.stopping = False
        self.view.progress = None
        self.changed.emit()
        # Read on the UI thread: the case on screen is never changed under the consultant's
        # hands; a colleague's version of it becomes a conflict to look at instead.
        open_case = self.open_case()
        keep = frozenset({open_case} if open_case else ())
        self._cancel = cancel = threading.Event()
        generation = self._generation
        lane = self.session.lane()

        async def work() -> Outcome:  # on the network lane
            from kitchentable.services import sync

            try:
                report = await sync.synchronise_on(
                    lane,
                    progress=self._from_lane.emit,
                    cancel=cancel,
                    keep_as_is=keep,
                    # In the wipe's own step: later tasks see a locked session, never the
                    # closed database.
                    after_wipe=self.session.forget,
                    others_waiting=task_manager().ops_waiting,
                )
            except sync.DeviceRevoked:
                raise
            except sync.SyncError as error:
                return Outcome(None, error, await asyncio.wrap_future(lane(_standing)))
            return Outcome(report, None, await asyncio.wrap_future(lane(_standing)))

        NetOp(self, work).success(
            lambda o: self._done(o, manual) if generation == self._generation else None
        ).failure(
            lambda e: self._crashed(e, manual) if generation == self._generation else None
        ).run_in_background()

    def cancel(self) -> None:
        """Stop the sync that runs (Stop button; lock and quit through stop()). It ends
        within a second; what the office did not confirm goes at the next one."""
        if self.view.running and not self.view.stopping:
            self._cancel.set()
            self.view.stopping = True
            self.changed.emit()

    def _progress(self, progress: Progress) -> None:
        if self.view.running:
            self.view.progress = progress
            self.changed.emit()

    def _done(self, outcome: Outcome, manual: bool) -> None:
        from kitchentable.services.sync import Offline, SyncCancelled

        if not self.active:  # locked meanwhile; the next unlock starts afresh
            return
        stopped = isinstance(outcome.error, SyncCancelled)
        self.view.running = self.view.stopping = False
        self.view.progress = None
        self.view.stopped = stopped
        self.view.failed = None if stopped else outcome.error
        self.view.offline = isinstance(outcome.error, Offline)
        if outcome.error is not None:
            log.info("sync did not succeed: %s", getattr(outcome.error, "code", "?"))
        self._set_standing(outcome.standing)
        if outcome.error is not None and manual and not stopped:
            self.failed.emit(message_for(outcome.error))
        if outcome.report is not None or stopped:
            self.cases_changed.emit()

    def _crashed(self, error: BaseException, manual: bool) -> None:
        from kitchentable.services.sync import DeviceRevoked

        self.view.running = self.view.stopping = False
        self.view.progress = None
        if isinstance(error, DeviceRevoked):
            self.stop()
            self.revoked.emit(message_for(error))
            return
        if not self.active or isinstance(error, VaultLocked):
            return  # locked meanwhile: nothing to say
        log_unexpected(error)
        self.view.failed = error
        self.changed.emit()
        if manual:
            self.failed.emit(message_for(error))

    # -- enrolment and conflicts (run by the dialogs) ------------------------------------
    def enrol(
        self, parent: QObject, server: str, code: str, label: str, fingerprint: str | None
    ) -> Op:
        lane = self.session.lane()

        async def work() -> str:  # on the network lane
            from kitchentable.services import sync

            enrolment = await sync.enrol_on(lane, server, code, label, fingerprint)
            return enrolment.consultant

        return NetOp(parent, work)

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
