"""GUI fixtures: a profile with a few cases on the all-types GUI form, and the real main window.

One QApplication for the whole run (pytest-qt's qapp); every test restores the language the
core tests expect (English) when it ends, since the app switches to the profile's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gui_helpers import make_profile
from pytestqt.qtbot import QtBot

from kitchentable.formengine.loader import FormRegistry, load_form

GUI_DATA = Path(__file__).resolve().parent / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(scope="session")
def gui_forms(forms: FormRegistry) -> FormRegistry:
    registry = FormRegistry(forms.all())
    registry.add(load_form(GUI_DATA / "gui-all-types.yaml"))
    return registry


@pytest.fixture(autouse=True)
def english_after_test() -> Iterator[None]:
    yield
    from kitchentable.ui.translations import apply_language

    apply_language("en")


@pytest.fixture
def case_ids(profile_path: Path, gui_forms: FormRegistry) -> dict[str, str]:
    return make_profile(profile_path, gui_forms)


@pytest.fixture
def open_window(qtbot: QtBot, gui_forms: FormRegistry) -> Iterator[Callable[..., object]]:
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
