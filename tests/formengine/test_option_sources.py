"""Options a form does not list itself: a code list's codes (`options_from: codelist ID`) and
the office's product list (`options_from: products`, filtered by the item's category).

The code lists are shipped data (resources/codelists): each says where it came from and which
release it is; the consultant picks a name, the code is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kitchentable import codelists
from kitchentable.errors import InvalidAnswer
from kitchentable.formengine.loader import FormRegistry, load_form
from kitchentable.formengine.optionsources import Product, products_from_catalogue, with_products
from kitchentable.formengine.session import ConversationState, coerce
from kitchentable.paths import forms_dir, resources_dir
from tests.formengine.test_loader import HEAD, NAAM, only_problem

PRODUCTS = (
    Product("01A01", "Huishoudelijke ondersteuning basis", "01", "04", "Thuiszorg Noord", 31.5),
    Product("01A02", "Huishoudelijke ondersteuning plus", "01", "04"),
    Product("02A05", "Begeleiding individueel", "02", "04"),
    Product("45A10", "Ambulante jeugdhulp", "45", "04"),
)

GROUP = """\
      - id: hulp
        type: group
        label: {nl: Hulp, en: Help}
        item_label: {nl: Hulp, en: Help}
        questions:
          - id: soort
            type: choice
            label: {nl: Soort, en: Kind}
            options_from: codelist WMO020
          - id: product
            type: choice
            label: {nl: Product, en: Product}
            options_from: products
            options_filter: soort
