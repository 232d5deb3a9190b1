"""Background work: ONE worker thread runs every database call, one at a time (Anki's taskman).

Owns the worker thread, the queue in front of it and the way results come back: the worker
emits a Qt signal with a closure, Qt queues it to the UI thread, and only there do the
success or failure callbacks run. Usage, in Anki's shape:

    Op(parent, lambda: profile.save_answer(...)).success(on_saved).failure(on_error).run_in_background()

Must never touch a widget from the worker, and never run a task on the UI thread. Callbacks
of an Op whose parent widget was deleted meanwhile are dropped, not run on a dead widget.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


class TaskManager(QObject):
    """The single worker thread and its queue. `busy_changed(True)` while work is waiting."""

    _delivered = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[tuple[Callable[[], Any], Callable[[bool, Any], None]] | None] = (
            queue.Queue()
        )
        self._outstanding = 0  # tasks queued or running; read and written on the UI thread only
        self._idle = threading.Event()
        self._idle.set()
        self._unfinished = 0  # guarded by _lock: tasks the worker has not finished yet
        self._lock = threading.Lock()
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._loop, name="kitchentable-worker", daemon=True)
        self._thread.start()

    # -- UI thread ----------------------------------------------------------------------------
    def submit(self, fn: Callable[[], Any], done: Callable[[bool, Any], None]) -> None:
        with self._lock:
            self._unfinished += 1
            self._idle.clear()
        self._outstanding += 1
        if self._outstanding == 1:
            self.busy_changed.emit(True)
        self._queue.put((fn, done))

    def _deliver(self, payload: tuple[Callable[[bool, Any], None], bool, Any]) -> None:
        done, ok, result = payload
        self._outstanding -= 1
        try:
            done(ok, result)
        finally:
            if self._outstanding == 0:
                self.busy_changed.emit(False)

    def busy(self) -> bool:
        return self._outstanding > 0

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait (blocking the UI thread) until the worker is idle, then run the callbacks.

        Only for closing and locking, where the consultant expects a short pause and nothing
        may be left half done. Returns False when the worker did not finish in time.
        """
        finished = self._idle.wait(timeout)
        QCoreApplication.sendPostedEvents(self)
        return finished

    # -- worker thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, done = item
            started = time.perf_counter()
            try:
                payload = (done, True, fn())
            except BaseException as exc:
                payload = (done, False, exc)
            log.debug("task took %.1f ms", (time.perf_counter() - started) * 1000)
            self._delivered.emit(payload)
            with self._lock:
                self._unfinished -= 1
                if self._unfinished == 0:
                    self._idle.set()


_manager: TaskManager | None = None


def task_manager() -> TaskManager:
    global _manager
    if _manager is None:
        _manager = TaskManager()
    return _manager


class Op:
    """One piece of background work with its callbacks, run on the worker."""

    def __init__(self, parent: QObject | None, fn: Callable[[], Any]) -> None:
        self._parent = parent
        self._fn = fn
        self._success: Callback | None = None
        self._failure: Callback | None = None

    def success(self, callback: Callback) -> Op:
        self._success = callback
        return self

    def failure(self, callback: Callback) -> Op:
        self._failure = callback
        return self

    def run_in_background(self) -> None:
        task_manager().submit(self._fn, self._done)

    def _done(self, ok: bool, result: Any) -> None:
        if self._parent is not None and not shiboken6.isValid(self._parent):
            return
        if ok:
            if self._success is not None:
                self._success(result)
            return
        if self._failure is not None:
            self._failure(result)
        else:
            from kitchentable.ui.errors import show_error

            show_error(self._parent, result)
