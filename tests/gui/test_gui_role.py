"""The consultant's role (Wmo or Jeugd): asked in the setup wizard (IT's preset chosen
beforehand), shown and changed in the Settings menu, and stored in the profile."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from gui_helpers import PASSPHRASE, WAIT_MS, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from kitchentable.config import ConsultantRole
from kitchentable.i18n import _
from kitchentable.presets import installation_presets
from kitchentable.services import profile_settings
from kitchentable.ui.new_case import NewCaseDialog

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def jeugd_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    file = tmp_path / "presets.json"
    file.write_text(json.dumps({"consultant_role": "jeugd"}), encoding="utf-8")
    monkeypatch.setenv("KITCHENTABLE_PRESETS", str(file))
    installation_presets.cache_clear()
    yield file
    installation_presets.cache_clear()


def run_wizard(qtbot, window, choose: ConsultantRole | None) -> None:
    qtbot.waitUntil(lambda: window.wizard is not None, timeout=WAIT_MS)
    wizard = window.wizard
    qtbot.keyClicks(wizard.about.consultant, "Anna de Vries")
    if choose is not None:
        wizard.about.kind.setCurrentIndex(wizard.about.kind.findData(choose))
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    qtbot.keyClicks(wizard.secret.first, PASSPHRASE)
    qtbot.keyClicks(wizard.secret.second, PASSPHRASE)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
    qtbot.waitUntil(lambda: window.cases is not None, timeout=WAIT_MS)


def test_the_wizard_starts_with_its_preset_role_and_its_job_title(
    qtbot, open_window, profile_path: Path, jeugd_presets: Path
) -> None:
    window = open_window(profile_path)
    qtbot.waitUntil(lambda: window.wizard is not None, timeout=WAIT_MS)
    about = window.wizard.about
    assert about.kind.currentData() == ConsultantRole.JEUGD
    assert about.role.text() == _("Youth consultant")
    run_wizard(qtbot, window, None)
    stored = profile_settings(profile_path)
    assert stored.consultant_role is ConsultantRole.JEUGD
    assert stored.role == _("Youth consultant")


def test_what_the_consultant_picks_in_the_wizard_wins_over_the_preset(
    qtbot, open_window, profile_path: Path, jeugd_presets: Path
) -> None:
    window = open_window(profile_path)
    run_wizard(qtbot, window, ConsultantRole.WMO)
    qtbot.waitUntil(
        lambda: profile_settings(profile_path).consultant_role is ConsultantRole.WMO,
        timeout=WAIT_MS,
    )
    assert window.settings.consultant_role is ConsultantRole.WMO
    assert profile_settings(profile_path).role == _("Wmo consultant")


def test_the_settings_menu_shows_and_changes_the_role(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms
) -> None:
    window = open_window(profile_path)
    assert not window.menus.role_menu.isEnabled(), "locked: nothing to show"
    unlock(qtbot, window)
    checked = [a.data() for a in window.menus.role_menu.actions() if a.isChecked()]
    assert checked == [ConsultantRole.WMO]
    assert window.menus.lock_time_action.isVisible()
    jeugd = next(a for a in window.menus.role_menu.actions() if a.data() == ConsultantRole.JEUGD)
    jeugd.trigger()
    qtbot.waitUntil(
        lambda: profile_settings(profile_path).consultant_role is ConsultantRole.JEUGD,
        timeout=WAIT_MS,
    )
    qtbot.mouseClick(window.cases.new_button, LEFT)
    qtbot.waitUntil(lambda: bool(window.findChildren(NewCaseDialog)), timeout=WAIT_MS)
    dialog = window.findChildren(NewCaseDialog)[0]
    assert dialog.form_choice.currentData() == "jeugd-gezinsplan"
    dialog.reject()
    window.lock_action.trigger()
    assert not window.menus.role_menu.isEnabled()
    unlock(qtbot, window)
    checked = [a.data() for a in window.menus.role_menu.actions() if a.isChecked()]
    assert checked == [ConsultantRole.JEUGD]
