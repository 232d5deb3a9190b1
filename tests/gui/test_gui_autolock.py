"""Auto-lock: after the idle time the vault closes, plaintext widgets go, and unlocking puts the
consultant back in the same case, section and field, with the text that was being typed."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import PASSPHRASE, WAIT_MS, read_answers, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

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
