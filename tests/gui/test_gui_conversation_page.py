"""The conversation at the table (issue 10): typing touches only what changed, the page holds
still, keys go where they are meant, less typing, honest progress, and back where one was.

Driven like a person: keyClicks and mouse clicks on the real window, on a small form of its
own in a profile whose case came from the office as a review (conversation_kit).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conversation_kit import name_someone_present, on_window, row, saved
from gui_helpers import WAIT_MS, read_answers
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

LEFT = Qt.MouseButton.LeftButton


# -- 1. typing touches only what changed ------------------------------------------------------


def test_typing_redraws_neither_navigator_nor_checklist_and_reevaluates_only_dependents(
    qtbot: QtBot, open_case, profile_path: Path, conversation_forms, case_id: str
) -> None:
    page = open_case().conversation
    story = row(page, "verhaal").field.edit
    qtbot.mouseClick(story.viewport(), LEFT)
    qtbot.keyClicks(story, "M")  # the first letter answers the question: counts change once
    navigator, checklist = page.navigator.refreshes, page.topics.refreshes
    qtbot.keyClicks(story, "evrouw wil zelf haar boodschappen blijven doen.")
    assert (page.navigator.refreshes, page.topics.refreshes) == (navigator, checklist)

    name = row(page, "roepnaam").field.edit
    explain = row(page, "roepnaam_uitleg")
    qtbot.mouseClick(name, LEFT)
    qtbot.keyClicks(name, "a")
    navigator = page.navigator.refreshes
    costs = []
    for letter in "nders":
        before = page.state.evaluations
        qtbot.keyClicks(name, letter)
        costs.append(page.state.evaluations - before)
        assert explain.isVisible() == (name.text() == "anders")
        if letter != "s":
            assert page.navigator.refreshes == navigator
    # "anders" shows a question: one section's count changes, and only it is redrawn
    assert page.navigator.refreshes == navigator + 1 and page.topics.refreshes == checklist
    # the rule that reads the typed text is evaluated on every key, and only its dependents:
    # the visibility of the one question that reads it (in skip logic and in its status)
    assert explain.isVisible() and max(costs) <= 4
    saved(qtbot, page)
    stored = read_answers(profile_path, conversation_forms, case_id)
    assert stored["verhaal"] == "Mevrouw wil zelf haar boodschappen blijven doen."
    assert stored["roepnaam"] == "anders"


# -- 2. a page that holds still ---------------------------------------------------------------


def test_save_indicator_keeps_its_size_through_saving_saved_and_a_problem(
    qtbot: QtBot, open_case
) -> None:
    page = open_case().conversation
    indicator = page.saved_label
    header = page.findChild(QWidget, "conversationHeader")
    geometry, header_height = indicator.geometry(), header.height()
    qtbot.mouseClick(row(page, "roepnaam").field.edit, LEFT)
    qtbot.keyClicks(row(page, "roepnaam").field.edit, "Truus")
    assert page.saver.kind == "saving"
    assert indicator.geometry() == geometry
    saved(qtbot, page)
    assert indicator.full_text().startswith("Opgeslagen om")
    assert indicator.geometry() == geometry and header.height() == header_height
    problem = "Niet opgeslagen: de schijf is vol. Maak ruimte vrij en probeer het opnieuw."
    page.saver._set_state("problem", problem)
    assert indicator.geometry() == geometry and header.height() == header_height
    assert indicator.toolTip() == problem and indicator.text().endswith("…")


def test_a_clicked_control_and_the_rows_above_it_hold_still(qtbot: QtBot, open_case) -> None:
    page = open_case().conversation
    section = page.pages["start"]
    lives = row(page, "wonen").field
    no = lives.group.buttons()[1]
    section.ensureWidgetVisible(no)
    above = [row(page, q) for q in ("verhaal", "roepnaam", "laatste_tekens")]
    before = [(on_window(r), r.size()) for r in above]
    at_press = on_window(no)
    QTest.mousePress(no, LEFT, Qt.KeyboardModifier.NoModifier, no.rect().center())
    assert on_window(no) == at_press  # nothing moves between press and release
    QTest.mouseRelease(no, LEFT, Qt.KeyboardModifier.NoModifier, no.rect().center())
    assert row(page, "wonen_toelichting").isVisible()  # revealed below
    assert lives.clear.isVisible()  # "Clear answer" took the room kept for it
    assert on_window(no) == at_press
    assert [(on_window(r), r.size()) for r in above] == before
    saved(qtbot, page)
    assert on_window(no) == at_press
    assert [(on_window(r), r.size()) for r in above] == before

    # a question that appears ABOVE the control in use pushes the page, not the control
    scale = row(page, "score").field
    level1, level3 = scale.group.buttons()[0], scale.group.buttons()[2]
    section.ensureWidgetVisible(level3)
    place = on_window(level3)
    qtbot.mouseClick(level1, LEFT, pos=QPoint(level1.width() - 8, level1.height() // 2))
    assert row(page, "acuut_uitleg").isVisible()
    assert on_window(level3) == place
    qtbot.mouseClick(level3, LEFT, pos=QPoint(level3.width() - 8, level3.height() // 2))
    assert scale.value() == 3  # the whole row is the hit area, and it was still there
    saved(qtbot, page)
    assert page.state.answers["score"] == 3


# -- 3. focus and keyboard --------------------------------------------------------------------


def test_a_section_clicked_in_the_navigator_puts_the_focus_on_its_first_field(
    qtbot: QtBot, open_case
) -> None:
    page = open_case().conversation
    navigator = page.navigator
    item = navigator.item(navigator.rows["info"])
    qtbot.mouseClick(navigator.viewport(), LEFT, pos=navigator.visualItemRect(item).center())
    assert page.current == "info"
    assert QApplication.focusWidget() is row(page, "bijzonderheden").field.edit
    qtbot.keyClicks(QApplication.focusWidget(), "Hond in huis")
    assert row(page, "bijzonderheden").field.edit.text() == "Hond in huis"

    navigator.setFocus()
    qtbot.keyClicks(navigator, "mbs")  # no type-ahead: letters never jump to a section
    assert page.current == "info"


def test_tab_runs_through_a_group_to_add_and_never_reaches_back(qtbot: QtBot, open_case) -> None:
    window = open_case()
    page = window.conversation
    page.show_section("mensen", focus_first=True)
    group = row(page, "aanwezigen").field
    assert QApplication.focusWidget() is group.add
    qtbot.keyClick(group.add, Qt.Key.Key_Space)
    qtbot.keyClicks(QApplication.focusWidget(), "Piet Jansen")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is group.blocks[0].fields["aanwezige_rol"].edit
    qtbot.keyClicks(QApplication.focusWidget(), "zoon")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is group.add  # "Add" comes after the last entry

    seen = set()
    for _ in range(40):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.add(QApplication.focusWidget())
    assert page.back_button not in seen
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert window.conversation is page  # a Space never left the case
    qtbot.keyClick(page, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.conversation is None, timeout=WAIT_MS)


def test_keyboard_shortcuts_are_listed_under_help_and_in_tooltips(qtbot: QtBot, open_case) -> None:
    from kitchentable.ui.shortcuts_dialog import ShortcutsDialog, shortcut_rows

    window = open_case()
    page = window.conversation
    keys = {row[1]: row[2] for row in shortcut_rows(window)}
    assert {"Ctrl+L", "F1", "Ctrl+Shift+L", "Alt+V", "Alt+G"} <= keys.keys()
    assert "Ctrl+L" in page.back_button.toolTip()
    assert "Ctrl+PgDown" in page.next_button.toolTip()
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    texts = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert "Ctrl+PgDown / Alt+Right" in texts


# -- 4. less typing ---------------------------------------------------------------------------


def test_first_opening_fills_in_kind_date_and_consultant_once(
    qtbot: QtBot, open_case, profile_path: Path, conversation_forms, case_id: str
) -> None:
    window = open_case()
    page = window.conversation
    assert row(page, "soort_gesprek").field.value() == "herindicatie"  # as the office said
    assert row(page, "gespreksdatum").field.edit.text() == date.today().strftime("%d-%m-%Y")
    assert row(page, "consulent").field.edit.text() == "Anna de Vries, Wmo-consulent"
    consultant = row(page, "consulent").field.edit
    consultant.clear()
    qtbot.mouseClick(consultant, LEFT)
    qtbot.keyClick(consultant, Qt.Key.Key_Tab)
    saved(qtbot, page)
    window.close()
    stored = read_answers(profile_path, conversation_forms, case_id)
    assert stored["soort_gesprek"] == "herindicatie"
    assert stored["gespreksdatum"] == date.today().isoformat()
    assert "consulent" not in stored  # cleared, and opening again does not put it back
    page = open_case().conversation
    assert row(page, "consulent").field.edit.text() == ""


def test_last_four_short_dates_and_date_buttons(qtbot: QtBot, open_case) -> None:
    page = open_case().conversation
    last = row(page, "laatste_tekens").field.edit
    qtbot.mouseClick(last, LEFT)
    qtbot.keyClicks(last, "IXR12345")
    assert last.text() == "2345"
    last.selectAll()
    QApplication.clipboard().setText("NW8K7P2Q")
    qtbot.keyClick(last, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert last.text() == "7P2Q"

    told = row(page, "datum_verteld_pgb")
    qtbot.mouseClick(told.field.edit, LEFT)
    qtbot.keyClicks(told.field.edit, "30-11-26")
    qtbot.keyClick(told.field.edit, Qt.Key.Key_Tab)
    assert told.field.edit.text() == "30-11-2026" and not told.error.isVisible()
    assert page.state.answers["datum_verteld_pgb"] == "2026-11-30"
    qtbot.mouseClick(told.field.meeting_button, LEFT)
    assert page.state.answers["datum_verteld_pgb"] == page.state.answers["gespreksdatum"]
    told.field.edit.clear()
    qtbot.mouseClick(told.field.edit, LEFT)
    qtbot.keyClick(told.field.edit, Qt.Key.Key_V, Qt.KeyboardModifier.AltModifier)
    assert page.state.answers["datum_verteld_pgb"] == date.today().isoformat()
    assert told.field.edit.text() == date.today().strftime("%d-%m-%Y")


def test_a_person_named_once_is_picked_where_they_appear_again(
    qtbot: QtBot, open_case, profile_path: Path, conversation_forms, case_id: str
) -> None:
    page = open_case().conversation
    name_someone_present(qtbot, page, "Piet Jansen")
    carer = row(page, "mantelzorger").field
    qtbot.mouseClick(carer.edit, LEFT)
    assert carer.names.stringList() == ["Piet Jansen"]  # offered while typing…
    carer.pick.menu().aboutToShow.emit()
    (action,) = carer.pick.menu().actions()
    action.trigger()  # …or picked from the list
    assert carer.edit.text() == "Piet Jansen"
    saved(qtbot, page)
    stored = read_answers(profile_path, conversation_forms, case_id)
    assert stored["mantelzorger"] == "Piet Jansen"


# -- 5. honest progress, and back where one was ------------------------------------------------


def test_marks_are_honest_and_an_open_topic_leads_to_the_question_that_closes_it(
    qtbot: QtBot, open_case
) -> None:
    page = open_case().conversation
    mark = Qt.ItemDataRole.UserRole + 2

    def kind(section_id: str) -> str:
        return page.navigator.item(page.navigator.rows[section_id]).data(mark)

    story = row(page, "verhaal").field.edit
    qtbot.mouseClick(story, LEFT)
    qtbot.keyClicks(story, "Hulp bij het huishouden")
    # "Begin" has all its required answers: the topic still open belongs to "Informatie"
    assert kind("start") != "open"
    assert page.topics.open_topic_ids() == ["t.steun"] and kind("info") == "open"
    topics = page.topics.list
    qtbot.mouseClick(topics.viewport(), LEFT, pos=topics.visualItemRect(topics.item(1)).center())
    assert page.current == "info"
    told = row(page, "verteld").field
    assert QApplication.focusWidget() in told.group.buttons()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)  # "Ja"
    qtbot.mouseClick(row(page, "verteld_datum").field.today_button, LEFT)
    assert page.topics.open_topic_ids() == [] and kind("info") != "open"


def test_reopening_and_restarting_return_to_the_last_section_and_field(
    qtbot: QtBot, open_case, profile_path: Path
) -> None:
    window = open_case()
    page = window.conversation
    page.show_section("mensen")
    carer = row(page, "mantelzorger").field.edit
    qtbot.mouseClick(carer, LEFT)
    page.back_button.click()  # leaving the case keeps where one was
    qtbot.waitUntil(lambda: window.conversation is None, timeout=WAIT_MS)
    window.cases.select_case(page.case.id)
    qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    assert page.current == "mensen"
    assert QApplication.focusWidget() is row(page, "mantelzorger").field.edit

    window.close()  # a restart: a new window on the same vault
    page = open_case().conversation
    assert page.current == "mensen"
    assert QApplication.focusWidget() is row(page, "mantelzorger").field.edit
    raw = b"".join(p.read_bytes() for p in profile_path.glob("kitchentable.db*"))
    assert b"mantelzorger" not in raw and b"mensen" not in raw  # sealed like the answers
