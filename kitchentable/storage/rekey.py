"""Replacing the data key: every sealed value, index token and log link under a new key.

Owns the order of a rekey, all inside one SQLite transaction: check the access log under the
old key (a tampered log is never re-chained, see AccessLog.rechain), lift the log's
append-only triggers for the duration, re-seal every sealed column (storage.sealed_rows),
recompute the blind-index tokens and the log chain, wrap the new key under the passphrase
(and the office recovery key, if there was one), put the triggers back. A crash or a kill at
any point rolls the whole transaction back: the old key and the old rows stay as they were.
Never chooses when to rekey (services do) and never keeps the old key afterwards.
"""

from __future__ import annotations

import os

import sqlite_utils

from kitchentable.errors import TamperedLog
from kitchentable.storage import crypto
from kitchentable.storage.audit import AccessLog
from kitchentable.storage.database import ACCESS_LOG_TRIGGERS, create_access_log_triggers
from kitchentable.storage.keys import KeyStore, VaultKeys
from kitchentable.storage.repositories import Repository
from kitchentable.storage.sealed_rows import Progress, reseal_all


def rekey(
    db: sqlite_utils.Database,
    old: VaultKeys,
    passphrase: str,
    log: AccessLog,
    progress: Progress | None = None,
) -> VaultKeys:
    """A new data key for the profile in `db`; returns it. `log` is the profile's access log
    (it moves to the new key with the rest)."""
    new = VaultKeys(os.urandom(crypto.KEY_BYTES))
    with db.atomic():
        # Checked before anything is re-sealed: the links cover the sealed details' bytes.
        if AccessLog(db, old, log.actor, log.origin).verify() is not None:
            raise TamperedLog()
        for name in ACCESS_LOG_TRIGGERS:
            db.execute(f"DROP TRIGGER IF EXISTS {name}")
        reseal_all(db, old, new, progress)
        Repository(db, new).reindex_search()
        log.rechain(new)
        KeyStore(db).replace_data_key(new, passphrase)
        create_access_log_triggers(db)
    return new
