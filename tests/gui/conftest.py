"""GUI fixtures: a profile with a few cases on the all-types GUI form, and the real main window.

One QApplication for the whole run (pytest-qt's qapp); every test restores the language the
core tests expect (English) when it ends, since the app switches to the profile's language.
"""

# ruff: noqa: F811 - fixtures imported from gui_helpers are shadowed by parameters of their name
from __future__ import annotations

from pathlib import Path

import pytest
from conversation_kit import case_id, conversation_forms, open_case  # noqa: F401
from gui_helpers import english_after_test, gui_forms, make_profile, open_window  # noqa: F401

from kitchentable.formengine.loader import FormRegistry


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def case_ids(profile_path: Path, gui_forms: FormRegistry) -> dict[str, str]:
    return make_profile(profile_path, gui_forms)
