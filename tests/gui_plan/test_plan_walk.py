"""The signing moment as a walk under a real X server found it (1366 x 768 laptop), fixed and
driven here like a person: a panel that fits its column, a refusal and a seal one can see, no
empty pads on a signed plan, a dot that is not a signature, "not present" that ticks where
one clicks, a list that forgets what was just done, the family's words on a gezinsplan, and
a click on an item inside a group that lands on that entry.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kitchentable.demo import demo_document
from kitchentable.services import Profile
from kitchentable.ui.tasks import task_manager
from tests.gui_plan.test_plan_page import draw_with_mouse
from tests.gui_plan.test_plan_refusal import open_plan
from tests.plan.helpers import JEUGD, WMO, demo_case

pytestmark = pytest.mark.gui

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))

LEFT = Qt.MouseButton.LeftButton
LAPTOP = (1200, 720)  # the window on a 1366 x 768 screen


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """These tests read the Dutch the consultant sees; the tests after them expect English."""
    yield
    from kitchentable.ui.translations import apply_language

    apply_language("en")


def _answers(external_id: str) -> dict:
    case = next(c for c in demo_document()["cases"] if c["external_id"] == external_id)
    return copy.deepcopy(case["answers"])


def _plan(qtbot: QtBot, profile: Profile, profile_path: Path, forms, case: str, changes=None):
    profile.update_settings(consultant="Anja de Consulent", language="nl")
    profile.import_cases(demo_case(case, changes))
    profile.close()
    window = open_plan(qtbot, profile_path, forms, case)
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.plan_page.side.viewport().width() < 600)
    window.activateWindow()  # as the only window on a desktop is: the keyboard goes there
    qtbot.waitUntil(window.isActiveWindow)
    return window, window.plan_page


def _close(window) -> None:
    window.close()
    task_manager().drain()


def _ready_to_sign(qtbot: QtBot, page) -> None:
    """Agreed, the place typed, every pad signed, scrolled down to the sign button."""
    _click_text(qtbot, page.agree)
    qtbot.keyClicks(page.place, "Hoogezand")
    for pad in page.pads.pads:
        page.side.ensureWidgetVisible(pad)
        draw_with_mouse(qtbot, pad.pad.canvas)
    page.side.ensureWidgetVisible(page.sign_button)


def _click_text(qtbot: QtBot, box) -> None:
    qtbot.mouseClick(box, LEFT, pos=QPoint(12, box.height() // 2))


@pytest.mark.parametrize("case", [WMO, JEUGD])
def test_the_panel_beside_the_preview_fits_a_laptop_screen(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms, case: str
) -> None:
    window, page = _plan(qtbot, profile, profile_path, forms, case)
    room = page.side.viewport().width()
    assert page.side.widget().minimumSizeHint().width() <= room
    assert page.side.horizontalScrollBar().maximum() == 0  # nothing to scroll sideways
    for pad in page.pads.pads:  # laid out within the column, "Wissen" inside the pad's row
        qtbot.waitUntil(
            lambda pad=pad: (
                pad.width() <= room and pad.pad.clear_button.geometry().right() <= pad.pad.width()
            )
        )
    _close(window)


def test_a_refusal_shows_its_list_at_the_top_and_a_seal_says_so_there(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window, page = _plan(
        qtbot, profile, profile_path, forms, WMO, {"clientondersteuning_gewezen": False}
    )
    _ready_to_sign(qtbot, page)
    assert page.side.verticalScrollBar().value() > 0  # scrolled down to sign
    qtbot.mouseClick(page.sign_button, LEFT)

    def refused() -> bool:  # checked at once: offscreen Qt lets a later tooltip take the window
        return "Nog niet ondertekend" in page.status.text() and bool(page.blocker_list.buttons)

    qtbot.waitUntil(refused, timeout=15_000)
    assert QApplication.focusWidget() is page.blocker_list.buttons[0]
    assert page.side.verticalScrollBar().value() == 0  # the refusal and its list in view
    _close(window)


def test_a_sealed_plan_shows_no_empty_pads_and_its_status_in_view(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window, page = _plan(qtbot, profile, profile_path, forms, WMO)
    _ready_to_sign(qtbot, page)
    qtbot.mouseClick(page.sign_button, LEFT)
    qtbot.waitUntil(lambda: page.is_sealed, timeout=20_000)
    qtbot.waitUntil(lambda: "Ondertekend en verzegeld" in page.status.text())
    assert page.side.verticalScrollBar().value() == 0
    assert not page.signatures.isVisible()  # no "Hier tekenen" beside a signed document
    assert not page.reaction.update_button.isVisible()
    _close(window)


def test_a_dot_is_not_a_signature(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window, page = _plan(qtbot, profile, profile_path, forms, WMO)
    _click_text(qtbot, page.agree)
    qtbot.keyClicks(page.place, "Hoogezand")
    inhabitant, consultant = page.pads.pads
    draw_with_mouse(qtbot, consultant.pad.canvas)
    qtbot.mouseClick(inhabitant.pad.canvas, LEFT, pos=QPoint(60, 60))  # a stray touch
    assert not inhabitant.settled() and not page.sign_button.isEnabled()
    draw_with_mouse(qtbot, inhabitant.pad.canvas)
    assert page.sign_button.isEnabled()
    _close(window)


def test_not_present_ticks_where_one_clicks_and_the_reason_gets_every_word(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window, page = _plan(qtbot, profile, profile_path, forms, JEUGD)
    father = page.pads.pad("parent-2")
    page.side.ensureWidgetVisible(father.absent)
    assert father.absent.width() <= father.absent.sizeHint().width() + 4  # no dead room
    qtbot.mouseClick(father.absent, LEFT, pos=QPoint(father.absent.width() - 6, 8))
    assert father.absent.isChecked() and QApplication.focusWidget() is father.reason
    qtbot.keyClicks(QApplication.focusWidget(), "Woont elders")
    assert father.reason.text() == "Woont elders"
    _close(window)


def test_the_list_forgets_a_reaction_chosen_and_a_place_typed(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window, page = _plan(qtbot, profile, profile_path, forms, WMO)
    assert [b.kind for b in page.blocker_list.blockers] == ["reaction", "place"]
    _click_text(qtbot, page.agree)
    assert [b.kind for b in page.blocker_list.blockers] == ["place"]
    qtbot.keyClicks(page.place, "Hoogezand")
    assert not page.blocker_list.blockers and not page.blocker_list.isVisible()
    qtbot.wait(50)  # a removed item never shows up as a window of its own
    assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
    _close(window)


def test_a_gezinsplan_page_speaks_to_the_family(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window, page = _plan(qtbot, profile, profile_path, forms, JEUGD)
    assert "reactie van het gezin" in page.status.text() and "allemaal" in page.status.text()
    assert page.reaction.title() == "De reactie van het gezin"
    assert "inwoner" not in page.remarks.placeholderText()
    _close(window)


def test_an_item_in_a_group_leads_to_its_entry_and_field(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    agreements = _answers(WMO)["afspraken"]
    agreements[1]["afspraak_wanneer"] = "2026-11-01"  # before the conversation
    window, page = _plan(qtbot, profile, profile_path, forms, WMO, {"afspraken": agreements})
    (item,) = [b for b in page.blocker_list.blockers if b.kind == "question"]
    assert "Afspraak 2" in item.text
    qtbot.mouseClick(page.blocker_list.buttons[0], LEFT)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
    conversation = window.conversation
    field = conversation.pages["afspraken"].rows["afspraken"].field
    wanted = field.blocks[1].fields["afspraak_wanneer"].edit
    qtbot.waitUntil(lambda: QApplication.focusWidget() is wanted)
    section = conversation.pages["afspraken"]
    top = wanted.mapTo(section.viewport(), QPoint(0, 0)).y()
    assert 0 <= top <= section.viewport().height() - wanted.height()
    _close(window)


def test_a_missing_consent_leads_to_that_parent(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    family = _answers(JEUGD)["gezinsleden"]
    family[1]["gezinslid_toestemming"] = ["delen_betrokkenen", "opvragen"]  # not the provider
    window, page = _plan(qtbot, profile, profile_path, forms, JEUGD, {"gezinsleden": family})
    index = next(i for i, b in enumerate(page.blocker_list.blockers) if b.kind == "consent")
    assert "Erik de Boer" in page.blocker_list.blockers[index].text
    qtbot.mouseClick(page.blocker_list.buttons[index], LEFT)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
    field = window.conversation.pages["gezin"].rows["gezinsleden"].field
    consent = field.blocks[1].fields["gezinslid_toestemming"]  # Erik, not Sandra
    qtbot.waitUntil(lambda: consent.isAncestorOf(QApplication.focusWidget()))
    _close(window)
