"""Auto-lock: after the idle time the vault closes, plaintext widgets go, and unlocking puts the
consultant back in the same case, section and field, with the text that was being typed."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import PASSPHRASE, WAIT_MS, read_answers, unlock
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit

from kitchentable.i18n import _
from kitchentable.ui.autolock import LockWarning
from kitchentable.ui.conversation.page import ConversationPage


def test_auto_lock_fires_after_the_idle_time_and_unlocking_returns_to_the_same_field(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms
) -> None:
    case_id = case_ids["Hans van der Veen"]
    window = open_window(profile_path, idle_ms=600)
    unlock(qtbot, window)
    window.cases.select_case(case_id)
    qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    page.show_section("contact")
    postcode = page.pages["contact"].rows["postcode"].field.edit
    phone = page.pages["contact"].rows["telefoon"].field.edit
    qtbot.keyClicks(phone, "06 12345678")
    postcode.setFocus()
    qtbot.keyClicks(postcode, "9603 C")  # not a postcode yet: cannot be saved, must be kept
    postcode.setCursorPosition(4)

    qtbot.waitUntil(lambda: window.unlock_screen is not None, timeout=WAIT_MS)
    assert window.conversation is None and window.cases is None
    # Locking does not wait on the UI thread: the vault closes on the worker, after the saves.
    qtbot.waitUntil(lambda: window.session._profile is None, timeout=WAIT_MS)
    assert not [w for w in window.findChildren(ConversationPage)]
    assert not [e for e in window.findChildren(QLineEdit) if e.text() == "06 12345678"]
    assert window.unlock_screen.note.isVisible()
    assert read_answers(profile_path, gui_forms, case_id)["telefoon"] == "06 12345678"

    qtbot.keyClicks(window.unlock_screen.passphrase, PASSPHRASE)
    qtbot.keyClick(window.unlock_screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    assert page.current == "contact"
    postcode = page.pages["contact"].rows["postcode"].field.edit
    assert postcode.text() == "9603 C"
    assert QApplication.focusWidget() is postcode
    assert postcode.cursorPosition() == 4
    assert page.pages["contact"].rows["postcode"].error.isVisible()
    postcode.end(False)
    qtbot.keyClicks(postcode, "D")
    qtbot.keyClick(postcode, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: not page.saver.has_pending(), timeout=WAIT_MS)
    window.idle.stop()
    window.close()
    assert read_answers(profile_path, gui_forms, case_id)["postcode"] == "9603 CD"


def test_locking_from_the_case_list_keeps_the_search(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path)
    unlock(qtbot, window)
    qtbot.keyClicks(window.cases.search, "hoogezand")
    window.lock_action.trigger()
    assert window.unlock_screen is not None and window.cases is None
    unlock(qtbot, window)
    assert window.cases.search.text() == "hoogezand"
    assert window.cases.proxy.rowCount() == 2


def open_contact_section(qtbot, window, case_id: str):
    window.cases.select_case(case_id)
    qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    page.show_section("contact")
    return page


def test_a_warning_comes_first_and_any_key_keeps_the_app_open_without_moving_the_focus(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path, idle_ms=4000)  # the warning shows 2 s before locking
    unlock(qtbot, window)
    page = open_contact_section(qtbot, window, case_ids["Hans van der Veen"])
    phone = page.pages["contact"].rows["telefoon"].field.edit
    phone.setFocus()
    qtbot.keyClicks(phone, "06 1234")
    warning = window.lock_warning
    assert not warning.isVisible()

    qtbot.waitUntil(warning.isVisible, timeout=WAIT_MS)
    assert window.cases is not None, "a warning, not yet a lock"
    assert QApplication.focusWidget() is phone, "the warning takes no focus"
    assert _("I'm still here") == warning.button.text()
    assert warning.text.text() in {LockWarning.message(n) for n in (1, 2)}
    # It floats over the page: the field keeps its place.
    before = phone.mapTo(window, phone.rect().topLeft())
    qtbot.keyClicks(QApplication.focusWidget(), "5678")
    assert not warning.isVisible()
    assert phone.text() == "06 12345678", "the key that dismissed the warning was typed"
    assert phone.mapTo(window, phone.rect().topLeft()) == before

    qtbot.waitUntil(warning.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(warning.button, Qt.MouseButton.LeftButton)
    assert not warning.isVisible() and window.cases is not None
    assert QApplication.focusWidget() is phone, "the button takes no focus either"
    window.idle.stop()


def test_without_input_the_warning_ends_in_the_lock_and_the_half_typed_text_survives(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path, idle_ms=2000)
    unlock(qtbot, window)
    page = open_contact_section(qtbot, window, case_ids["Hans van der Veen"])
    postcode = page.pages["contact"].rows["postcode"].field.edit
    postcode.setFocus()
    qtbot.keyClicks(postcode, "9603 C")
    postcode.setCursorPosition(2)
    qtbot.waitUntil(window.lock_warning.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.unlock_screen is not None, timeout=WAIT_MS)
    assert not window.lock_warning.isVisible()
    assert window.conversation is None
    # The vault closes on the worker, behind the last saves: the lock never waits for it.
    qtbot.waitUntil(lambda: window.session._profile is None, timeout=WAIT_MS)
    unlock_and_return = window.unlock_screen
    qtbot.keyClicks(unlock_and_return.passphrase, PASSPHRASE)
    qtbot.keyClick(unlock_and_return.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    postcode = window.conversation.pages["contact"].rows["postcode"].field.edit
    assert postcode.text() == "9603 C"
    assert postcode.cursorPosition() == 2
    assert QApplication.focusWidget() is postcode
    window.idle.stop()


def test_a_pointer_resting_still_does_not_postpone_the_lock(qtbot, qapp) -> None:
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent

    from kitchentable.ui.autolock import IdleWatcher

    watcher = IdleWatcher(400)
    watcher.start()
    where = QPointF(50, 50)

    def move() -> QMouseEvent:
        return QMouseEvent(
            QEvent.Type.MouseMove,
            where,
            where,
            Qt.MouseButton.NoButton,
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )

    watcher.eventFilter(watcher, move())
    with qtbot.waitSignal(watcher.idle, timeout=WAIT_MS):
        timer = QTimer()
        timer.timeout.connect(lambda: watcher.eventFilter(watcher, move()))
        timer.start(20)  # the same position again and again, as after a widget appears
    timer.stop()
    watcher.stop()
