"""An office that received a known set of conversations from a real laptop over real sync:
signed Wmo and Jeugdwet plans with known steps, maatwerk, checks and consents, inside and
outside six weeks (and within an agreed extension), and conversations still without a plan.
Built once per module (signing and sealing takes a second a plan)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "zgw"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from zgwkit import SignedOffice, received_office

from kitchentable.formengine.loader import FormRegistry
from tests.coded_cases import PRODUCTS, Maatwerk, Scenario, answer, case, sign

M01, M01P, M02 = (
    Maatwerk("01", "zin", "01A01"),
    Maatwerk("01", "pgb", "01A02"),
    Maatwerk("02", "zin", "02A05", 4, "04", "2"),
)
SCENARIOS = [
    Scenario("W01", 20, steps=("eigen_kracht", "maatwerkvoorziening"), maatwerk=(M01,), survey="post", client_support_involved=True, name="Anna Aalders"),
    Scenario("W02", 25, steps=("eigen_kracht", "mantelzorg", "maatwerkvoorziening"), maatwerk=(M01,), client_support_involved=True, name="Bert Bakker"),
    Scenario("W03", 30, steps=("eigen_kracht", "algemene_voorziening"), survey="email", name="Cor Claassen", person={"email": "cor@example.nl"}),
    Scenario("W04", 35, steps=("gebruikelijke_hulp", "maatwerkvoorziening"), maatwerk=(M02,), name="Dina Dijkstra"),
    Scenario("W05", 38, steps=("eigen_kracht", "sociaal_netwerk"), application=True, survey="telefoon", name="Evert Elzinga"),
    Scenario("W06", 40, team="Wijkteam Zuid", steps=("maatwerkvoorziening",), maatwerk=(M02,), personal_plan_received=True, name="Fenna Faber"),
    Scenario("W07", 41, team="Wijkteam Zuid", steps=("eigen_kracht", "maatwerkvoorziening"), maatwerk=(M01P,), application=True, name="Gerrit Groen"),
    Scenario("W08", 50, team="Wijkteam Zuid", steps=("eigen_kracht",), extended_days=20, name="Hilda Hoekstra"),
    Scenario("W09", 55, team="Wijkteam Zuid", steps=("mantelzorg", "maatwerkvoorziening"), maatwerk=(M02,), extended_days=30, name="Ids Jansma"),
    Scenario("W10", 60, team="Wijkteam Zuid", steps=("eigen_kracht", "voorliggende_voorziening"), name="Jan Kooistra"),
    Scenario("W11", 65, team="Wijkteam Zuid", steps=("maatwerkvoorziening", "maatwerkvoorziening"), maatwerk=(M01, Maatwerk("14", "zin", "14H01", budget=2400.0)), client_support_involved=True, name="Klaas Lindeboom"),
    Scenario("W12", 70, steps=("eigen_kracht", "maatwerkvoorziening"), maatwerk=(M01,), survey="post", name="Lies Mulder"),
    Scenario("W13", 75, steps=("algemene_voorziening", "maatwerkvoorziening"), maatwerk=(M02,), name="Marten Nijboer"),
    Scenario("W14", 80, steps=("eigen_kracht", "gebruikelijke_hulp"), personal_plan_received=True, name="Nel Oosterhof"),
    Scenario("W15", 90, steps=("maatwerkvoorziening",), maatwerk=(M02,), survey="post", application=True, name="Otto Postma"),
    Scenario("W16", 22, team="Wijkteam Zuid", steps=("eigen_kracht", "maatwerkvoorziening"), maatwerk=(M01,), name="Piet Reitsma"),
    Scenario("J01", 30, kind="jeugd", team="Jeugdteam", steps=("eigen_mogelijkheden", "individuele_voorziening"), maatwerk=(Maatwerk("45", "zin", "45A10", 2, "04", "2"),), survey="email"),
    Scenario("J02", 45, kind="jeugd", team="Jeugdteam", steps=("sociaal_netwerk",)),
    Scenario("J03", 20, kind="jeugd", team="Jeugdteam", steps=("vrij_toegankelijke_voorziening", "individuele_voorziening"), maatwerk=(Maatwerk("45", "pgb", "45A10", budget=1800.0),)),
    Scenario("U01", 10, signed=False, name="Roos Smit"),
    Scenario("U02", 50, signed=False, name="Sjoerd Talsma", survey="post"),
    Scenario("U03", 60, signed=False, name="Trijn Veenstra"),
    Scenario("U04", 100, signed=False, name="Uilke Wiersma"),
]  # fmt: skip
BY_REFERENCE = {s.reference: s for s in SCENARIOS}


@pytest.fixture(scope="module")
def reported_office(
    tmp_path_factory: pytest.TempPathFactory, forms: FormRegistry
) -> Iterator[SignedOffice]:
    tmp = tmp_path_factory.mktemp("report-office")
    with ExitStack() as stack:
        yield received_office(
            tmp,
            forms,
            stack,
            [s.reference for s in SCENARIOS],
            sign=lambda laptop, refs: [sign(laptop, BY_REFERENCE[r]) for r in refs],
            case=lambda r: case(BY_REFERENCE[r]),
            answer=lambda laptop, r: answer(laptop, BY_REFERENCE[r]),
            products=PRODUCTS,
        )
