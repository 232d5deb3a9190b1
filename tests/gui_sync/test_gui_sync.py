"""Sync from the consultant's side: the sync area, enrolment, conflicts, offline, revocation
and the check-in rule, driven through the real window against a real office server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import shiboken6
from gui_helpers import PASSPHRASE, PEOPLE, WAIT_MS, make_profile, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from synckit import put_state

from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import publish
from kitchentable.services import Profile, sync
from kitchentable.services.sync import Standing, SyncStatus, VersionRow
from kitchentable.ui.setup_wizard import SetupWizard
from kitchentable.ui.sync_dialogs import ConflictsDialog, ConnectDialog, VersionsModel
from kitchentable.ui.sync_panel import SyncPanel
from kitchentable.ui.sync_status import SyncView, status_text
from kitchentable.ui.tasks import task_manager

LEFT = Qt.MouseButton.LeftButton
QUESTION = "hulpvraag_eigen_woorden"


def assignment(ref: str, name: str = "Jantje Toegewezen") -> dict[str, Any]:
    return {
        "consultant": "anna",
        "external_id": ref,
        "melding_date": "2026-11-02",
        "form": "wmo-keukentafelgesprek",
        "person": {"name": name, "address": {"postcode": "9601 AB", "city": "Hoogezand"}},
    }


def laptop(path: Path, forms: FormRegistry, office: Any = None, people: Any = PEOPLE) -> None:
    """A closed English profile; enrolled as 'anna' when an office is given."""
    make_profile(path, forms, language="en", people=people)
    if office is not None:
        with Profile.unlock(path, PASSPHRASE, forms=forms) as profile:
            sync.enrol(profile, office.url, office.kit.code("anna"), path.name)


def panel_of(window: Any) -> SyncPanel:
    panel = window.cases.findChild(SyncPanel)
    assert panel is not None
    return panel


def settled(window: Any) -> bool:
    return window.sync.view.standing is not None and not window.sync.running


def no_message_boxes() -> bool:
    return not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]


def test_the_status_line_says_waiting_conflicts_and_when_it_last_synchronised(qapp) -> None:
    status = SyncStatus(True, "https://office", 2, 0, 1, "2026-11-02T13:02:00+00:00", False)
    local = datetime.fromisoformat(status.last_sync_at or "").astimezone()
    text = status_text(SyncView(Standing(status)))
    assert text.startswith("Last synchronised ")
    assert f"{local:%H:%M}" in text
    assert text.endswith(" — 2 waiting — 1 conflict to resolve")
    offline = status_text(SyncView(Standing(status), offline=True))
    assert offline.startswith("Offline — 2 waiting")
    assert status_text(SyncView(Standing(status), running=True)) == "Synchronising…"
    lonely = SyncStatus(False, "", 3, 0, 0, None, False)
    assert status_text(SyncView(Standing(lonely))) == "Not connected to the office"


def test_the_versions_model_passes_qtmodeltester(qtmodeltester) -> None:
    model = VersionsModel()
    model.set_rows([VersionRow("Hulpvraag", "a", "b"), VersionRow("Woning", "c", "c")], "laptop1")
    qtmodeltester.check(model, force_py=True)
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is None


def test_enrol_through_the_dialog_and_an_assignment_arrives_on_synchronise(
    qtbot, open_window, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms)
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        profile.update_settings(office_url=office.url)  # as IT presets it
    window = open_window(profile_path)
    unlock(qtbot, window)
    panel = panel_of(window)
    qtbot.waitUntil(lambda: panel.status.text() == "Not connected to the office", timeout=WAIT_MS)
    assert window.sync_status.text() == "Not connected to the office"
    assert panel.connect_button.isVisible() and not panel.sync_button.isVisible()

    shown: list[str] = []  # what the progress label said, as the core reported from the worker
    window.sync.changed.connect(
        lambda: shown.append(panel.progress_label.text()) if window.sync.view.progress else None
    )
    qtbot.mouseClick(panel.connect_button, LEFT)
    dialog = window.findChild(ConnectDialog)
    assert dialog.server.text() == office.url
    qtbot.keyClicks(dialog.code, "AAAA-BBBB-CCCC-DDDD")
    qtbot.mouseClick(dialog.connect_button, LEFT)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=WAIT_MS)
    assert "did not accept" in dialog.message.text()
    dialog.code.clear()
    qtbot.keyClicks(dialog.code, office.kit.code("anna"))
    qtbot.mouseClick(dialog.connect_button, LEFT)
    qtbot.waitUntil(lambda: dialog.done_note.isVisible(), timeout=WAIT_MS)
    assert "as anna" in dialog.done_note.text()
    qtbot.mouseClick(dialog.cancel_button, LEFT)
    # The first synchronisation follows by itself and sends the four local cases.
    qtbot.waitUntil(
        lambda: settled(window) and panel.status.text().startswith("Last synchronised"),
        timeout=WAIT_MS,
    )
    assert panel.sync_button.isVisible() and not panel.connect_button.isVisible()
    assert "waiting" not in panel.status.text()
    assert "Sending 4 of 4" in shown and "Receiving" in shown
    assert len(office.kit.store.changes()) == 4

    office.kit.assign([assignment("M-2026-0901")])
    qtbot.mouseClick(panel.sync_button, LEFT)
    assert panel.status.text() == "Synchronising…"
    assert not panel.sync_button.isEnabled()  # never two at once
    qtbot.waitUntil(lambda: window.cases.model.rowCount() == 5, timeout=WAIT_MS)
    names = {window.cases.model.summary(r).name for r in range(5)}
    assert "Jantje Toegewezen" in names
    assert window.sync_status.text() == panel.status.text()


def test_offline_is_only_a_status_line_and_the_outbox_stays(
    qtbot, open_window, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms, office)
    office.stop()
    window = open_window(profile_path)
    unlock(qtbot, window)
    panel = panel_of(window)
    # The automatic try at unlock fails quietly: the status line says so, nothing pops up.
    qtbot.waitUntil(lambda: panel.status.text().startswith("Offline"), timeout=WAIT_MS)
    assert panel.status.text() == "Offline — 4 waiting"
    assert window.sync_status.text() == "Offline — 4 waiting"
    assert not panel.error.isVisible()
    assert no_message_boxes()
    # Asked for by hand, the sentence shows on the page, still without a dialog.
    qtbot.mouseClick(panel.sync_button, LEFT)
    qtbot.waitUntil(lambda: panel.error.isVisible(), timeout=WAIT_MS)
    assert "cannot be reached" in panel.error.text()
    assert no_message_boxes()
    window.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        assert profile.outbox.count("pending") == 4


def test_a_conflict_shows_both_versions_and_taking_theirs_resolves_it(
    qtbot, open_window, tmp_path: Path, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms, office, people=PEOPLE[:1])
    other = tmp_path / "other-laptop"
    laptop(other, gui_forms, office, people=())
    office.kit.assign([assignment("M-2026-0301", "Gedeelde Casus")])
    with Profile.unlock(other, PASSPHRASE, forms=gui_forms) as colleague:
        sync.synchronise(colleague)
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as mine:
        sync.synchronise(mine)
        mine.save_answer(mine.open_conversation("M-2026-0301"), QUESTION, "Versie van deze laptop")
    with Profile.unlock(other, PASSPHRASE, forms=gui_forms) as colleague:
        colleague.save_answer(
            colleague.open_conversation("M-2026-0301"), QUESTION, "Versie van de collega"
        )
        assert sync.synchronise(colleague).accepted == 1

    window = open_window(profile_path)
    unlock(qtbot, window)
    panel = panel_of(window)
    qtbot.waitUntil(lambda: settled(window) and panel.conflicts_button.isVisible(), timeout=WAIT_MS)
    assert "1 conflict to resolve" in panel.status.text()
    qtbot.mouseClick(panel.conflicts_button, LEFT)
    dialog = window.findChild(ConflictsDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=WAIT_MS)
    assert "M-2026-0301" in dialog.heading.text()
    assert "other-laptop" in str(dialog.model.headerData(2, Qt.Orientation.Horizontal))
    (row,) = [r for r in dialog.model.rows if r.differs]
    assert (row.mine, row.theirs) == ("Versie van deze laptop", "Versie van de collega")
    assert dialog.theirs_button.isEnabled()

    qtbot.mouseClick(dialog.theirs_button, LEFT)
    # None left: the dialog closes (and is deleted with what it showed).
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or dialog.isHidden(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: settled(window) and not panel.conflicts_button.isVisible())
    assert "conflict" not in panel.status.text()
    window.close()
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as mine:
        answers = mine.open_conversation("M-2026-0301").state.answers
        assert answers[QUESTION] == "Versie van de collega"


def test_a_revoked_laptop_says_so_and_returns_to_the_first_run_screen(
    qtbot, open_window, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms, office)
    window = open_window(profile_path)
    unlock(qtbot, window)
    panel = panel_of(window)
    qtbot.waitUntil(lambda: settled(window) and panel.sync_button.isEnabled(), timeout=WAIT_MS)
    (device,) = office.kit.store.active_devices("anna")
    office.kit.store.revoke(device.id, datetime.now(UTC))
    qtbot.mouseClick(panel.sync_button, LEFT)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "revokedMessage") is not None)
    box = window.findChild(QMessageBox, "revokedMessage")
    assert "revoked this laptop" in box.text()
    qtbot.waitUntil(lambda: isinstance(window.stack.currentWidget(), SetupWizard), timeout=WAIT_MS)
    assert window.cases is None and not window.lock_action.isEnabled()
    assert not list(profile_path.glob("kitchentable.db*"))
    box.button(QMessageBox.StandardButton.Ok).click()


def test_an_overdue_check_in_keeps_cases_closed_until_a_synchronisation(
    qtbot, open_window, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    laptop(profile_path, gui_forms, office)
    kit = office.kit
    publish.publish_policy(kit.store, kit.private, {"offline_days": 3}, datetime.now(UTC))
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        sync.synchronise(profile)
        put_state(profile, "last_checkin", (datetime.now(UTC) - timedelta(days=4)).isoformat())
    office.stop()  # the laptop is out of reach of the office, so the check-in cannot happen
    window = open_window(profile_path)
    unlock(qtbot, window)
    page, panel = window.cases, panel_of(window)
    qtbot.waitUntil(lambda: page.check_in_banner.isVisible(), timeout=WAIT_MS)
    assert "more than 3 days" in page.check_in_banner.text()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Offline"), timeout=WAIT_MS)
    assert not page.table.isEnabled() and not page.new_button.isEnabled()
    assert not page.open_button.isEnabled() and not page.search.isEnabled()
    assert panel.sync_button.isEnabled()
    window.open_case(page.model.summary(0).id)  # even when asked for directly
    page.open_case.emit(page.model.summary(0).id)
    assert not task_manager().busy()  # refused at once: nothing went to the worker
    assert window.conversation is None

    office.restart()  # the network is back
    qtbot.mouseClick(panel.sync_button, LEFT)
    qtbot.waitUntil(lambda: not page.check_in_banner.isVisible(), timeout=WAIT_MS)
    assert page.table.isEnabled() and page.open_button.isEnabled()
    assert panel.status.text().startswith("Last synchronised")
    window.open_case(page.model.summary(0).id)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)


def test_the_offices_auto_lock_policy_counts_from_the_next_synchronisation(
    qtbot, open_window, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    from datetime import UTC, datetime

    from kitchentable.office.publish import publish_policy

    laptop(profile_path, gui_forms, office)
    window = open_window(profile_path)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: settled(window), timeout=WAIT_MS)
    before = window.idle.idle_ms
    publish_policy(
        office.kit.store, office.kit.private, {"auto_lock_minutes": 2}, datetime.now(UTC)
    )
    qtbot.mouseClick(panel_of(window).sync_button, LEFT)
    qtbot.waitUntil(lambda: window.idle.idle_ms == 2 * 60_000, timeout=WAIT_MS)
    assert before > 2 * 60_000
    window.close()


def test_the_sociale_kaart_arrives_with_a_sync_and_can_be_searched(
    qtbot, open_window, profile_path: Path, gui_forms: FormRegistry, office: Any
) -> None:
    from datetime import UTC, datetime

    from kitchentable.office.publish import publish_catalogue
    from kitchentable.ui.catalogue_dialog import CatalogueDialog

    laptop(profile_path, gui_forms, office)
    publish_catalogue(
        office.kit.store,
        office.kit.private,
        [
            {"kind": "gecontracteerde_aanbieder", "product": "hulp bij het huishouden",
             "name": "Thuiszorg Noord", "phone": "050 1234567", "waiting_weeks": 3},
            {"kind": "algemene_voorziening", "product": "boodschappen",
             "name": "Boodschappenbus Hoogezand", "area": "Hoogezand"},
            {"kind": "algemene_voorziening", "product": "maaltijden", "name": "Tafeltje-dek-je"},
        ],
        datetime.now(UTC),
    )  # fmt: skip
    window = open_window(profile_path)
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: settled(window), timeout=WAIT_MS)
    window.show_catalogue()
    dialog = window.findChild(CatalogueDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 3, timeout=WAIT_MS)
    # General facilities first (what is there for everyone comes before paid support).
    names = [dialog.model.data(dialog.model.index(r, 2)) for r in range(3)]
    assert names == ["Boodschappenbus Hoogezand", "Tafeltje-dek-je", "Thuiszorg Noord"]
    qtbot.keyClicks(dialog.search, "huishoud")
    assert dialog.model.rowCount() == 1
    assert dialog.model.data(dialog.model.index(0, 5)) == "3"
    dialog.search.clear()
    qtbot.keyClicks(dialog.search, "HOOGEZAND")
    assert dialog.model.rowCount() == 1
    dialog.grab().save("/tmp/sociale-kaart.png")
    dialog.reject()
    window.close()


def test_the_catalogue_model_passes_qtmodeltester(qtmodeltester) -> None:
    from kitchentable.ui.catalogue_dialog import CatalogueModel

    model = CatalogueModel()
    model.set_entries([{"kind": "algemene_voorziening", "product": "p", "name": "n"}])
    qtmodeltester.check(model)
