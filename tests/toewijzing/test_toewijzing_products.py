"""`kitchentable-office products FILE`: the municipality's product list, checked against the
code lists and published with the catalogue the laptops already synchronise.

A file with one problem is refused whole, with `file:line: message` per problem, and
nothing is published. Publishing the products keeps the sociale kaart's entries, and
publishing the sociale kaart again keeps the products.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kitchentable.office import keys, publish
from kitchentable.office.cli import main
from kitchentable.office.custody import PASSPHRASE_ENV
from kitchentable.office.store import Store

OFFICE_PASSPHRASE = "office horse battery staple"
ENTRY = {"kind": "algemene_voorziening", "product": "Boodschappen", "name": "Boodschappenbus"}
GOOD_JSON = """\
{
  "products": [
    {"code": "01A01", "name": "Huishoudelijke ondersteuning basis", "category": "01",
     "unit": "04", "provider": "Thuiszorg Noord", "tariff": 31.5},
    {"code": "45A10", "name": "Ambulante jeugdhulp", "category": "45", "unit": "04"}
  ]
}
"""


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
    data = tmp_path / "office"
    data.mkdir()
    keys.create(data, OFFICE_PASSPHRASE)
    Store.open(data).close()
    return data


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def catalogue_items(data: Path) -> list[dict]:
    store = Store.open(data)
    try:
        with store.backend.transaction(write=False) as cur:
            rows = cur.execute("SELECT envelope FROM feed WHERE kind = 'catalogue'").fetchall()
        return [json.loads(row[0]) for row in rows]
    finally:
        store.close()


def current(data: Path) -> dict:
    store = Store.open(data)
    try:
        return publish.current_catalogue(store)
    finally:
        store.close()


def test_a_json_list_is_published_with_the_catalogue_and_keeps_its_entries(
    office: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(office)
    publish.publish_catalogue(
        store, keys.unlock(office, OFFICE_PASSPHRASE), [ENTRY], datetime.now(UTC)
    )
    store.close()
    path = tmp_path / "producten.json"
    path.write_text(GOOD_JSON, encoding="utf-8")
    code, out, err = run(capsys, "products", "--data", str(office), str(path))
    assert code == 0, err
    assert "Product list with 2 product(s) published" in out
    document = current(office)
    assert document["entries"] == [ENTRY]
    assert [(p["code"], p["category"], p["unit"]) for p in document["products"]] == [
        ("01A01", "01", "04"),
        ("45A10", "45", "04"),
    ]
    assert document["products"][0]["tariff"] == 31.5
    # The sociale kaart published again keeps the products.
    kaart = tmp_path / "kaart.json"
    kaart.write_text(json.dumps({"entries": [ENTRY, {**ENTRY, "name": "Klussendienst"}]}))
    code, _out, err = run(capsys, "catalogue", "--data", str(office), str(kaart))
    assert code == 0, err
    again = current(office)
    assert len(again["entries"]) == 2 and again["products"] == document["products"]
    assert len(catalogue_items(office)) == 3


def test_a_csv_list_with_semicolons_and_decimal_commas_is_read(
    office: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "producten.csv"
    path.write_text(
        "code;name;category;unit;provider;tariff\n"
        "07B01;Dagbesteding ouderen;07;16;De Linde;52,75\n"
        "14H01;Scootmobiel;14;82;;\n",
        encoding="utf-8",
    )
    code, _out, err = run(capsys, "products", "--data", str(office), str(path))
    assert code == 0, err
    products = current(office)["products"]
    assert products[0] == {
        "code": "07B01",
        "name": "Dagbesteding ouderen",
        "category": "07",
        "unit": "16",
        "provider": "De Linde",
        "tariff": 52.75,
    }
    assert products[1] == {"code": "14H01", "name": "Scootmobiel", "category": "14", "unit": "82"}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "producten.json",
            GOOD_JSON.replace('"category": "45"', '"category": "99"'),
            [
                "producten.json:5: unknown product category '99': not in iWmo WMO020 (Wmo) or iJw JZ020 (Jeugdwet), release 3.2"
            ],
        ),
        (
            "producten.json",
            GOOD_JSON.replace('"unit": "04", "provider"', '"unit": "uur", "provider"'),
            ["producten.json:3: unknown unit 'uur': not in WJ756 (01, 04, 14, 16, 82, 83, 84)"],
        ),
        (
            "producten.csv",
            "code,name,category,unit\n01A01,HbH basis,01,04\n01A01,HbH plus,01,04\n"
            "HBH-PLUS-2,HbH extra,01,04\n,Zonder code,02,04\n02A01,Begeleiding,02,24\n",
            [
                "producten.csv:3: product code '01A01' is also on line 2",
                "producten.csv:4: product code 'HBH-PLUS-2' must be 1 to 5 letters or digits",
                "producten.csv:5: code is missing",
                "producten.csv:6: unknown unit '24': not in WJ756 (01, 04, 14, 16, 82, 83, 84)",
            ],
        ),
        (
            "producten.csv",
            "code,name,category,unit,kleur\n01A01,HbH,01,04,rood\n",
            [
                "producten.csv:1: unknown column 'kleur' (known: code, name, category, unit, provider, tariff)",
            ],
        ),
        (
            "producten.csv",
            "code,naam\n01A01,HbH\n",
            [
                "producten.csv:1: the header needs the columns code, name, category, unit; missing: name, category, unit",
                "producten.csv:1: unknown column 'naam' (known: code, name, category, unit, provider, tariff)",
            ],
        ),
        (
            "producten.json",
            '{"products": [\n  {"code": "01A01",}\n]}',
            ["producten.json:2: not valid JSON"],
        ),
        ("producten.json", '{"products": []}', ["producten.json:1: has no products"]),
    ],
)
def test_a_list_with_a_problem_is_refused_whole_with_file_and_line(
    office: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str,
    expected: list[str],
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "products", "--data", str(office), str(path))
    assert code == 1 and out == "" and "Traceback" not in err
    assert f"Nothing was published: {len(expected)} problem(s)." in err
    for line in expected:
        assert f"  - {tmp_path / line}" in err, (line, err)
    assert catalogue_items(office) == []  # nothing reached the feed
