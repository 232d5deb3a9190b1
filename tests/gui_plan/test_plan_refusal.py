"""The app refuses to seal an unfinished plan, names each item, and goes there on a click."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from kitchentable.domain.case import CaseStatus
from kitchentable.services import Profile
from kitchentable.ui.tasks import task_manager
from tests.conftest import PASSPHRASE
from tests.gui_plan.test_plan_page import draw_with_mouse
from tests.plan.helpers import JEUGD, WMO, demo_case

pytestmark = pytest.mark.gui

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from gui_helpers import unlock  # noqa: E402 - the GUI tests' own unlock steps


def open_plan(qtbot: QtBot, profile_path: Path, forms, reference: str):
    from kitchentable.ui.main_window import MainWindow

    window = MainWindow(profile_path, forms=forms)
    qtbot.addWidget(window)
    window.resize(1300, 850)
    window.show()
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.cases is not None and window.cases.model.rowCount() == 1)
    window.open_case(window.cases.model.summary(0).id)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
    qtbot.mouseClick(window.conversation.plan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.plan_page is not None and window.plan_page.document.pageCount() > 0,
        timeout=20_000,
    )
    return window


def test_a_nee_duty_refuses_sealing_and_the_item_leads_to_its_question(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms, tmp_path: Path
) -> None:
    profile.update_settings(consultant="Anja de Consulent", language="en")
    profile.import_cases(demo_case(WMO, {"clientondersteuning_gewezen": False}))
    profile.close()
    window = open_plan(qtbot, profile_path, forms, WMO)
    page = window.plan_page
    texts = [b.text for b in page.blocker_list.blockers]
    assert any("free, independent client support" in t for t in texts), texts
    assert page.blocker_list.isVisible()

    # Everything the signing moment itself needs, but the duty is still open.
    qtbot.mouseClick(page.agree, Qt.MouseButton.LeftButton, pos=QPoint(8, page.agree.height() // 2))
    qtbot.keyClicks(page.place, "Hoogezand")
    for pad in page.pads.pads:
        draw_with_mouse(qtbot, pad.pad.canvas)
    assert page.sign_button.isEnabled()
    qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not signed yet" in page.status.text(), timeout=15_000)
    assert not page.is_sealed
    assert [b.text for b in page.blocker_list.blockers] == [texts[0]]
    page.grab().save(
        str(Path(os.environ.get("KITCHENTABLE_SCREENSHOTS", tmp_path)) / "plan-refused.png")
    )

    qtbot.mouseClick(page.blocker_list.buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
    assert window.conversation.current == "voorbereiding"
    assert window.stack.currentWidget() is window.conversation
    window.close()
    task_manager().drain()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as check:
        assert check.case(WMO).status != CaseStatus.SIGNED


def test_the_reaction_and_place_are_named_and_focused_on_the_plan_page(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    profile.update_settings(consultant="Anja de Consulent", language="en")
    profile.import_cases(demo_case(WMO))
    profile.close()
    window = open_plan(qtbot, profile_path, forms, WMO)
    page = window.plan_page
    kinds = [b.kind for b in page.blocker_list.blockers]
    assert kinds == ["reaction", "place"]
    qtbot.mouseClick(page.blocker_list.buttons[1], Qt.MouseButton.LeftButton)
    assert page.place.hasFocus()
    window.close()
    task_manager().drain()


def test_a_gezinsplan_has_a_pad_per_parent_and_one_may_be_absent(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    profile.update_settings(consultant="Anja de Consulent", language="en")
    profile.import_cases(demo_case(JEUGD))
    profile.close()
    window = open_plan(qtbot, profile_path, forms, JEUGD)
    page = window.plan_page
    assert [p.signer.key for p in page.pads.pads] == ["youth", "parent-1", "parent-2", "consultant"]
    assert not page.pads.pad("consultant").absent.isVisibleTo(page)
    qtbot.mouseClick(page.agree, Qt.MouseButton.LeftButton, pos=QPoint(8, page.agree.height() // 2))
    qtbot.keyClicks(page.place, "Hoogezand")
    for key in ("youth", "parent-1", "consultant"):
        draw_with_mouse(qtbot, page.pads.pad(key).pad.canvas)
    father = page.pads.pad("parent-2")
    assert not page.sign_button.isEnabled()
    father.absent.click()
    assert not page.sign_button.isEnabled()  # absent, but no reason yet
    qtbot.keyClicks(father.reason, "Woont in Assen")
    assert page.sign_button.isEnabled()
    qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.is_sealed, timeout=20_000)
    window.close()
    task_manager().drain()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as check:
        plan = check.plans.current(JEUGD)
        assert check.case(JEUGD).status == CaseStatus.SIGNED
        assert plan is not None and plan.signature("parent-2").absent_reason == "Woont in Assen"


def test_the_case_list_shows_an_agreed_extension_and_an_overrun(qapp) -> None:
    from dataclasses import replace
    from datetime import date, timedelta

    from kitchentable.services import CaseSummary
    from kitchentable.ui.caselist import DAYS_LEFT, CaseTableModel

    melding = date(2026, 9, 1)
    late = CaseSummary(
        "a",
        "M-1",
        "A",
        "",
        "",
        CaseStatus.IN_CONVERSATION,
        melding,
        melding + timedelta(weeks=6),
        "2026-11-01T10:00:00+00:00",
        "local",
    )
    extended = replace(late, id="b", deadline=date(2026, 11, 20))
    model = CaseTableModel(today=date(2026, 11, 1))
    model.set_rows([late, extended])
    late_cell, extended_cell = (model.index(row, DAYS_LEFT) for row in range(2))
    assert late_cell.data() == "19 overdue"
    assert extended_cell.data() == "19 · extended"
    assert extended_cell.data(Qt.ItemDataRole.ToolTipRole) == (
        "Term extended by agreement until 20-11-2026"
    )