"""


def form_with(tmp_path: Path, text: str):
    path = tmp_path / "form.yaml"
    path.write_text(HEAD + NAAM + text, encoding="utf-8")
    return load_form(path)


# -- the shipped code lists -------------------------------------------------------------------


def test_every_shipped_code_list_says_where_it_came_from_and_which_release() -> None:
    files = sorted((resources_dir() / "codelists").glob("*.json"))
    assert [f.stem for f in files] == ["JZ020", "WJ756", "WMO020", "WMO757"]
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = codelists.get(path.stem)
        assert found.release == data["release"] == "3.2"
        assert "istandaarden.nl" in found.source and "Zorginstituut" in found.source
        assert all(c.nl and c.en for c in found.codes)


def test_the_code_lists_hold_the_istandaarden_codes() -> None:
    wmo = codelists.get("WMO020")
    assert (wmo.codes[0].code, wmo.codes[0].nl) == ("01", "Hulp bij het huishouden")
    assert wmo.name_of("17") == "Spoedopvang" and len(wmo.codes) == 18
    assert [c.code for c in codelists.get("WJ756").codes] == [
        "01", "04", "14", "16", "82", "83", "84",
    ]  # fmt: skip
    assert [c.code for c in codelists.get("WMO757").codes] == ["1", "2", "4", "6"]
    jeugd = codelists.get("JZ020")
    assert jeugd.name_of("45") == "Jeugdhulp ambulant"
    assert {c.code for c in jeugd.codes if c.historic} == {str(n) for n in range(31, 39)}
    assert codelists.law_of_category("07") == "wmo" and codelists.law_of_category("54") == "jeugd"
    assert codelists.law_of_category("99") is None
    with pytest.raises(codelists.CodeListError, match="no code list 'WMO999'"):
        codelists.get("WMO999")


# -- options_from: codelist ---------------------------------------------------------------------


def test_a_choice_from_a_code_list_offers_its_names_and_stores_the_code(tmp_path: Path) -> None:
    form = form_with(tmp_path, GROUP)
    soort = form.question("hulp").field("soort")
    assert [(o.value, o.label.nl) for o in soort.options[:2]] == [
        ("01", "Hulp bij het huishouden"),
        ("02", "Begeleiding"),
    ]
    assert coerce(soort, "01") == "01"
    with pytest.raises(InvalidAnswer):
        coerce(soort, "Hulp bij het huishouden")  # the code is stored, not the name


def test_the_shipped_forms_offer_current_categories_only() -> None:
    wmo = load_form(forms_dir() / "wmo-keukentafelgesprek.yaml")
    jeugd = load_form(forms_dir() / "jeugd-gezinsplan.yaml")
    wmo_kind = wmo.question("resultaten").field("maatwerk_categorie")
    assert [o.value for o in wmo_kind.options] == [f"{n:02d}" for n in range(1, 19)]
    jeugd_kind = jeugd.question("doelen").field("jeugdhulp_categorie")
    assert [o.value for o in jeugd_kind.options] == [str(n) for n in range(40, 56)]  # no (2015)
    assert wmo.question("resultaten").field("maatwerk_eenheid").options[1].label.nl == "Uur"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "      - {id: x, type: choice, label: {nl: X, en: X}, options_from: codelist WMO999}\n",
            15,
            "there is no code list 'WMO999'",
        ),
        (
            "      - {id: x, type: text, label: {nl: X, en: X}, options_from: codelist WMO020}\n",
            15,
            "options_from fits a choice or multichoice, not text",
        ),
        (
            "      - id: x\n        type: choice\n        label: {nl: X, en: X}\n"
            "        options_from: codelist WJ756\n        options: [{value: a, label: {nl: A, en: A}}]\n",
            18,
            "give options or options_from, not both",
        ),
        (
            "      - {id: x, type: choice, label: {nl: X, en: X}, options_from: products, "
            "options_filter: naam}\n",
            15,
            "options_filter must name another field of the same group, not 'naam'",
        ),
        (
            "      - {id: x, type: choice, label: {nl: X, en: X}, options_from: codelist WJ756, "
            "options_filter: naam}\n",
            15,
            "options_filter goes with options_from: products",
        ),
    ],
)
def test_a_wrong_options_from_is_refused_at_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    found_line, found = only_problem(tmp_path, HEAD + NAAM + text)
    assert found_line == line and message in found, (found_line, found)


def test_a_choice_without_options_or_options_from_is_refused(tmp_path: Path) -> None:
    _line, message = only_problem(
        tmp_path, HEAD + NAAM + "      - {id: x, type: choice, label: {nl: X, en: X}}\n"
    )
    assert "options" in message


# -- options_from: products ---------------------------------------------------------------------


def test_products_are_offered_per_law_and_checked_against_the_items_category(
    tmp_path: Path,
) -> None:
    form = with_products(form_with(tmp_path, GROUP), PRODUCTS)
    product = form.question("hulp").field("product")
    assert [o.value for o in product.options] == ["01A01", "01A02", "02A05"]  # no Jeugd product
    assert product.option("01A01").group == "01"
    assert product.option("01A01").help.nl == "Thuiszorg Noord"
    state = ConversationState(form, {})
    state.set("hulp", [{"soort": "01", "product": "01A02"}, {"soort": "02", "product": "01A01"}])
    assert state.errors() == {
        "hulp[1].product": "This product is not in the chosen category. Choose one of that category."
    }
    state.set("hulp", [{"soort": "01", "product": "01A02"}, {"soort": "02", "product": "02A05"}])
    assert state.errors() == {}
    with pytest.raises(InvalidAnswer):
        state.set("hulp", [{"soort": "01", "product": "99Z99"}])  # not on the list


def test_a_registry_offers_the_products_it_is_given_and_keeps_the_forms_as_loaded(
    tmp_path: Path,
) -> None:
    loaded = form_with(tmp_path, GROUP)
    registry = FormRegistry([loaded])
    assert registry.get("klein").question("hulp").field("product").options == ()
    registry.use_products(PRODUCTS)
    assert len(registry.get("klein").question("hulp").field("product").options) == 3
    assert loaded.question("hulp").field("product").options == ()  # the loaded form unchanged
    assert loaded.question("naam") is loaded.questions()[0]  # its index still its own
    registry.use_products(())
    assert registry.get("klein").question("hulp").field("product").options == ()


def test_products_are_read_tolerantly_from_a_synced_catalogue() -> None:
    catalogue = {
        "entries": [],
        "products": [
            {"code": "01A01", "name": "HbH basis", "category": "01", "unit": "04", "tariff": 31.5},
            {"code": "X", "name": "Unknown category", "category": "99", "unit": "04"},
            {"name": "No code", "category": "01"},
            "not an object",
        ],
    }
    assert products_from_catalogue(catalogue) == (
        Product("01A01", "HbH basis", "01", "04", "", 31.5),
    )
    assert products_from_catalogue(None) == () == products_from_catalogue({"entries": []})
