"""What a walk through a whole visit under a real X server found (issue 10 revisited), each
fixed and driven here like a person: Tab and Space through answered questions, the name
picked from the list, a long text typed low on the page, a new entry of a group, the focus
ring on an option.

Uses the conversation page's small form (conversation_kit) and, where the size of the real
form matters, the shipped Wmo form.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conversation_kit import name_someone_present, row, saved
from gui_helpers import read_answers
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

LEFT = Qt.MouseButton.LeftButton
TAB, BACKTAB, SPACE = Qt.Key.Key_Tab, Qt.Key.Key_Backtab, Qt.Key.Key_Space
FOCUS_RING = QColor("#1d5fa8")


@pytest.fixture
def house_style(qapp: QApplication) -> Iterator[None]:
    """The app's style sheet, as the app loads it (the tests run without it otherwise)."""
    from kitchentable.ui.app import style_sheet

    before = qapp.styleSheet()
    qapp.setStyleSheet(style_sheet())
    yield
    qapp.setStyleSheet(before)


def press(qtbot: QtBot, key: Qt.Key) -> QWidget:
    qtbot.keyClick(QApplication.focusWidget(), key)
    return QApplication.focusWidget()


def test_tab_reaches_the_option_chosen_then_clear_answer_and_space_keeps_the_answer(
    qtbot: QtBot, open_case, profile_path: Path, conversation_forms, case_id: str
) -> None:
    page = open_case().conversation
    lives = row(page, "wonen").field
    no = lives.group.buttons()[1]
    page.pages["start"].ensureWidgetVisible(no)
    qtbot.mouseClick(no, LEFT)  # "Nee"
    last = row(page, "laatste_tekens").field.edit
    qtbot.mouseClick(last, LEFT)
    assert press(qtbot, TAB) is no  # the answer given, not Qt's first button ("Ja")
    assert press(qtbot, SPACE) is no and lives.value() is False  # Space keeps "Nee"
    assert press(qtbot, TAB) is lives.clear  # "Clear answer" after the options…
    assert press(qtbot, BACKTAB) is no  # …and back to the answer
    assert press(qtbot, BACKTAB) is last
    saved(qtbot, page)
    assert read_answers(profile_path, conversation_forms, case_id)["wonen"] is False


def test_every_choice_is_tabbed_to_before_its_clear_answer(qtbot: QtBot, open_case) -> None:
    page = open_case().conversation
    for section_page in page.pages.values():
        for question_row in section_page.rows.values():
            field = question_row.field
            buttons = getattr(field, "group", None)
            if buttons is None:
                continue
            chain, widget = [], buttons.buttons()[0]
            while widget is not field.clear and len(chain) < 20:
                chain.append(widget)
                widget = widget.nextInFocusChain()
            assert widget is field.clear and set(buttons.buttons()) <= set(chain)


def test_the_option_with_the_focus_has_a_ring_and_keeps_its_size(
    qtbot: QtBot, house_style: None, open_case
) -> None:
    page = open_case().conversation
    yes, no = row(page, "wonen").field.group.buttons()
    page.pages["start"].ensureWidgetVisible(no)
    size = yes.size()
    assert not _has_ring(yes)
    qtbot.mouseClick(row(page, "laatste_tekens").field.edit, LEFT)
    assert press(qtbot, TAB) is yes  # not answered yet: the first option has the focus
    assert _has_ring(yes) and not _has_ring(no)
    assert _tint(yes) == _tint(no)  # focused is not chosen: no tint that reads as "Ja"
    assert press(qtbot, SPACE) is yes and yes.isChecked()
    assert _has_ring(yes) and _tint(yes) != _tint(no)
    assert yes.size() == size  # neither the ring nor the tint moves anything


def _has_ring(button: QWidget) -> bool:
    image = button.grab().toImage()
    y = image.height() // 2
    return any(_close(image.pixelColor(x, y), FOCUS_RING) for x in range(min(4, image.width())))


