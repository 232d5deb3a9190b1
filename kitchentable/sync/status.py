"""Where this laptop stands with the office, for the status line and `sync --status`.

Owns counting what waits (outbox changes, changed cases not yet queued, cases that cannot be
read), what is held back and what conflicts, and when the last sync and check-in were, in
one short database step. Reading it may mark a touched-but-unchanged case synced (the same
look a sync takes); it never talks to the network and never imports Qt.
"""

from __future__ import annotations

from datetime import datetime

from kitchentable.storage.outbox import OutboxState
from kitchentable.sync.model import Local, StateKey, SyncStatus
from kitchentable.sync.push import candidates, dirty_cases
from kitchentable.sync.retention import check_in_overdue

NOT_ENROLLED = SyncStatus(False, "", 0, 0, 0, None, False)
# Changed cases the status reads to tell a real change from a case saved unchanged (a short
# database step); more than this are counted without reading.
LOOK_AT_MOST = 25


def status(local: Local, now: datetime) -> SyncStatus:
    enrolment = local.enrolment()
    if enrolment is None:
        # Nothing waits to go anywhere before the laptop is enrolled (and looking would
        # snapshot every case).
        return NOT_ENROLLED
    changed = candidates(local)
    if len(changed) <= LOOK_AT_MOST:
        dirty, unreadable, _looked = dirty_cases(local, changed)
        unsent = len(dirty) + unreadable
    else:
        # Reading every case would hold the database for seconds; each one changed since the
        # office had it counts as waiting until the next sync looks.
        unsent = len(changed)
    return SyncStatus(
        enrolled=True,
        server=enrolment.server,
        waiting=local.outbox.count(OutboxState.PENDING) + unsent,
        quarantined=local.outbox.count(OutboxState.QUARANTINED),
        conflicts=local.state.open_conflict_count(),
        last_sync_at=local.state.get(StateKey.LAST_SYNC),
        check_in_overdue=check_in_overdue(local, now),
    )
