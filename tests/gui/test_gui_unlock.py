"""First run, unlocking, wrong passphrases and the demo profile, driven through real widgets."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import PASSPHRASE, WAIT_MS, make_profile, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from kitchentable.demo import DEMO_PASSPHRASE
from kitchentable.errors import WrongPassphrase
from kitchentable.i18n import _
from kitchentable.services import Profile, profile_exists, profile_settings

LEFT = Qt.MouseButton.LeftButton


def test_first_run_wizard_creates_the_profile_and_shows_the_empty_case_list(
    qtbot, open_window, profile_path: Path
) -> None:
    window = open_window(profile_path)
    qtbot.waitUntil(lambda: window.wizard is not None, timeout=WAIT_MS)
    wizard = window.wizard
    qtbot.keyClicks(wizard.about.consultant, "Anna de Vries")
    qtbot.keyClicks(wizard.about.team, "Wijkteam Noord")
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    secret = wizard.secret
    qtbot.keyClicks(secret.first, "kort")
    assert secret.meter.value() == 0 and not secret.isComplete()
    assert _("Too short") in secret.hint.text()
    qtbot.keyClicks(secret.first, " genoeg maar twee woorden")
    qtbot.keyClicks(secret.second, "kort genoeg maar")
    assert secret.meter.value() == 3
    assert _("The two passphrases differ.") in secret.hint.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.keyClicks(secret.second, " twee woorden")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), LEFT)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
    qtbot.waitUntil(lambda: window.cases is not None, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: bool(window.cases.count_label.text()),
        timeout=WAIT_MS,
    )
    assert window.stack.currentWidget() is window.cases
    assert window.cases.count_label.text() == _("No cases yet. Register one with 'New case'.")
    assert profile_exists(profile_path)
    settings = profile_settings(profile_path)
    assert (settings.consultant, settings.team, settings.demo) == (
        "Anna de Vries",
        "Wijkteam Noord",
        False,
    )
    Profile.unlock(profile_path, "kort genoeg maar twee woorden").close()


def test_a_wrong_passphrase_is_explained_under_the_field_and_the_vault_stays_closed(
    qtbot, open_window, profile_path: Path, gui_forms
) -> None:
    make_profile(profile_path, gui_forms)
    window = open_window(profile_path)
    qtbot.waitUntil(lambda: window.unlock_screen is not None, timeout=WAIT_MS)
    screen = window.unlock_screen
    qtbot.keyClicks(screen.passphrase, "not the passphrase")
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.message.isVisible(), timeout=WAIT_MS)
    assert screen.message.text() == str(WrongPassphrase(attempts=1))
    assert window.cases is None and window.session._profile is None
    assert screen.passphrase.isEnabled() and screen.button.isEnabled()


def test_after_three_wrong_passphrases_the_button_waits_with_a_countdown(
    qtbot, open_window, profile_path: Path, gui_forms
) -> None:
    make_profile(profile_path, gui_forms)
    window = open_window(profile_path)
    qtbot.waitUntil(lambda: window.unlock_screen is not None, timeout=WAIT_MS)
    screen = window.unlock_screen
    for attempt in range(1, 4):
        screen.passphrase.selectAll()
        qtbot.keyClicks(screen.passphrase, f"wrong guess {attempt}")
        qtbot.mouseClick(screen.button, LEFT)
        qtbot.waitUntil(
            lambda a=attempt: f"({a})" in screen.message.text() or str(a) in screen.message.text(),
            timeout=WAIT_MS,
        )
    qtbot.waitUntil(lambda: not screen.button.isEnabled(), timeout=WAIT_MS)
    assert screen.button.text() == _("Wait {n} s").format(n=5)


def test_the_demo_passphrase_shows_on_the_demo_profile_only(
    qtbot, open_window, tmp_path: Path, gui_forms
) -> None:
    demo_path, own_path = tmp_path / "demo", tmp_path / "own"
    make_profile(demo_path, gui_forms, demo=True)
    make_profile(own_path, gui_forms)
    demo_window = open_window(demo_path, demo=True)
    own_window = open_window(own_path, demo=True)  # even when started with --demo
    qtbot.waitUntil(lambda: demo_window.probe_result is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: own_window.probe_result is not None, timeout=WAIT_MS)
    assert DEMO_PASSPHRASE in demo_window.unlock_screen.demo_hint.text()
    assert own_window.unlock_screen.demo_hint is None
    texts = " ".join(
        label.text() for label in own_window.findChildren(type(demo_window.unlock_screen.demo_hint))
    )
    assert DEMO_PASSPHRASE not in texts


def test_the_window_finds_a_profile_the_core_made(qapp, profile_path: Path, gui_forms) -> None:
    from kitchentable.ui.session import profile_present

    assert not profile_present(profile_path)
    make_profile(profile_path, gui_forms, people=())
    assert profile_present(profile_path)


def test_unlocking_shows_the_case_list_in_the_profiles_language(
    qtbot, open_window, profile_path: Path, gui_forms
) -> None:
    make_profile(profile_path, gui_forms, language="nl")
    window = open_window(profile_path)
    unlock(qtbot, window)
    assert window.cases.model.headerData(0, Qt.Orientation.Horizontal) == "Naam"
    assert window.menuBar().actions()[0].text() == "&Bestand"
    assert PASSPHRASE not in window.cases.search.text()
