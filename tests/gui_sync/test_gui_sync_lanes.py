"""Saving never waits for the network: a sync against an office that answers after 10 s,
with autosaves typed meanwhile, the UI thread's lag measured, and Stop pressed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gui_helpers import PASSPHRASE, WAIT_MS, unlock
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer
from test_gui_sync import laptop, panel_of, settled

from kitchentable.formengine.loader import FormRegistry
from kitchentable.services import Profile

LEFT = Qt.MouseButton.LeftButton
SLOW = 10.0  # s the office waits before every answer


class LagMeter(QObject):
    """A 5 ms timer on the UI thread: the longest gap between its ticks, minus 5 ms, is the
    longest time the event loop could not run."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = QElapsedTimer()
        self.timer = QTimer(self)
        self.timer.setInterval(5)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self._last = 0

    def start(self) -> None:
        self.clock.start()
        self._last = 0
        self.timer.start()

    def pause(self) -> None:
        """While the test itself drives the keyboard (its own work on the UI thread)."""
        self._last = -1

    def resume(self) -> None:
        self._last = self.clock.elapsed()

    def _tick(self) -> None:
        now = self.clock.elapsed()
        if self._last >= 0:
            self.gaps.append(now - self._last - 5)
            self._last = now

    def stop(self) -> float:
        self.timer.stop()
        return max(self.gaps, default=0.0)


def _type_and_save(qtbot: Any, page: Any, meter: LagMeter, text: str) -> float:
    """Type a name like a person, leave the field, and time until the worker confirmed it."""
    edit = page.pages["basis"].rows["roepnaam"].field.edit
    meter.pause()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    with qtbot.waitSignal(page.saver.saved, timeout=WAIT_MS) as saved:
        started = time.perf_counter()
        qtbot.keyClick(edit, Qt.Key.Key_Tab)
        meter.resume()
    assert saved.args is not None and saved.args[1] == text
    latency = (time.perf_counter() - started) * 1000
    qtbot.wait(100)  # the event loop alone, the sync still running
    return latency


def test_a_slow_office_never_holds_an_autosave_or_the_screen_and_stop_ends_the_sync(
    qtbot: Any, open_window: Any, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms, office)  # enrolled, four cases never sent
    office.slow.delay = SLOW
    window = open_window(profile_path)
    unlock(qtbot, window)
    panel = panel_of(window)
    case_id = window.cases.model.summary(0).id
    # The automatic sync at unlock is under way and waits for the office's first answer.
    qtbot.waitUntil(lambda: window.sync.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.sync.view.progress is not None, timeout=WAIT_MS)
    window.cases.select_case(case_id)
    qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    page.show_section("basis")
    qtbot.wait(200)  # the page has settled; from here on the UI does nothing heavy

    meter = LagMeter()
    meter.start()
    latencies = [_type_and_save(qtbot, page, meter, f"Roepnaam {i}") for i in range(8)]
    qtbot.wait(500)
    lag = meter.stop()
    print(f"\nautosave during a sync: max {max(latencies):.0f} ms; UI lag max {lag:.0f} ms")
    assert window.sync.running, "the sync should still be waiting for the slow office"
    assert max(latencies) < 200, latencies
    assert lag < 50, f"the UI thread was blocked for {lag:.0f} ms"

    # Back to the list; Stop ends the sync within a second, with no error shown.
    window.show_cases()
    qtbot.waitUntil(lambda: panel.stop_button.isVisible(), timeout=WAIT_MS)
    started = time.perf_counter()
    qtbot.mouseClick(panel.stop_button, LEFT)
    assert panel.status.text() == "Stopping…"
    qtbot.waitUntil(lambda: not window.sync.running, timeout=2000)
    stopped_after = time.perf_counter() - started
    print(f"Stop → sync ended after {stopped_after * 1000:.0f} ms")
    assert stopped_after < 1.0
    assert panel.status.text().startswith("Synchronising stopped")
    assert not panel.error.isVisible()

    # The line is fast again: the next sync sends each change once, and the office has
    # each exactly once (also what the stopped sync's push may have delivered).
    office.slow.delay = 0.0
    office.slow.pushed.clear()
    qtbot.waitUntil(lambda: panel.sync_button.isVisible(), timeout=WAIT_MS)
    qtbot.mouseClick(panel.sync_button, LEFT)
    qtbot.waitUntil(
        lambda: settled(window) and panel.status.text().startswith("Last synchronised"),
        timeout=WAIT_MS,
    )
    window.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        sent = {e.id for e in profile.outbox.all()}
        assert {e.state for e in profile.outbox.all()} == {"sent"}
    on_server = [c["id"] for c in office.kit.store.changes()]
    assert sorted(on_server) == sorted(sent) and len(sent) == 4  # the four cases, once each
    assert sorted(office.slow.pushed) == sorted(sent)
    assert set(office.slow.pushed.values()) == {1}, office.slow.pushed


def test_locking_during_a_slow_sync_never_waits_and_stops_the_sync(
    qtbot: Any, open_window: Any, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms, office)
    office.slow.delay = SLOW
    window = open_window(profile_path)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.sync.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.sync.view.progress is not None, timeout=WAIT_MS)
    started = time.perf_counter()
    window.lock_action.trigger()
    took = (time.perf_counter() - started) * 1000
    assert window.unlock_screen is not None and window.cases is None
    assert took < 50, f"locking held the UI thread for {took:.0f} ms"
    qtbot.waitUntil(lambda: window.session._profile is None, timeout=2000)
    # The stopped sync reports to nobody; unlocking again starts afresh (and fast).
    office.slow.delay = 0.0
    unlock(qtbot, window)
    panel = panel_of(window)
    qtbot.waitUntil(
        lambda: settled(window) and panel.status.text().startswith("Last synchronised"),
        timeout=WAIT_MS,
    )
    assert "waiting" not in panel.status.text()
