"""Background work on two lanes: ONE worker thread runs every database call, one at a time
(Anki's taskman); a network lane runs the sync's network work as asyncio coroutines.

Owns both threads, the queue in front of the worker and the way results come back: a lane
hands its outcome over and emits a Qt signal, Qt queues it to the UI thread, and only there
do the success or failure callbacks run. Usage, in Anki's shape:

    Op(parent, lambda: profile.save_answer(...)).success(on_saved).failure(on_error).run_in_background()
    NetOp(parent, lambda: sync.synchronise_on(lane, ...)).success(on_done).run_in_background()

The network lane never holds the database: a coroutine there hands its database steps to
the worker (`TaskManager.on_worker`, a Future it awaits); the widgets' Ops go before those
steps, and a step ends early while an Op waits (`ops_waiting`), so an autosave queued
during a sync waits for one item of a step at most, never for the network. Must never touch a widget from a
lane, and never run a task on the UI thread. Callbacks of an Op whose parent widget was
deleted meanwhile are dropped, not run on a dead widget. Never lets a lane drop the last
reference to an Op's work, callbacks or outcome: the UI thread does, so no widget's wrapper
is ever freed on a lane (shiboken would queue a delete of its widget to the UI thread, and a
page deleted first makes that a second delete: tests.qtkit).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]
Done = Callable[[bool, Any], None]
OP, STEP = 0, 1  # the worker's priorities: the widgets' work first, then the lanes' steps


class TaskManager(QObject):
    """The single database worker and its queue. `busy_changed(True)` while Ops wait."""

    _delivered = Signal()  # one outcome waits in _outcomes
    busy_changed = Signal(bool)

    def __init__(self) -> None:
        super().__init__()
        # (priority, order, work, done): the widgets' Ops (0) go before the lanes' steps (1),
        # so an autosave waits at most for the step in hand; done is None for steps whose
        # result goes to a Future instead.
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[[], Any], Done | None]] = (
            queue.PriorityQueue()
        )
        self._order = itertools.count()
        self._ops_waiting = 0  # guarded by _lock: Ops queued, not yet started
        self._outstanding = 0  # Ops queued or running; read and written on the UI thread only
        self._idle = threading.Event()
        self._idle.set()
        self._unfinished = 0  # guarded by _lock: items the worker has not finished yet
        # guarded by _lock: (done, ok, result or error, the work) handed to the UI thread
        self._outcomes: deque[tuple[Done, bool, Any, Callable[[], Any]]] = deque()
        self._lock = threading.Lock()
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._loop, name="kitchentable-worker", daemon=True)
        self._thread.start()

    # -- UI thread ----------------------------------------------------------------------------
    def submit(self, fn: Callable[[], Any], done: Done) -> None:
        self._outstanding += 1
        if self._outstanding == 1:
            self.busy_changed.emit(True)
        self._put(OP, fn, done)

    def _deliver(self) -> None:
        with self._lock:
            done, ok, result, _work = self._outcomes.popleft()
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

        Only for quitting, where nothing may be left half done before the process ends.
        Returns False when the worker did not finish in time.
        """
        finished = self._idle.wait(timeout)
        QCoreApplication.sendPostedEvents(self)
        return finished

    # -- any thread ---------------------------------------------------------------------------
    def on_worker[T](self, fn: Callable[[], T]) -> Future[T]:
        """Run `fn` on the worker after what is queued; its result in a Future (the network
        lane awaits it). A Future cancelled before its turn is skipped."""
        future: Future[T] = Future()

        def step() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)

        self._put(STEP, step, None)
        return future

    def ops_waiting(self) -> bool:
        """Whether a widget's Op waits for the worker (a long step then ends early)."""
        with self._lock:
            return self._ops_waiting > 0

    def _put(self, priority: int, fn: Callable[[], Any], done: Done | None) -> None:
        with self._lock:
            self._unfinished += 1
            self._ops_waiting += priority == OP
            self._idle.clear()
        self._queue.put((priority, next(self._order), fn, done))

    # -- worker thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            priority, _order, fn, done = self._queue.get()
            if priority == OP:
                with self._lock:
                    self._ops_waiting -= 1
            started = time.perf_counter()
            if done is None:
                fn()  # reports through its own Future
                del fn
            else:
                try:
                    ok, result = True, fn()
                except BaseException as exc:
                    ok, result = False, exc
                with self._lock:  # handed over whole: nothing of it stays on this thread
                    self._outcomes.append((done, ok, result, fn))
                    del done, result, fn
                self._delivered.emit()
            log.debug("task took %.1f ms", (time.perf_counter() - started) * 1000)
            with self._lock:
                self._unfinished -= 1
                if self._unfinished == 0:
                    self._idle.set()


class NetworkLane(QObject):
    """One thread running an asyncio event loop for network work. A coroutine's outcome
    reaches the UI thread through a queued signal, as the worker's do; the work and its
    callbacks stay in the UI thread's hands (`_waiting`) until they ran there."""

    _delivered = Signal(int)  # the ticket of a finished coroutine

    def __init__(self) -> None:
        super().__init__()
        self._loop = asyncio.new_event_loop()
        self._tickets = itertools.count()
        self._waiting: dict[int, tuple[Callable[[], Any], Done, Future[Any]]] = {}  # UI thread
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kitchentable-network", daemon=True
        )
        self._thread.start()

    def submit(self, make: Callable[[], Coroutine[Any, Any, Any]], done: Done) -> None:
        ticket = next(self._tickets)
        future = asyncio.run_coroutine_threadsafe(_awaited(make), self._loop)
        self._waiting[ticket] = (make, done, future)
        future.add_done_callback(lambda _f: self._delivered.emit(ticket))

    def _deliver(self, ticket: int) -> None:
        _make, done, future = self._waiting.pop(ticket)
        try:
            ok, result = True, future.result()
        except BaseException as exc:
            ok, result = False, exc
        try:
            done(ok, result)
        finally:
            if not ok:
                # The lane's task keeps the error too and may free it last: its frames let go
                # of their locals here.
                traceback.clear_frames(result.__traceback__)


async def _awaited(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return await make()


_manager: TaskManager | None = None
_network: NetworkLane | None = None


def task_manager() -> TaskManager:
    global _manager
    if _manager is None:
        _manager = TaskManager()
    return _manager


def network_lane() -> NetworkLane:
    global _network
    if _network is None:
        _network = NetworkLane()
    return _network


class Op:
    """One piece of background work with its callbacks, run on the database worker."""

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


class NetOp(Op):
    """An Op whose work is a coroutine on the network lane (`fn` makes it)."""

    def run_in_background(self) -> None:
        network_lane().submit(self._fn, self._done)
