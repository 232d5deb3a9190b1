"""The new-case dialog, typed like a consultant types it: every field in order with Tab,
every mistake shown at once by the field's name, and the form of the consultant's own role."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from gui_helpers import PASSPHRASE, WAIT_MS, unlock
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from kitchentable.config import ConsultantRole
from kitchentable.formengine import validators
from kitchentable.i18n import _
from kitchentable.services import Profile
from kitchentable.ui.new_case import NewCaseDialog


def open_dialog(qtbot, window) -> NewCaseDialog:
    unlock(qtbot, window)
    qtbot.mouseClick(window.cases.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.findChildren(NewCaseDialog)), timeout=WAIT_MS)
    dialog = window.findChildren(NewCaseDialog)[0]
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.external_id.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.external_id, timeout=WAIT_MS)
    return dialog


def type_in_order(qtbot, *texts: str) -> None:
    """Type each text where the focus is, then press Tab: the keyboard only, as a person does."""
    for text in texts:
        target = QApplication.focusWidget()
        qtbot.keyClicks(target, text)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)


def test_typed_in_order_with_tab_every_value_lands_in_its_own_field(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms
) -> None:
    window = open_window(profile_path)
    dialog = open_dialog(qtbot, window)
    melding = (date.today() - timedelta(days=3)).strftime("%d-%m-%Y")
    type_in_order(
        qtbot,
        "M-2026-0451",
        melding,
        "Jan Jansen",
        "01-02-1950",
        "999990068",
        "Dorpsstraat 1",
        "9641 EF",
        "Muntendam",
    )
    assert dialog.external_id.text() == "M-2026-0451"
    assert dialog.melding_date.text() == melding
    assert dialog.name.text() == "Jan Jansen"
    assert dialog.birth_date.text() == "01-02-1950"
    assert dialog.bsn.text() == "999990068"
    assert dialog.street.text() == "Dorpsstraat 1"
    assert dialog.postcode.text() == "9641 EF"
    assert dialog.city.text() == "Muntendam"
    assert QApplication.focusWidget() is dialog.form_choice  # the calendars are no Tab stops
    dialog.form_choice.setCurrentIndex(dialog.form_choice.findData("gui-all-types"))
    qtbot.keyClick(dialog.form_choice, Qt.Key.Key_Return)  # Enter creates the case
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        case = profile.case("M-2026-0451")
    assert case.person.name == "Jan Jansen"
    assert case.person.birth_date == "1950-02-01"
    assert case.person.bsn == "999990068"
    assert case.person.address.street == "Dorpsstraat 1"
    assert case.melding_date == date.today() - timedelta(days=3)
    assert case.deadline == case.melding_date + timedelta(weeks=6)


def test_every_wrong_field_is_marked_at_once_and_named(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path)
    dialog = open_dialog(qtbot, window)
    type_in_order(qtbot, "", "30-11-1789", "", "31-02-1950", "123456789", "", "96411", "")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    messages = {key: f.error.text() for key, f in dialog.fields.items() if f.error.isVisible()}
    assert set(messages) == {"external_id", "melding_date", "name", "birth_date", "bsn", "postcode"}
    for key, text in messages.items():
        field = dialog.fields[key]
        assert text.startswith(field.name + ": "), text
        assert field.line.property("invalid") is True
        assert field.line.accessibleDescription() == text
    assert messages["melding_date"].endswith(
        _("A melding date before 01-01-2015 is not possible: the Wmo 2015 starts then.")
    )
    assert messages["birth_date"].endswith(_("This is not a date. Write it as dd-mm-yyyy."))
    summary = dialog.problem.text()
    for key in messages:
        assert dialog.fields[key].name in summary
    assert QApplication.focusWidget() is dialog.external_id  # the first wrong field
    assert dialog.isVisible() and window.conversation is None
    assert dialog.melding_date.text() == "30-11-1789"  # nothing typed is lost

    # Correcting a field takes its mark away at once; the others stay.
    qtbot.keyClicks(dialog.external_id, "M-2026-0452")
    assert not dialog.fields["external_id"].error.isVisible()
    assert dialog.fields["name"].error.isVisible()
    assert dialog.fields["external_id"].name not in dialog.problem.text()


def test_a_melding_date_in_the_future_is_refused(
    qtbot, open_window, profile_path: Path, case_ids
) -> None:
    window = open_window(profile_path)
    dialog = open_dialog(qtbot, window)
    tomorrow = (date.today() + timedelta(days=1)).strftime("%d-%m-%Y")
    type_in_order(qtbot, "M-2026-0453", tomorrow, "Jan Jansen")
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    visible = [key for key, f in dialog.fields.items() if f.error.isVisible()]
    assert visible == ["melding_date"]
    assert (
        dialog.fields["melding_date"]
        .error.text()
        .endswith(_("The melding date cannot be later than today."))
    )


@pytest.mark.parametrize("typed", ["30-11-2025", "30-11-25", "30-11", "30 11 2025", "2025-11-30"])
def test_the_dialog_reads_dates_as_the_form_engine_does(qtbot, typed: str) -> None:
    dialog = NewCaseDialog(session=None, forms=[])  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.melding_date.edit.setText(typed)
    try:
        expected = validators.normalise_date(typed)
    except ValueError as refused:
        assert dialog._problem("melding_date") == str(refused)
    else:
        assert dialog.melding_date.date().isoformat() == expected
        dialog.melding_date.normalise()
        shown = date.fromisoformat(expected).strftime("%d-%m-%Y")
        assert dialog.melding_date.text() == shown


@pytest.mark.parametrize(
    ("role", "kind"), [(ConsultantRole.WMO, "wmo"), (ConsultantRole.JEUGD, "jeugd")]
)
def test_the_default_form_follows_the_consultants_role(
    qtbot, open_window, profile_path: Path, case_ids, gui_forms, role, kind
) -> None:
    with Profile.unlock(profile_path, PASSPHRASE, forms=gui_forms) as profile:
        profile.update_settings(consultant_role=role)
    window = open_window(profile_path)
    dialog = open_dialog(qtbot, window)
    chosen = gui_forms.get(dialog.form_choice.currentData())
    assert chosen.kind == kind
    # Not alphabetical: "Gezinsplan Jeugd" sorts before "Keukentafelgesprek Wmo".
    first_of_other_kind = next(
        i
        for i in range(dialog.form_choice.count())
        if gui_forms.get(dialog.form_choice.itemData(i)).kind != kind
    )
    assert all(
        gui_forms.get(dialog.form_choice.itemData(i)).kind == kind
        for i in range(first_of_other_kind)
    )
