"""The consultant picks words, the codes follow: a maatwerk result on the shipped Wmo form,
its kind from code list WMO020 and a product from the municipality's list, offered only for
the kind chosen. The list came with the synced catalogue (here: the row the sync client
keeps, written as it writes it)."""

from __future__ import annotations

from pathlib import Path

from gui_helpers import PASSPHRASE, WAIT_MS, make_profile, read_answers, unlock
from PySide6.QtCore import Qt

from kitchentable.services import Profile
from tests.coded_cases import PRODUCTS

LEFT = Qt.MouseButton.LeftButton


def _with_catalogue(path: Path, gui_forms) -> None:
    with Profile.unlock(path, PASSPHRASE, forms=gui_forms) as profile:
        catalogue = {"issued_at": "2026-11-30T09:00:00Z", "sha256": "0" * 64, "entries": []}
        sealed = profile.keys.seal(
            "sync_state", "catalogue", 1, {**catalogue, "products": PRODUCTS}
        )
        profile.db.execute("INSERT INTO sync_state(key, data) VALUES ('catalogue', ?)", [sealed])


def _choose(qtbot, combo, text: str) -> None:
    """Pick an entry of a drop-down list with the arrow keys, as a person does."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText().startswith(text):
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    raise AssertionError(f"{text!r} is not offered")


def test_the_product_list_follows_the_chosen_kind_and_stores_codes(
    qtbot, open_window, profile_path: Path, gui_forms
) -> None:
    ids = make_profile(profile_path, gui_forms, form_id="wmo-keukentafelgesprek")
    case_id = ids["Geertruida Bakker"]
    _with_catalogue(profile_path, gui_forms)
    window = open_window(profile_path)
    unlock(qtbot, window)
    assert window.cases.select_case(case_id)
    qtbot.keyClick(window.cases.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    page.show_section("gewenste_resultaten")
    group = page.pages["gewenste_resultaten"].rows["resultaten"].field
    qtbot.mouseClick(group.add, LEFT)
    fields = group.blocks[-1].fields
    qtbot.keyClicks(fields["resultaat"].edit, "Mevrouw woont in een schoon huis")
    _choose(qtbot, fields["oplossing"].combo, "Maatwerk")
    rows = group.blocks[-1].rows
    picker = fields["maatwerk_product"].combo
    assert rows["maatwerk_product"].isVisible() and not picker.isEnabled()
    assert picker.itemText(0) == "(kies eerst de soort)"

    _choose(qtbot, fields["maatwerk_categorie"].combo, "Hulp bij het h")
    offered = [picker.itemText(i) for i in range(picker.count())]
    assert offered == [
        "(niet beantwoord)",
        "Huishoudelijke ondersteuning basis",
        "Huishoudelijke ondersteuning plus",
    ]
    _choose(qtbot, picker, "Huishoudelijke ondersteuning p")
    _choose(qtbot, fields["maatwerk_eenheid"].combo, "Uur")
    qtbot.waitUntil(lambda: not page.saver.has_pending(), timeout=WAIT_MS)
    (result,) = read_answers(profile_path, gui_forms, case_id)["resultaten"]
    assert (result["maatwerk_categorie"], result["maatwerk_product"]) == ("01", "01A02")
    assert result["maatwerk_eenheid"] == "04"  # the code, picked by its name

    # Another kind: its products are offered; the one picked stays, with a message.
    _choose(qtbot, fields["maatwerk_categorie"].combo, "Begeleiding")
    offered = [picker.itemText(i) for i in range(picker.count())]
    assert offered == [
        "(niet beantwoord)",
        "Huishoudelijke ondersteuning plus",
        "Begeleiding individueel",
    ]
    error = group.blocks[-1].errors["maatwerk_product"]
    assert error.isVisible() and "hoort niet bij de gekozen soort" in error.text()
    _choose(qtbot, picker, "Begeleiding")
    assert not error.isVisible()
    qtbot.waitUntil(lambda: not page.saver.has_pending(), timeout=WAIT_MS)
    (result,) = read_answers(profile_path, gui_forms, case_id)["resultaten"]
    assert (result["maatwerk_categorie"], result["maatwerk_product"]) == ("02", "02A05")
