"""Helpers for the GUI tests: build a profile, unlock the window, read answers back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kitchentable.config import Settings
from kitchentable.domain.case import Address, BsnSource, Person
from kitchentable.formengine.loader import FormRegistry, load_form
from kitchentable.services import Profile

PASSPHRASE = "correct horse battery"
WAIT_MS = 8000
GUI_DATA = Path(__file__).resolve().parent / "data"

PEOPLE = (
    ("Geertruida Bakker", "999990019", "Kerkstraat 12", "9601 AB", "Hoogezand", 38),
    ("Hendrik Zuidema", "999990020", "Hoofdstraat 201", "9611 AG", "Sappemeer", 30),
    ("Özlem Yıldız", "999990032", "Meerweg 4", "9621 BC", "Slochteren", 21),
    ("Hans van der Veen", "999990044", "Julianalaan 33", "9603 CD", "Hoogezand", 12),
)


def make_profile(
    path: Path,
    forms: FormRegistry,
    *,
    language: str = "nl",
    demo: bool = False,
    people=PEOPLE,
    form_id: str = "gui-all-types",
) -> dict[str, str]:
    """A closed profile with cases; returns case ids by name."""
    ids: dict[str, str] = {}
    settings = Settings(
        consultant="Test Consulent", team="Wijkteam Test", language=language, demo=demo
    )
    with Profile.create(path, PASSPHRASE, settings=settings, forms=forms) as profile:
        for number, (name, bsn, street, postcode, city, days_ago) in enumerate(people):
            ids[name] = profile.create_case(
                external_id=f"M-2026-{number:04d}",
                melding_date=date.today() - timedelta(days=days_ago),
                person=Person(
                    name=name,
                    bsn=bsn,
                    bsn_source=BsnSource.OFFICE,
                    birth_date="1950-01-01",
                    address=Address(street, postcode, city),
                ),
                form_id=form_id,
            )
    return ids


def unlock(qtbot: QtBot, window: Any, passphrase: str = PASSPHRASE) -> None:
    qtbot.waitUntil(lambda: window.unlock_screen is not None, timeout=WAIT_MS)
    screen = window.unlock_screen
    qtbot.keyClicks(screen.passphrase, passphrase)
    qtbot.mouseClick(screen.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.cases is not None and window.cases.model.rowCount() > 0, timeout=WAIT_MS
    )


def read_answers(path: Path, forms: FormRegistry, case_id: str) -> dict[str, object]:
    """The answers as stored, read back through a fresh unlock (what survives a restart)."""
    with Profile.unlock(path, PASSPHRASE, forms=forms) as profile:
        return dict(profile.open_conversation(case_id).state.answers)


# -- fixtures shared by the GUI suites (imported into their conftests) -----------------------


@pytest.fixture(scope="session")
def gui_forms(forms: FormRegistry) -> FormRegistry:
    registry = FormRegistry(forms.all())
    registry.add(load_form(GUI_DATA / "gui-all-types.yaml"))
    return registry


@pytest.fixture(autouse=True)
def english_after_test() -> Iterator[None]:
    """The app switches to the profile's language; the core tests expect English."""
    yield
    from kitchentable.ui.translations import apply_language

    apply_language("en")


@pytest.fixture
def open_window(qtbot: QtBot, gui_forms: FormRegistry) -> Iterator[Callable[..., Any]]:
    from kitchentable.ui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(path: Path, **kwargs: object) -> MainWindow:
        window = MainWindow(path, forms=gui_forms, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.resize(1100, 760)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
