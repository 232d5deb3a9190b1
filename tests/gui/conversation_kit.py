"""The conversation page's test kit: its own small form (data/gui-conversation.yaml) in a
profile whose case came from the office as a review, the real window opened on that case, and
helpers to find a question's row and wait for the save. Used by the conversation-page tests
and the walk-through tests (fixtures reach them through conftest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import GUI_DATA, PASSPHRASE, WAIT_MS, unlock
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from kitchentable.config import Settings
from kitchentable.formengine.loader import FormRegistry, load_form
from kitchentable.services import Profile

FORM_ID = "gui-conversation"


@pytest.fixture(scope="module")
def conversation_forms(forms: FormRegistry) -> FormRegistry:
    registry = FormRegistry(forms.all())
    registry.add(load_form(GUI_DATA / "gui-conversation.yaml"))
    return registry


@pytest.fixture
def case_id(profile_path: Path, conversation_forms: FormRegistry) -> str:
    settings = Settings(
        consultant="Anna de Vries", role="Wmo-consulent", team="Wijkteam Noord", language="nl"
    )
    document = {
        "cases": [
            {
                "external_id": "M-2026-0100",
                "melding_date": date.today().isoformat(),
                "kind": "herindicatie",
                "form": FORM_ID,
                "person": {"name": "Geertruida Bakker"},
            }
        ]
    }
    with Profile.create(
        profile_path, PASSPHRASE, settings=settings, forms=conversation_forms
    ) as profile:
        (created,) = profile.import_cases(document)
    return created


@pytest.fixture
def open_case(
    qtbot: QtBot, profile_path: Path, conversation_forms: FormRegistry, case_id: str
) -> Iterator[Callable[[], Any]]:
    from kitchentable.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make() -> Any:
        window = MainWindow(profile_path, forms=conversation_forms)
        qtbot.addWidget(window)
        window.resize(1100, 760)
        window.show()
        windows.append(window)
        unlock(qtbot, window)
        assert window.cases.select_case(case_id)
        qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
        return window

    yield make
    for window in windows:
        window.close()


def row(page, question_id: str):
    for section_page in page.pages.values():
        if question_id in section_page.rows:
            return section_page.rows[question_id]
    raise KeyError(question_id)


def saved(qtbot: QtBot, page) -> None:
    qtbot.waitUntil(
        lambda: not page.saver.has_pending() and page.saver.kind == "saved", timeout=WAIT_MS
    )


def on_window(widget: QWidget) -> QPoint:
    return widget.mapTo(widget.window(), QPoint(0, 0))


def name_someone_present(qtbot: QtBot, page: Any, name: str) -> Any:
    """On "Mensen": add a person present and type their name (to be picked again later)."""
    page.show_section("mensen")
    group = row(page, "aanwezigen").field
    qtbot.mouseClick(group.add, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(group.blocks[-1].fields["aanwezige_naam"].edit, name)
    return group
