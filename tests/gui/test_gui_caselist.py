"""The case list: a Qt model over the core (qtmodeltester), instant search, new case, open case."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from gui_helpers import PASSPHRASE, WAIT_MS, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from kitchentable.domain.case import CaseStatus
from kitchentable.i18n import _
from kitchentable.services import CaseSummary, Profile
from kitchentable.ui.caselist import DAYS_LEFT, CaseFilterProxy, CaseTableModel
from kitchentable.ui.new_case import NewCaseDialog


def _summary(number: int, days_ago: int, name: str = "Jan Jansen") -> CaseSummary:
    melding = date(2026, 11, 1) - timedelta(days=days_ago)
    return CaseSummary(
        id=f"id-{number}",
        external_id=f"M-{number:04d}",
        name=f"{name} {number}",
        address="Kerkstraat 1, 9601 AB Hoogezand",
        postcode="9601 AB",
        status=CaseStatus.NEW,
        melding_date=melding,
        deadline=melding + timedelta(weeks=6),
        updated_at="2026-11-01T10:00:00+00:00",
        sync_state="local",
    )


def test_the_case_model_passes_qtmodeltester(qtmodeltester) -> None:
    model = CaseTableModel(today=date(2026, 11, 1))
    model.set_rows([_summary(n, n * 3) for n in range(20)])
    qtmodeltester.check(model, force_py=True)
    proxy = CaseFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search("jansen 1")
    qtmodeltester.check(proxy, force_py=True)


def test_seven_days_or_fewer_left_is_red_and_bold(qapp) -> None:
    model = CaseTableModel(today=date(2026, 11, 1))
    model.set_rows([_summary(1, 36), _summary(2, 34), _summary(3, 50)])
    days = [model.index(row, DAYS_LEFT) for row in range(3)]
    assert [i.data() for i in days] == ["6", "8", _("{n} overdue").format(n=8)]
    assert days[0].data(Qt.ItemDataRole.ForegroundRole) is not None
    assert days[0].data(Qt.ItemDataRole.FontRole).bold()
    assert days[1].data(Qt.ItemDataRole.ForegroundRole) is None
    assert days[2].data(Qt.ItemDataRole.ForegroundRole) is not None


def test_search_by_name_postcode_and_bsn_is_instant(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path)
    unlock(qtbot, window)
    page = window.cases
    assert page.proxy.rowCount() == 4
    qtbot.keyClicks(page.search, "ozlem")  # accents do not matter
    assert page.proxy.rowCount() == 1
    assert page.proxy.index(0, 0).data() == "Özlem Yıldız"
    page.search.clear()
    qtbot.keyClicks(page.search, "9601ab")
    assert page.proxy.rowCount() == 1
    page.search.clear()
    qtbot.keyClicks(page.search, "999990044")  # BSN: through the vault's blind index
    qtbot.waitUntil(lambda: page.proxy.rowCount() == 1, timeout=WAIT_MS)
    assert page.proxy.index(0, 0).data() == "Hans van der Veen"
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.table.hasFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    assert window.conversation.case.id == case_ids["Hans van der Veen"]


def test_a_new_case_is_checked_created_and_opened(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms
) -> None:
    window = open_window(profile_path)
    unlock(qtbot, window)
    qtbot.mouseClick(window.cases.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.findChildren(NewCaseDialog)), timeout=WAIT_MS)
    dialog = window.findChildren(NewCaseDialog)[0]
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.keyClicks(dialog.external_id, "M-2026-0450")
    qtbot.keyClicks(dialog.name, "Sanne de Boer")
    qtbot.keyClicks(dialog.bsn, "123456789")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.fields["bsn"].error.text() == "BSN: " + _(
        "This is not a valid BSN: it must be 9 digits and pass the 11-check."
    )
    dialog.bsn.clear()
    qtbot.keyClicks(dialog.bsn, "999990068")
    qtbot.keyClicks(dialog.postcode, "9641ef")
    qtbot.keyClicks(dialog.city, "Muntendam")
    dialog.form_choice.setCurrentIndex(dialog.form_choice.findData("gui-all-types"))
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    assert window.conversation.case.person.name == "Sanne de Boer"
    assert _("typed here, not verified") in window.conversation.details_label.text()
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        found = profile.case_summaries("9641 EF")
    assert [(s.name, s.external_id) for s in found] == [("Sanne de Boer", "M-2026-0450")]


def test_the_back_button_returns_to_the_list_with_the_case_updated(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path)
    unlock(qtbot, window)
    window.cases.select_case(case_ids["Hendrik Zuidema"])
    qtbot.mouseClick(window.cases.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    qtbot.keyClicks(page.pages["basis"].rows["roepnaam"].field.edit, "Henk")
    qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
    assert window.conversation is None

    def status_of_henk() -> CaseStatus | None:
        model = window.cases.model
        rows = [model.summary(r) for r in range(model.rowCount())]
        return next((r.status for r in rows if r.id == case_ids["Hendrik Zuidema"]), None)

    qtbot.waitUntil(lambda: status_of_henk() == CaseStatus.IN_CONVERSATION, timeout=WAIT_MS)
    assert window.cases.current_case_id() == case_ids["Hendrik Zuidema"]