def _tint(button: QWidget) -> QColor:
    image = button.grab().toImage()
    return image.pixelColor(image.width() - 6, image.height() // 2)


def _close(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 60


def test_a_name_picked_from_the_list_is_the_name_shown_and_kept(
    qtbot: QtBot, open_case, profile_path: Path, conversation_forms, case_id: str
) -> None:
    page = open_case().conversation
    name_someone_present(qtbot, page, "Piet Jansen")
    carer = row(page, "mantelzorger").field.edit
    qtbot.mouseClick(carer, LEFT)
    qtbot.keyClicks(carer, "pie")
    popup = carer.completer().popup()
    qtbot.waitUntil(popup.isVisible)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert carer.text() == "Piet Jansen"  # not the letters typed ("pie")
    assert press(qtbot, TAB) is not carer
    assert carer.text() == "Piet Jansen"
    saved(qtbot, page)
    assert read_answers(profile_path, conversation_forms, case_id)["mantelzorger"] == (
        "Piet Jansen"
    )


def test_opening_the_list_of_names_does_not_call_the_empty_name_missing(
    qtbot: QtBot, open_case
) -> None:
    page = open_case().conversation
    page.show_section("mensen")
    group = row(page, "aanwezigen").field
    qtbot.mouseClick(group.add, LEFT)
    name = group.blocks[0].fields["aanwezige_naam"]
    error = group.blocks[0].errors["aanwezige_naam"]
    menu = name.pick.menu()
    seen: list[tuple[bool, bool]] = []

    def look_and_close() -> None:
        seen.append((menu.isVisible(), error.isVisible()))
        menu.close()

    QTimer.singleShot(200, look_and_close)
    # What a click on "Kies…" does (offscreen Qt cannot click a button that pops up a menu);
    # the list takes the focus from the name field while it is open.
    name.pick.showMenu()
    assert seen == [(True, False)]  # nothing typed yet: no "this question is required"
    assert QApplication.focusWidget() is name.edit and not error.isVisible()


def test_typing_low_on_the_page_keeps_the_line_typed_on_the_screen(qtbot: QtBot, open_case) -> None:
    window = open_case()
    window.resize(1100, 400)
    page = window.conversation
    section = page.pages["start"]
    story = row(page, "verhaal").field.edit
    bar = section.verticalScrollBar()
    top = story.mapTo(section.widget(), QPoint(0, 0)).y()
    bar.setValue(top - section.viewport().height() + 40)  # only its first line shows
    qtbot.mouseClick(story.viewport(), LEFT, pos=QPoint(20, 10))
    for line in range(6):
        qtbot.keyClicks(story, f"Regel {line + 1} van wat mevrouw vertelt.")
        qtbot.keyClick(story, Qt.Key.Key_Return)
        cursor = story.cursorRect()
        bottom = story.viewport().mapTo(section.viewport(), cursor.bottomLeft()).y()
        assert 0 <= bottom <= section.viewport().height(), f"line {line + 1} typed off screen"


def test_a_new_entry_comes_into_view_with_the_focus_in_its_first_field(
    qtbot: QtBot, open_window, profile_path: Path, gui_forms
) -> None:
    from gui_helpers import make_profile, unlock

    ids = make_profile(profile_path, gui_forms, form_id="wmo-keukentafelgesprek")
    window = open_window(profile_path)
    window.resize(1100, 640)
    unlock(qtbot, window)
    window.open_case(ids["Geertruida Bakker"])
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=8000)
    page = window.conversation
    page.show_section("eigen_kracht_en_netwerk")
    network = row(page, "netwerk").field
    assert network.add.text() == "Netwerklid toevoegen"  # a sentence starts with a capital
    section = page.pages["eigen_kracht_en_netwerk"]
    for number in (1, 2):
        section.ensureWidgetVisible(network.add)
        qtbot.mouseClick(network.add, LEFT)
        name = network.blocks[-1].fields["netwerk_naam"].edit
        assert QApplication.focusWidget() is name

        def shown(name: QWidget = name) -> bool:
            y = name.mapTo(section.viewport(), QPoint(0, 0)).y()
            return y >= 0 and y + name.height() <= section.viewport().height()

        qtbot.waitUntil(shown)
        qtbot.keyClicks(name, f"Buur {number}")
    assert [m["netwerk_naam"] for m in page.state.answers["netwerk"]] == ["Buur 1", "Buur 2"]


def test_a_long_text_is_as_high_as_what_is_written_from_three_to_nine_lines(
    qtbot: QtBot, open_case
) -> None:
    page = open_case().conversation
    story = row(page, "verhaal").field.edit
    line = story.fontMetrics().lineSpacing()
    empty = story.height()
    assert empty < 4 * line + 16  # room for three lines, not a screenful
    qtbot.mouseClick(story.viewport(), LEFT)
    qtbot.keyClicks(story, "Mevrouw woont alleen.")
    assert story.height() == empty  # one line: the same three lines of room
    for number in range(12):
        qtbot.keyClick(story, Qt.Key.Key_Return)
        qtbot.keyClicks(story, f"Regel {number}")
    assert story.height() == 9 * line + 16  # grows up to nine lines, then scrolls inside
    assert story.verticalScrollBar().maximum() > 0


def test_the_first_open_legal_topic_is_in_view_in_the_checklist(
    qtbot: QtBot, open_window, profile_path: Path, gui_forms
) -> None:
    from gui_helpers import PASSPHRASE, unlock

    from kitchentable.config import Settings
    from kitchentable.demo import demo_document
    from kitchentable.services import Profile

    settings = Settings(consultant="Demo Consulent", team="Wijkteam Demo", language="nl")
    with Profile.create(profile_path, PASSPHRASE, settings=settings, forms=gui_forms) as profile:
        truus = profile.import_cases(demo_document())[0]  # every legal topic covered
    window = open_window(profile_path)
    window.resize(1366, 700)
    unlock(qtbot, window)
    window.open_case(truus)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=8000)
    page = window.conversation
    assert page.topics.open_topic_ids() == []
    page.show_section("introductie")
    no = row(page, "pgb_uitgelegd").field.group.buttons()[1]
    page.pages["introductie"].ensureWidgetVisible(no)
    qtbot.mouseClick(no, LEFT)  # pgb not explained: its duty is open again
    (topic,) = page.topics.open_topic_ids()
    checklist = page.topics.list
    item = next(
        checklist.item(r)
        for r in range(checklist.count())
        if checklist.item(r).data(Qt.ItemDataRole.UserRole + 1) == topic
    )
    assert checklist.viewport().rect().contains(checklist.visualItemRect(item))
    qtbot.mouseClick(checklist.viewport(), LEFT, pos=checklist.visualItemRect(item).center())
    assert QApplication.focusWidget() is no  # the question that closes it


def test_a_computed_answer_reads_as_words_not_as_python(qtbot: QtBot, gui_forms) -> None:
    from kitchentable.ui.conversation.fields import ComputedField

    form = gui_forms.get("wmo-keukentafelgesprek")
    field = ComputedField(form.question("maatwerk_nodig"))
    qtbot.addWidget(field)
    field.set_value(True)
    assert field.label.text() == "Yes"  # was "True"
    field.set_value("2026-12-14")
    assert field.label.text() == "14-12-2026"
