"""Conversations on the shipped Wmo and Jeugd forms with known answers, for the tests of the
coded advice, the product list and the monitoring report.

A `Scenario` says what one case is: when the melding came, which team, the pyramid step of
each result (with the category, leveringsvorm and product of each maatwerk), the checks
(client support involved, a personal plan received), an application, an agreed extension,
consent for the cliëntervaringsonderzoek and whether the plan gets signed. `case` makes the
import document, `answer` fills the conversation like a consultant at the table (starting
from the realistic demo cases, which pass every legal topic), `sign` signs what is to be signed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kitchentable.demo import demo_document
from kitchentable.services import Profile
from tests.plan.helpers import signatures

TODAY = date.today()
WMO_STEPS = (
    "eigen_kracht",
    "gebruikelijke_hulp",
    "mantelzorg",
    "sociaal_netwerk",
    "algemene_voorziening",
    "voorliggende_voorziening",
    "maatwerkvoorziening",
)
JEUGD_STEPS = (
    "eigen_mogelijkheden",
    "gebruikelijke_hulp",
    "sociaal_netwerk",
    "vrij_toegankelijke_voorziening",
    "zvw_wlz",
    "individuele_voorziening",
)
# The municipality's product list as an office publishes it (kitchentable-office products).
PRODUCTS = [
    {"code": "01A01", "name": "Huishoudelijke ondersteuning basis", "category": "01", "unit": "04", "provider": "Thuiszorg Noord", "tariff": 31.5},
    {"code": "01A02", "name": "Huishoudelijke ondersteuning plus", "category": "01", "unit": "04"},
    {"code": "02A05", "name": "Begeleiding individueel", "category": "02", "unit": "04"},
    {"code": "07B01", "name": "Dagbesteding ouderen", "category": "07", "unit": "16"},
    {"code": "14H01", "name": "Scootmobiel", "category": "14", "unit": "82"},
    {"code": "45A10", "name": "Ambulante jeugdhulp", "category": "45", "unit": "04"},
]  # fmt: skip


@dataclass(frozen=True)
class Maatwerk:
    """The coded advice of one maatwerk result."""

    category: str = "01"
    delivery: str = "zin"
    product: str | None = "01A01"
    volume: float | None = 2.5
    unit: str = "04"
    frequency: str = "2"
    budget: float | None = None  # instead of volume, unit and frequency


@dataclass(frozen=True)
class Scenario:
    reference: str
    melding_days_ago: int = 20
    kind: str = "wmo"
    team: str = "Wijkteam Noord"
    steps: tuple[str, ...] = ("eigen_kracht",)  # one result per step
    maatwerk: tuple[Maatwerk, ...] = ()  # one per maatwerk result, in order
    client_support_involved: bool = False
    personal_plan_received: bool = False
    application: bool = False
    extended_days: int | None = None  # an agreed extension: the term ends this many days on
    survey: str | None = None  # the contact channel consented to: post | email | telefoon
    signed: bool = True
    name: str = ""
    bsn: str = ""
    person: dict[str, Any] = field(default_factory=dict)

    @property
    def melding_date(self) -> date:
        return TODAY - timedelta(days=self.melding_days_ago)


def _demo(reference: str) -> dict[str, Any]:
    return copy.deepcopy(next(c for c in demo_document()["cases"] if c["external_id"] == reference))


def case(scenario: Scenario) -> dict[str, Any]:
    """The import document of one case (the answers follow with `answer`)."""
    document = _demo("M-2026-0412" if scenario.kind == "wmo" else "J-2026-0007")
    document.pop("answers")
    document["external_id"] = scenario.reference
    document["melding_date"] = scenario.melding_date.isoformat()
    person = dict(document["person"])
    if scenario.name:
        person["name"] = scenario.name
    if scenario.bsn:
        person["bsn"] = scenario.bsn
    person.update(scenario.person)
    document["person"] = person
    return document


def answers(scenario: Scenario) -> dict[str, Any]:
    """The conversation's answers, from the demo case with this scenario's choices."""
    base = _demo("M-2026-0412" if scenario.kind == "wmo" else "J-2026-0007")["answers"]
    base["team"] = scenario.team
    base["gespreksdatum"] = (scenario.melding_date + timedelta(days=5)).isoformat()
    for key in [k for k in base if k.startswith("ervaringsonderzoek")]:
        del base[key]
    if scenario.survey:
        base["ervaringsonderzoek"] = True
        base["ervaringsonderzoek_kanaal"] = scenario.survey
        if scenario.survey == "email":
            base["ervaringsonderzoek_email"] = f"{scenario.reference.lower()}@example.nl"
        if scenario.survey == "telefoon":
            base["ervaringsonderzoek_telefoon"] = "06 12345678"
        if scenario.kind == "jeugd":
            base["ervaringsonderzoek_naam"] = "Sandra Visser"
    else:
        base["ervaringsonderzoek"] = False
    if scenario.extended_days is not None:
        base["termijn_verlengd"] = True
        base["termijn_verlengd_tot"] = (
            scenario.melding_date + timedelta(weeks=6, days=scenario.extended_days)
        ).isoformat()
        base["termijn_verlenging_reden"] = "De inwoner wilde eerst met de familie overleggen."
    if scenario.kind == "jeugd":
        base["doelen"] = [_goal(i, step, scenario) for i, step in enumerate(scenario.steps)]
        return base
    base["clientondersteuner_betrokken"] = scenario.client_support_involved
    if scenario.client_support_involved:
        base["clientondersteuner_naam"] = "Els Mulder (MEE)"
    base["persoonlijk_plan_ontvangen"] = scenario.personal_plan_received
    if scenario.personal_plan_received:
        base["persoonlijk_plan_samenvatting"] = "Mevrouw schreef zelf wat ze wil: thuis blijven."
    base["resultaten"] = [_result(i, step, scenario) for i, step in enumerate(scenario.steps)]
    base["aanvraag"] = scenario.application
    if scenario.application and "maatwerkvoorziening" not in scenario.steps:
        base["aanvraag_wat"] = "Hulp bij het huishouden."
    return base


def _maatwerk_for(scenario: Scenario, index: int, steps: tuple[str, ...], last: str) -> Maatwerk:
    number = sum(1 for s in steps[:index] if s == last)
    return scenario.maatwerk[number] if number < len(scenario.maatwerk) else Maatwerk()


def _result(index: int, step: str, scenario: Scenario) -> dict[str, Any]:
    result: dict[str, Any] = {
        "resultaat": f"Resultaat {index + 1} van {scenario.reference}",
        "resultaat_leefgebied": "huishouden",
        "oplossing": step,
        "wie_doet_wat": "Zoals afgesproken.",
    }
    for earlier in WMO_STEPS[: WMO_STEPS.index(step)]:
        result[f"waarom_niet_{earlier}"] = f"Volstaat niet ({earlier})."
    if step == "maatwerkvoorziening":
        coded = _maatwerk_for(scenario, index, scenario.steps, step)
        start = scenario.melding_date + timedelta(days=30)
        result.update(
            {
                "resultaat_startdatum": start.isoformat(),
                "maatwerk_categorie": coded.category,
                "maatwerk_omschrijving": "Zwaar huishoudelijk werk",
                "maatwerk_einddatum": (start + timedelta(days=364)).isoformat(),
                "leveringsvorm": coded.delivery,
                "leveringsvorm_reden": "De inwoner wil de hulp zelf regelen.",
            }
        )
        result.update(_amount("maatwerk", coded))
        if coded.product:
            result["maatwerk_product"] = coded.product
        if coded.delivery == "pgb":
            result["pgb_budgetplan"] = True
            result["pgb_beheer"] = True
    return result


def _goal(index: int, step: str, scenario: Scenario) -> dict[str, Any]:
    goal: dict[str, Any] = {
        "doel": f"Doel {index + 1} van {scenario.reference}",
        "doel_voor_wie": "Daan",
        "doel_leefgebied": "gezondheid",
        "doel_acties": "Zoals afgesproken.",
        "oplossing": step,
    }
    for earlier in JEUGD_STEPS[: JEUGD_STEPS.index(step)]:
        goal[f"waarom_niet_{earlier}"] = f"Volstaat niet ({earlier})."
    if step == "individuele_voorziening":
        coded = _maatwerk_for(scenario, index, scenario.steps, step)
        start = scenario.melding_date + timedelta(days=30)
        goal.update(
            {
                "jeugdhulp_categorie": coded.category,
                "jeugdhulp_soort": "Gesprekken met Daan",
                "jeugdhulp_ingangsdatum": start.isoformat(),
                "jeugdhulp_einddatum": (start + timedelta(days=180)).isoformat(),
                "jeugdhulp_leveringsvorm": coded.delivery,
                "jeugdhulp_leveringsvorm_reden": "Het gezin wil de hulp zelf regelen.",
            }
        )
        goal.update(_amount("jeugdhulp", coded))
        if coded.product:
            goal["jeugdhulp_product"] = coded.product
    return goal


def _amount(prefix: str, coded: Maatwerk) -> dict[str, Any]:
    if coded.budget is not None:
        return {f"{prefix}_omvang_of_budget": "budget", f"{prefix}_budget": coded.budget}
    return {
        f"{prefix}_omvang_of_budget": "omvang",
        f"{prefix}_volume": coded.volume,
        f"{prefix}_eenheid": coded.unit,
        f"{prefix}_frequentie": coded.frequency,
    }


def answer(profile: Profile, scenario: Scenario) -> None:
    conversation = profile.open_conversation(scenario.reference)
    for question_id, value in answers(scenario).items():
        profile.save_answer(conversation, question_id, value)
    state = profile.open_conversation(scenario.reference).state
    if scenario.signed:
        assert state.errors() == {} and state.open_topics() == [], (
            scenario.reference,
            state.errors(),
            [t.id for t in state.open_topics()],
        )


def sign(profile: Profile, scenario: Scenario) -> None:
    if not scenario.signed:
        return
    profile.plans.set_reaction(scenario.reference, True, "", place="Hoogezand")
    for signature in signatures(profile, scenario.reference):
        profile.plans.sign(scenario.reference, signature)
