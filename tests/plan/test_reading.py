"""Both plans read through as the inhabitant and as the quality officer would (pdftotext on
the sealed PDFs of the demo cases): what a reading found, each fixed here.

- a value the form computes prints as ja/nee, never as Python's True/False;
- a place chosen from the options continues the sentence after the date ("20 november 2026,
  thuis");
- a signer's place and date are separated by a comma, and a signer who was not there has no
  empty "Plaats en datum:" line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kitchentable.services import Profile
from tests.plan.helpers import JEUGD, WMO, demo_case, flat, pdf_text, signatures

ANNEX = "Bijlage: Verantwoording"


@pytest.fixture
def dutch(profile: Profile) -> Profile:
    profile.update_settings(consultant="Anja de Consulent", language="nl")
    for case in (WMO, JEUGD):
        profile.import_cases(demo_case(case))
    return profile


def sealed_text(profile: Profile, reference: str, tmp_path: Path) -> str:
    absent = {"parent-2": "Woont in Assen."} if reference == JEUGD else None
    profile.plans.seal(
        reference, True, "", "Hoogezand", signatures(profile, reference, absent=absent)
    )
    pdf, sealed = profile.plans.pdf(reference)
    assert sealed
    return flat(pdf_text(pdf, tmp_path, f"{reference}.pdf"))


@pytest.mark.parametrize(
    ("reference", "computed"),
    [
        (WMO, "Er is een maatwerkvoorziening nodig (volgt uit de resultaten)"),
        (JEUGD, "Er is jeugdhulp van een aanbieder nodig (volgt uit de doelen)"),
    ],
)
def test_a_computed_yes_prints_as_ja(
    dutch: Profile, tmp_path: Path, reference: str, computed: str
) -> None:
    text = sealed_text(dutch, reference, tmp_path)
    assert not re.search(r"\b(True|False)\b", text), "Python's True/False in the plan"
    start = text.index(computed[:20])  # the table cell's words may wrap around the value
    assert " ja " in text[start : start + len(computed) + 8]


def test_the_place_of_the_conversation_continues_the_sentence(
    dutch: Profile, tmp_path: Path
) -> None:
    wmo = sealed_text(dutch, WMO, tmp_path)
    assert "Ons gesprek 20 november 2026, thuis" in wmo
    jeugd = sealed_text(dutch, JEUGD, tmp_path)
    assert re.search(r"Ons gesprek \d+ november 2026, bij het gezin thuis", jeugd)


def test_place_and_date_have_a_comma_and_an_absent_signer_none(
    dutch: Profile, tmp_path: Path
) -> None:
    main = sealed_text(dutch, JEUGD, tmp_path).partition(ANNEX)[0]
    dated = re.findall(r"Plaats en datum: ([^:]*?\d{4})", main)
    assert dated and all(d.startswith("Hoogezand, ") for d in dated), dated
    absent = main.partition("Niet bij het tekenen: Woont in Assen.")[2]
    assert absent and not absent.lstrip().startswith("Plaats en datum")
    assert len(dated) == 3  # the young person, the mother, the consultant; not the father
