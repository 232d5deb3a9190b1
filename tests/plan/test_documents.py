"""The plan PDF as its two audiences read it (pdftotext on real PDFs): a letter-like main text
for the inhabitant or the family, an annex Verantwoording for the file, and nothing from the
file only."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from kitchentable.formengine.model import Form, PrintTarget, Question, QuestionType
from kitchentable.render.values import format_date
from kitchentable.services import Profile
from tests.plan.helpers import JEUGD, WMO, demo_case, flat, pdf_text, signatures

ANNEX = "Bijlage: Verantwoording"


@pytest.fixture
def dutch(profile: Profile) -> Profile:
    profile.update_settings(consultant="Anja de Consulent", language="nl")
    return profile


def seal(profile: Profile, reference: str, remarks: str = "") -> bytes:
    absent = (
        {"parent-2": "Woont in Assen; krijgt het plan per post."} if reference == JEUGD else None
    )
    profile.plans.seal(
        reference, True, remarks, "Hoogezand", signatures(profile, reference, absent=absent)
    )
    pdf, sealed = profile.plans.pdf(reference)
    assert sealed
    return pdf


def split(text: str) -> tuple[str, str]:
    main, _sep, annex = flat(text).partition(ANNEX)
    assert annex, "no annex"
    return main, annex


def file_only_texts(form: Form, answers: dict[str, object]) -> list[str]:
    """What the answers marked `print: file` would read like if printed: free text as typed,
    option labels and scale levels in Dutch."""

    def readable(question: Question, value: object) -> list[str]:
        if question.type in (QuestionType.TEXT, QuestionType.LONGTEXT) and isinstance(value, str):
            return [value]
        if question.type == QuestionType.SCALE and isinstance(value, int):
            return [question.levels[value - 1].nl]
        values = value if isinstance(value, list) else [value]
        return [o.label.nl for v in values if (o := question.option(str(v))) is not None]

    found: list[str] = []
    for question in form.questions():
        value = answers.get(question.id)
        if question.print_target == PrintTarget.FILE and value is not None:
            found += readable(question, value)
    return [f for f in found if len(f) > 6]


@pytest.mark.parametrize("reference", [WMO, JEUGD])
def test_no_file_only_answer_reaches_any_pdf_text(
    dutch: Profile, tmp_path: Path, reference: str
) -> None:
    document = demo_case(reference)
    dutch.import_cases(document)
    form = dutch.open_conversation(reference).form
    hidden = file_only_texts(form, document["cases"][0]["answers"])
    if reference == WMO:
        assert "De zorg weegt zwaar: de mantelzorger heeft zelf klachten" in hidden[0]
    else:
        assert any("stoel gooide" in h for h in hidden) and len(hidden) >= 5
    draft = flat(pdf_text(dutch.plans.pdf(reference)[0], tmp_path, "draft.pdf"))
    sealed = flat(pdf_text(seal(dutch, reference), tmp_path, "sealed.pdf"))
    for text in (draft, sealed):
        for answer in hidden:
            assert flat(answer) not in text, answer
        for word in ("Afweging 1", "Meldcode stap", "Veilig Thuis", "met een stoel"):
            assert word not in text, word


def test_the_wmo_plan_is_a_letter_with_an_annex_for_the_file(
    dutch: Profile, tmp_path: Path
) -> None:
    dutch.import_cases(demo_case(WMO))
    main, annex = split(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path))
    headings = [
        "Over dit verslag",
        "Uw vraag",
        "Uw situatie",
        "Wat u zelf en de mensen om u heen doen",
        "Wat er nodig is",
        "Afspraken",
        "Wat gebeurt er nu",
        "Uw reactie en handtekeningen",
    ]
    positions = [main.index(h) for h in headings]
    assert positions == sorted(positions)
    # Per result in words; maatwerk as advice, never as "opgelost door".
    assert "Wij adviseren hulp van de gemeente: hulp bij het huishouden." in main
    # The coded advice (category, volume, unit, frequency, dates) in words; codes in the annex.
    assert "Hoeveel 2,5 uur per week" in main
    assert "Hoe lang Van 7 december 2026 tot en met 6 december 2027" in main
    assert "De hulp Het zware huishoudelijke werk" in main and "WMO020" not in main
    assert "Hulp bij het huishouden (01, WMO020)" in annex and "Uur (04, WJ756)" in annex
    # What the inhabitant agreed to about the cliëntervaringsonderzoek, in the main text.
    agreed = main[main.index("Mogen wij u later vragen naar") :]  # a table: cells by line
    assert agreed.index("ja") < agreed.index("Hoe wij u dat vragen")
    assert "Hoe wij u dat vragen Per post, op het woonadres" in main
    assert "Opgelost door" not in main and "Maatwerkvoorziening" not in main.split("Dat heet")[0]
    assert "Bereikt met" in annex and "Maatwerkvoorziening" in annex
    # Terms explained where they are first used.
    for term in ("Zvw", "Wlz", "CAK", "zorg in natura"):
        assert f"Wat betekent {term}?" in main, term
    # Free client support with the municipality's contact (branding), the evaluation, the
    # cliëntervaringsonderzoek.
    assert "Cliëntondersteuning Voorbeeldrecht (MEE), 0598 700 700" in main
    assert "Op 1 juni 2027 kijken we samen" in main and "cliëntervaringsonderzoek" in main
    # The procedure, the weighing per step and the articles are in the annex only.
    for legal in ("Wettelijke onderwerpen", "Waarom niet: Mantelzorg", "Wmo 2015 art. 2.3.2"):
        assert legal in annex and legal not in main
    assert "Mevrouw mag de komende maanden niet bukken en tillen." in annex


def test_a_reaction_not_given_is_never_printed_as_geen(dutch: Profile, tmp_path: Path) -> None:
    dutch.import_cases(demo_case(WMO))
    main, _annex = split(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path, "draft.pdf"))
    reaction = main[main.index("Uw reactie en handtekeningen") :]
    assert "Bent u het eens met dit verslag? ☐ Ja ☐ Nee" in reaction
    assert "Uw opmerkingen of aanvullingen:" in reaction and "geen" not in reaction
    main, _annex = split(pdf_text(seal(dutch, WMO), tmp_path, "sealed.pdf"))
    reaction = main[main.index("Uw reactie en handtekeningen") :]
    assert "U bent het eens met dit verslag." in reaction
    assert "geen" not in reaction and "☐" not in reaction
    assert "Naam: Geertruida (Truus) Bakker-Huizinga" in reaction


def test_sealed_remarks_are_printed_with_the_signatures(dutch: Profile, tmp_path: Path) -> None:
    dutch.import_cases(demo_case(WMO))
    main, _annex = split(pdf_text(seal(dutch, WMO, "Graag ook hulp bij de tuin."), tmp_path))
    reaction = main[main.index("Uw reactie en handtekeningen") :]
    assert reaction.index("Graag ook hulp bij de tuin.") < reaction.index("Naam: Anja de Consulent")


def test_the_two_week_decision_term_appears_only_with_an_aanvraag(
    dutch: Profile, tmp_path: Path
) -> None:
    dutch.import_cases(demo_case(WMO, {"aanvraag": False}))
    text = flat(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path, "no.pdf"))
    assert "twee weken" not in text and "2.3.5 lid 2" not in text
    assert "Daarvoor doet u een aanvraag." in text  # the right to apply is still told
    conversation = dutch.open_conversation(WMO)
    dutch.save_answer(conversation, "aanvraag", True)
    draft = flat(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path, "draft.pdf"))
    assert "De gemeente beslist binnen twee weken na uw aanvraag." in draft
    sealed = flat(pdf_text(seal(dutch, WMO), tmp_path, "sealed.pdf"))
    today = date.today()
    applied, decided = (
        " ".join(format_date(d.isoformat()).split()) for d in (today, today + timedelta(days=14))
    )
    assert f"U heeft de aanvraag gedaan op {applied}" in sealed
    assert f"U krijgt het uiterlijk {decided} per post." in sealed
    plan = dutch.plans.current(WMO)
    assert plan is not None and plan.application_date == today.isoformat()


def test_the_inhabitant_may_apply_against_the_advice(dutch: Profile, tmp_path: Path) -> None:
    document = demo_case(WMO)
    results = document["cases"][0]["answers"]["resultaten"]
    document["cases"][0]["answers"]["resultaten"] = results[1:]  # no maatwerk advised
    dutch.import_cases(document)
    conversation = dutch.open_conversation(WMO)
    assert conversation.state.value("maatwerk_nodig") is False
    question = conversation.form.question("aanvraag_wat")
    assert question is not None and conversation.state.visible(question)
    dutch.save_answer(conversation, "aanvraag_wat", "Hulp bij het huishouden, twee uur per week.")
    text = flat(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path))
    assert "U vraagt hulp van de gemeente aan, ook al adviseren wij iets anders." in text
    assert "Wat u aanvraagt Hulp bij het huishouden, twee uur per week." in text
    assert "De gemeente beslist binnen twee weken na uw aanvraag." in text


def test_a_gezinsplan_is_its_own_document(dutch: Profile, tmp_path: Path) -> None:
    dutch.update_settings(role="Wmo-consulent", consultant_role="wmo")
    dutch.import_cases(demo_case(JEUGD))
    main, annex = split(pdf_text(seal(dutch, JEUGD), tmp_path))
    assert main.startswith("Postbus") or "Gezinsplan" in main[:400]
    assert "Gezinsplan" in main and "Verslag en ondersteuningsplan" not in main + annex
    for heading in ("Jullie vraag", "Jullie gezin", "Doelen en wat er nodig is", "Jullie reactie"):
        assert heading in main, heading
    assert "Wmo-consulent" not in main + annex and "Rol: Jeugdconsulent" in main
    signing = main[main.index("Jullie reactie en handtekeningen") :]
    for block in (
        "Naam: Daan Visser",
        "Naam: Sandra Visser",
        "Naam: Erik de Boer",
        "Niet bij het tekenen: Woont in Assen; krijgt het plan",
        "Naam: Anja de Consulent",
    ):
        assert block in signing, block
    assert signing.count("Ouder met gezag") == 2 and "Jeugdige" in signing
    assert signing.count("Plaats en datum: Hoogezand") == 3  # the absent father has none
    assert "Wij adviseren jeugdhulp: jeugdhulp ambulant." in main
    assert "Hoeveel 2 uur per week" in main and "Hoe lang Van 7 december 2026 tot en met" in main
    assert "Jeugdhulp ambulant (45, JZ020)" in annex
    assert "Wie we dat vragen Sandra Visser" in main
    # The Jeugdwet weighing, printed like the Wmo pyramid.
    assert "Afweging per doel (volgorde van Jeugdwet art. 2.3 en 1.1)" in annex
    # (pdftotext reads a table row's two cells line by line: check the parts)
    assert "Waarom niet: Eigen" in annex and "probleemoplossend vermogen van het gezin" in annex
    assert "Waarom niet: Zorgverzekeringswet" in annex
    assert (
        "Geldig (Jeugdwet art. 7.3.4)" in annex
        and "Daan Visser, Sandra Visser, Erik de Boer" in annex
    )
    assert "twee weken" not in main + annex


def test_an_overrun_is_shown_and_an_agreed_extension_moves_the_term(
    dutch: Profile, tmp_path: Path
) -> None:
    document = demo_case(WMO)
    document["cases"][0]["melding_date"] = (date.today() - timedelta(days=60)).isoformat()
    dutch.import_cases(document)
    text = flat(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path, "late.pdf"))
    assert "18 dagen te laat" in text and "duurde 18 dagen langer" in text
    assert "18 dagen overschreden" in text  # the annex
    [summary] = dutch.case_summaries()
    assert summary.days_left() == -18  # the case list's "18 overdue"
    conversation = dutch.open_conversation(WMO)
    until = (date.today() + timedelta(days=10)).isoformat()
    dutch.save_answer(conversation, "termijn_verlengd", True)
    dutch.save_answer(conversation, "termijn_verlengd_tot", until)
    dutch.save_answer(conversation, "termijn_verlenging_reden", "Mevrouw lag in het ziekenhuis.")
    [summary] = dutch.case_summaries()
    assert summary.deadline.isoformat() == until and summary.days_left() == 10
    assert dutch.case(WMO).deadline.isoformat() == until
    text = flat(pdf_text(dutch.plans.pdf(WMO)[0], tmp_path, "extended.pdf"))
    assert "(verlengd in overleg)" in text and "te laat" not in text
    assert "Mevrouw lag in het ziekenhuis." in text.partition(ANNEX)[2]
    dutch.save_answer(dutch.open_conversation(WMO), "termijn_verlengd", False)
    assert dutch.case_summaries()[0].days_left() == -18  # withdrawn: six weeks again
