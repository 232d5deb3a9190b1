"""Pushes that arrive while another is being stored wait, and are stored together next.

Owns group commit for the office's pushes within one server process: the first push to
arrive leads and runs its transaction; pushes arriving meanwhile queue, and when it is done
the first of them leads the next transaction for all of them at once (`changes.record_pushes`:
decided in arrival order, as one after the other). The writer lock is then held once for
many pushes instead of once each, which is what a busy office waits on. If the database
fails on a transaction of several pushes, each goes again alone (`changes.record_changes`:
all at once, then one by one in savepoints), so a change the database refuses is still
answered `server_error` alone and every other push is decided normally. Never decides a
change's fate itself and never holds a thread beyond the push it serves and the one
transaction it leads.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from kitchentable.office.backends import Backend
from kitchentable.office.store import changes as change_rows
from kitchentable.office.store.changes import Push
from kitchentable.sync.protocol import ChangeResult

log = logging.getLogger(__name__)

MAX_PUSHES = 32  # pushes in one transaction
MAX_CHANGES = 400  # changes in one transaction (a push may carry many)


@dataclass(eq=False)
class _Waiting:
    push: Push
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    results: list[ChangeResult] | None = None
    error: BaseException | None = None


class Together:
    """Group commit of pushes over one backend (one per store, shared by the threads)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._mutex = threading.Lock()
        self._queue: list[_Waiting] = []
        self._busy = False  # a thread leads (or is about to lead) a transaction

    def record(self, push: Push) -> list[ChangeResult]:
        """The push's answers, from a transaction this thread or another one led."""
        me = _Waiting(push)
        with self._mutex:
            self._queue.append(me)
            me.lead = not self._busy
            self._busy = True
        while not me.lead:
            me.done.wait()
            me.done.clear()
            if me.results is not None or me.error is not None:
                break
        if me.lead:
            self._lead()
        if me.error is not None:
            raise me.error
        assert me.results is not None
        return me.results

    def _lead(self) -> None:
        """Store the pushes waiting now (this thread's is first), then hand the lead to the
        first push still waiting, or step down."""
        batch: list[_Waiting] = []
        try:
            with self._mutex:
                batch = _take(self._queue)
            self._store(batch)
        finally:
            for waiting in batch:  # never leave a push waiting for an answer that won't come
                if waiting.results is None and waiting.error is None:
                    waiting.error = RuntimeError("The push was not stored.")
                    waiting.done.set()
            with self._mutex:
                if self._queue:
                    heir = self._queue[0]
                    heir.lead = True
                    heir.done.set()
                else:
                    self._busy = False

    def _store(self, batch: list[_Waiting]) -> None:
        if len(batch) > 1:
            try:
                answers = change_rows.record_pushes(self.backend, [w.push for w in batch])
            except Exception:
                log.warning("%d pushes stored together failed; each goes again alone", len(batch))
            else:
                for waiting, results in zip(batch, answers, strict=True):
                    _finish(waiting, results)
                return
        for waiting in batch:
            try:
                results = change_rows.record_changes(
                    self.backend, waiting.push.changes, waiting.push.now, waiting.push.visit
                )
            except BaseException as exc:  # the waiting thread raises it
                waiting.error = exc
                waiting.done.set()
            else:
                _finish(waiting, results)


def _take(queue: list[_Waiting]) -> list[_Waiting]:
    """The first pushes of the queue, as many as one transaction takes (at least one)."""
    count, changes = 0, 0
    for waiting in queue:
        changes += len(waiting.push.changes)
        if count and (count >= MAX_PUSHES or changes > MAX_CHANGES):
            break
        count += 1
    batch = queue[:count]
    del queue[:count]
    return batch


def _finish(waiting: _Waiting, results: list[ChangeResult]) -> None:
    waiting.results = results
    waiting.done.set()
