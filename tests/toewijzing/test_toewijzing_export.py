"""A product picked on the laptop reaches the back office as codes: the office publishes its
product list, a real laptop synchronises, the consultant records the advice with it, signs,
synchronises again, and `kitchentable-office export` writes the toewijzing's input as codes
beside the plan (category, product code, leveringsvorm, start and end, omvang or budget)."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "zgw"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from zgwkit import OFFICE_PASSPHRASE, received_office

from kitchentable.formengine.loader import FormRegistry
from kitchentable.office.cli import main
from kitchentable.office.custody import PASSPHRASE_ENV
from tests.coded_cases import PRODUCTS, Maatwerk, Scenario, answer, case, sign

SCENARIOS = {
    s.reference: s
    for s in (
        Scenario(
            "M-2026-0901",
            steps=("eigen_kracht", "maatwerkvoorziening", "maatwerkvoorziening"),
            maatwerk=(
                Maatwerk("01", "zin", "01A02", 3, "04", "2"),
                Maatwerk("14", "pgb", "14H01", budget=1250.0),
            ),
        ),
        Scenario(
            "J-2026-0902",
            kind="jeugd",
            steps=("eigen_mogelijkheden", "individuele_voorziening"),
            maatwerk=(Maatwerk("45", "zin", "45A10", 2, "04", "2"),),
        ),
    )
}


def test_a_picked_product_is_exported_as_codes(
    tmp_path: Path, forms: FormRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, OFFICE_PASSPHRASE)
    with ExitStack() as stack:
        office = received_office(
            tmp_path,
            forms,
            stack,
            list(SCENARIOS),
            sign=lambda laptop, refs: [sign(laptop, SCENARIOS[r]) for r in refs],
            case=lambda r: case(SCENARIOS[r]),
            answer=lambda laptop, r: answer(laptop, SCENARIOS[r]),
            products=PRODUCTS,
        )
        assert main(["export", "--data", str(office.data), "--out", str(tmp_path / "out")]) == 0
    # The sealed plan says it in words: the product's name, how much, how often, how long.
    words = _text(office.pdfs["M-2026-0901"], tmp_path)
    for said in (
        "Wij adviseren hulp van de gemeente: hulp bij het huishouden.",
        "De hulp Huishoudelijke ondersteuning plus · Zwaar huishoudelijk werk",
        "Hoeveel 3 uur per week",
        "Hoeveel Een budget van € 1.250,00",
        "Hoe lang Van ",
    ):
        assert said in words, said
    assert "01A02" not in words.split("Bijlage: Verantwoording")[0]  # codes only in the annex
    coded = {}
    for path in (tmp_path / "out").rglob("plan-v*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        reference = next(
            json.loads(p.read_text())["content"]["snapshot"]["case"]["external_id"]
            for p in path.parent.glob("case-v*.json")
        )
        coded[reference] = document["toewijzing"]
    start = SCENARIOS["M-2026-0901"].melding_date + timedelta(days=30)
    assert [
        (t["productcategorie"], t["productcode"], t["leveringsvorm"]) for t in coded["M-2026-0901"]
    ] == [
        ("01", "01A02", "zin"),
        ("14", "14H01", "pgb"),
    ]
    hbh, scooter = coded["M-2026-0901"]
    assert hbh["omvang"]["volume"] == 3 and hbh["omvang"]["eenheid"] == "04"
    assert hbh["omvang"]["frequentie"] == "2" and hbh["budget_eurocent"] is None
    assert hbh["productcategorie_codelijst"] == "WMO020 (iWmo 3.2)"
    assert hbh["ingangsdatum"] == start.isoformat()
    assert hbh["einddatum"] == (start + timedelta(days=364)).isoformat()
    assert scooter["omvang"] is None and scooter["budget_eurocent"] == 125000
    assert all(t["status"] == "beoogd" and t["wet"] == "wmo" for t in coded["M-2026-0901"])
    (youth,) = coded["J-2026-0902"]
    assert (youth["wet"], youth["productcategorie"], youth["productcode"]) == (
        "jeugd",
        "45",
        "45A10",
    )
    assert youth["productcategorie_codelijst"] == "JZ020 (iJw 3.2)"


def _text(pdf: bytes, folder: Path) -> str:
    path = folder / "plan.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(text.stdout.replace("\u00a0", " ").split())
