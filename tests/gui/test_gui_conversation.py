"""The guided conversation: every question type by keyboard and mouse, skip rules, messages,
autosave, and every answer found back after closing the window and unlocking again."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import WAIT_MS, read_answers, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from kitchentable.i18n import _

LEFT = Qt.MouseButton.LeftButton


def _open(qtbot, window, case_id: str):
    unlock(qtbot, window)
    assert window.cases.select_case(case_id)
    qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    return window.conversation


def _saved(qtbot, page) -> None:
    qtbot.waitUntil(
        lambda: not page.saver.has_pending() and page.saver.kind == "saved", timeout=WAIT_MS
    )


def _row(page, question_id: str):
    return page.pages[page.current].rows[question_id]


def test_every_question_type_is_saved_as_entered_and_found_back_after_closing(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms
) -> None:
    case_id = case_ids["Geertruida Bakker"]
    window = open_window(profile_path)
    page = _open(qtbot, window, case_id)
    assert page.current == "basis"
    assert "999990019" in page.details_label.text()

    # longtext and text, by keyboard; Tab moves on and commits
    story = _row(page, "hulpvraag").field.edit
    assert story.hasFocus()
    qtbot.keyClicks(story, "Wil zelf boodschappen blijven doen")
    qtbot.keyClick(story, Qt.Key.Key_Tab)
    name = _row(page, "roepnaam").field.edit
    assert name.hasFocus()
    qtbot.keyClicks(name, "Truus")

    # number: a value above the maximum shows the form engine's message, then a good one
    hours = _row(page, "uren")
    qtbot.mouseClick(hours.field.edit, LEFT)
    qtbot.keyClicks(hours.field.edit, "50")
    assert hours.error.isVisible() and hours.error.text() == _("The highest value is {n}.").format(
        n=40
    )
    hours.field.edit.clear()
    qtbot.keyClicks(hours.field.edit, "12,5")
    assert not hours.error.isVisible()

    qtbot.keyClicks(_row(page, "gespreksdatum").field.edit, "03-11-2026")

    # yes/no by mouse: the skip rule shows and hides the housemates question
    lives_alone = _row(page, "woont_alleen").field
    housemates = _row(page, "huisgenoten")
    assert not housemates.isVisible()
    qtbot.mouseClick(lives_alone.group.buttons()[1], LEFT)  # No
    assert housemates.isVisible()
    qtbot.mouseClick(lives_alone.group.buttons()[0], LEFT)  # Yes
    assert not housemates.isVisible()
    qtbot.mouseClick(lives_alone.group.buttons()[1], LEFT)
    qtbot.keyClicks(housemates.field.edit, "2")

    # one choice by keyboard, several by mouse
    flat = _row(page, "woning").field.group.buttons()[1]
    flat.setFocus()
    qtbot.keyClick(flat, Qt.Key.Key_Space)
    transport = _row(page, "vervoer").field.boxes
    qtbot.mouseClick(transport[0][0], LEFT)
    qtbot.mouseClick(transport[2][0], LEFT)
    _saved(qtbot, page)
    assert page.saved_label.text().startswith(_("Saved at {time}").split("{")[0])

    # next section by shortcut: the scale with its level descriptions visible
    qtbot.keyClick(page, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert page.current == "leven"
    scale = _row(page, "mobiliteit").field
    descriptions = [b.text().split("·")[1].strip() for b in scale.group.buttons()]
    assert descriptions[0] == "Acute problematiek" and len(descriptions) == 5
    notes = _row(page, "toelichting_mobiliteit")
    assert not notes.isVisible()
    qtbot.mouseClick(scale.group.buttons()[1], LEFT)  # level 2 shows the notes question
    assert notes.isVisible()
    qtbot.keyClicks(notes.field.edit, "Loopt met rollator")

    # typed formats with validation: BSN, postcode, phone, e-mail, a valid_if with a message
    qtbot.keyClick(page, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert page.current == "contact"
    bsn = _row(page, "bsn_partner")
    qtbot.keyClicks(bsn.field.edit, "123456789")
    assert bsn.error.isVisible()
    assert bsn.error.text() == _(
        "This is not a valid BSN: it must be 9 digits and pass the 11-check."
    )
    bsn.field.edit.clear()
    qtbot.keyClicks(bsn.field.edit, "999990020")
    assert not bsn.error.isVisible()
    qtbot.keyClicks(_row(page, "postcode").field.edit, "9601ab")
    qtbot.keyClicks(_row(page, "telefoon").field.edit, "06 12345678")
    qtbot.keyClicks(_row(page, "email").field.edit, "truus@example.nl")
    age = _row(page, "leeftijd")
    qtbot.keyClicks(age.field.edit, "16")
    assert age.error.text() == str(page.form.question("leeftijd").message)  # Dutch in the app
    age.field.edit.clear()
    qtbot.keyClicks(age.field.edit, "85")
    assert not age.error.isVisible()

    # a repeating group: add two members, remove the first
    qtbot.keyClick(page, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert page.current == "netwerk"
    group = _row(page, "netwerkleden").field
    for person, relation in (("Piet", "buurman"), ("Marieke", "dochter")):
        qtbot.mouseClick(group.add, LEFT)
        fields = group.blocks[-1].fields
        qtbot.keyClicks(fields["naam"].edit, person)
        qtbot.keyClicks(fields["relatie"].edit, relation)
    assert _row(page, "aantal_netwerk").field.label.text() == "2"
    qtbot.mouseClick(group.blocks[0].remove, LEFT)
    assert len(group.blocks) == 1
    assert _row(page, "aantal_netwerk").field.label.text() == "1"

    # free navigation back: the first section still shows what was typed
    qtbot.keyClick(page, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert page.current == "contact"
    page.navigator.setCurrentRow(0)
    assert page.current == "basis"
    assert _row(page, "roepnaam").field.edit.text() == "Truus"

    _saved(qtbot, page)
    window.close()
    expected = {
        "hulpvraag": "Wil zelf boodschappen blijven doen",
        "roepnaam": "Truus",
        "uren": 12.5,
        "gespreksdatum": "2026-11-03",
        "woont_alleen": False,
        "huisgenoten": 2,
        "woning": "flat",
        "vervoer": ["fiets", "ov"],
        "mobiliteit": 2,
        "toelichting_mobiliteit": "Loopt met rollator",
        "bsn_partner": "999990020",
        "postcode": "9601 AB",
        "telefoon": "06 12345678",
        "email": "truus@example.nl",
        "leeftijd": 85,
        "netwerkleden": [{"naam": "Marieke", "relatie": "dochter"}],
    }
    assert read_answers(profile_path, gui_forms, case_id) == expected

    # reopening the app shows every answer in its widget
    again = open_window(profile_path)
    page = _open(qtbot, again, case_id)
    assert _row(page, "hulpvraag").field.edit.toPlainText() == expected["hulpvraag"]
    assert _row(page, "uren").field.edit.text() == "12,5"
    assert _row(page, "gespreksdatum").field.edit.text() == "03-11-2026"
    assert _row(page, "woont_alleen").field.value() is False
    assert _row(page, "huisgenoten").isVisible()
    assert _row(page, "vervoer").field.value() == ["fiets", "ov"]
    page.show_section("netwerk")
    assert _row(page, "netwerkleden").field.blocks[0].fields["naam"].edit.text() == "Marieke"


def test_closing_the_window_right_after_typing_loses_nothing(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms
) -> None:
    case_id = case_ids["Hendrik Zuidema"]
    window = open_window(profile_path)
    page = _open(qtbot, window, case_id)
    qtbot.keyClicks(_row(page, "roepnaam").field.edit, "Henk")
    assert page.saver.has_pending()  # still inside the pause after typing
    window.close()
    assert read_answers(profile_path, gui_forms, case_id)["roepnaam"] == "Henk"


def test_required_questions_and_open_legal_topics_are_marked(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path)
    page = _open(qtbot, window, case_ids["Özlem Yıldız"])
    assert page.navigator.item(0).data(Qt.ItemDataRole.UserRole + 2) == "open"
    assert len(page.topics.open_topic_ids()) == 2
    story = _row(page, "hulpvraag").field.edit
    qtbot.keyClicks(story, "x")
    story.clear()
    assert _row(page, "hulpvraag").error.text() == _("This question is required.")
    qtbot.keyClicks(story, "Hulp bij het huishouden")
    assert page.topics.open_topic_ids() == ["wmo.2.3.2.4.c"]
    page.topics.list.itemClicked.emit(page.topics.list.item(1))
    assert page.current == "netwerk"
    assert QApplication.focusWidget() is _row(page, "netwerkleden").field.add
