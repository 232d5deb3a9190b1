"""One app per profile: a lock file in the profile folder for as long as the app runs.

Owns taking and releasing `kitchentable.lock` (Qt's QLockFile: it records the process id,
host and application, and a lock left behind by a crashed app is recognised as stale and
taken over) and the sentence a second app on the same profile shows instead of opening it.
Two windows on one vault would each keep their own idea of the conversation and overwrite
each other's answers; two demos started at once would share one demo profile. Command-line
commands do not take the lock: each is one short transaction on the database.
Never deletes anything but its own lock file.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QLockFile

from kitchentable.i18n import _

LOCK_FILE = "kitchentable.lock"


class ProfileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: QLockFile | None = None

    def acquire(self) -> str | None:
        """Take the lock; None when it is ours, else the sentence that says why not."""
        with contextlib.suppress(OSError):  # a folder that cannot be made: QLockFile says so
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = QLockFile(str(self.path / LOCK_FILE))
        # Qt's default (30 s) would call the lock of a running app stale after half a
        # minute; with 0 only a lock whose process is gone counts as stale.
        lock.setStaleLockTime(0)
        if lock.tryLock(0):
            self._lock = lock
            return None
        if lock.error() == QLockFile.LockError.LockFailedError:
            pid, host, _app = lock.getLockInfo()  # PySide6: (0, "", "") when unreadable
            holder = (
                _("process {pid} on {host}").format(pid=pid, host=host)
                if pid
                else _("another program")
            )
            return _(
                "Kitchentable is already open on this profile ({path}, {holder}). "
                "Use that window, or close it first: two windows on one profile would "
                "overwrite each other's work."
            ).format(path=self.path, holder=holder)
        return _(
            "Kitchentable cannot use the profile folder {path}: it cannot write its lock "
            "file there. Check that the folder exists and that you may write in it."
        ).format(path=self.path)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
