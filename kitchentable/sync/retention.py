"""What the office's policy removes from the laptop, and the wipe of a revoked one.

Owns retention (a case that is signed, synced and confirmed by the office more than the
policy's days ago is deleted, unless something of it still waits to be sent), the check-in
rule (an enrolled laptop out of touch for longer than the policy allows must synchronise
first), and wiping a revoked laptop's vault: the key wraps first (without them nobody can
open the sealed data), then the database files and the synced forms. Never decides on its
own that a device is revoked (the office says so), never imports Qt.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta

from kitchentable.domain.case import CaseStatus
from kitchentable.storage.database import remove_database
from kitchentable.storage.keys import KeyStore
from kitchentable.sync.model import SYNCED_FORMS, Local, StateKey

log = logging.getLogger(__name__)


def purge(local: Local, now: datetime) -> int:
    """Remove synced cases once the office's retention days have passed; how many."""
    days = local.policy().retention_days
    if days is None:
        return 0
    limit = (now - timedelta(days=days)).isoformat()
    purged = 0
    for case_id in local.state.synced_before(CaseStatus.SYNCED.value, limit):
        if local.outbox.has_pending(case_id):
            continue
        local.repo.delete_case(case_id)
        local.access.record("case.purge", "case", case_id)
        purged += 1
    return purged


def check_in_overdue(local: Local, now: datetime) -> bool:
    days = local.policy().offline_days
    last = local.state.get(StateKey.LAST_CHECKIN)
    if days is None or last is None or local.enrolment() is None:
        return False
    return now - datetime.fromisoformat(last) > timedelta(days=days)


def wipe(local: Local) -> None:
    """Erase a revoked laptop's vault. Closes the database: the profile is gone after this."""
    try:
        KeyStore(local.db).destroy()
        local.state.clear()
        local.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        local.db.close()
    remove_database(local.path)
    shutil.rmtree(local.path / SYNCED_FORMS, ignore_errors=True)
    log.warning("the office revoked this device: the profile was wiped")
