"""Sealing is refused while a legal duty is open, the reaction is missing or the place is
empty; each refusal names every item. Allowed once they are met. (API and command line; the
app is in tests/gui_plan.)"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kitchentable.domain.case import CaseStatus
from kitchentable.errors import SealRefused
from kitchentable.services import Profile
from kitchentable.services.plans import SEALED_PLAN
from tests.conftest import PASSPHRASE
from tests.plan.helpers import JEUGD, WMO, cli_env, demo_case, kt, signatures

# (duty question, its date or document question, the topic's label in English)
WMO_DUTIES = [
    ("persoonlijk_plan_gewezen", "persoonlijk_plan_gewezen_datum", "Told about the personal plan"),
    (
        "clientondersteuning_gewezen",
        "clientondersteuning_gewezen_datum",
        "free, independent client support",
    ),
    ("privacy_uitgelegd", "privacy_uitgelegd_datum", "Privacy information given"),
    ("pgb_uitgelegd", "pgb_uitgelegd_datum", "personal budget (pgb)"),
    ("eigen_bijdrage_uitgelegd", "eigen_bijdrage_uitgelegd_datum", "Personal contribution"),
    ("identiteit_vastgesteld", "identiteitsbewijs_soort", "Identity established"),
]
JEUGD_DUTIES = [
    ("fgp_aangeboden", "fgp_aangeboden_datum", "Family group plan offered"),
    ("privacy_uitgelegd", "privacy_uitgelegd_datum", "Privacy information given"),
    ("plan_samen_opgesteld", None, "Plan made with the young person and the parents"),
]


@pytest.fixture
def consultant(profile: Profile) -> Profile:
    profile.update_settings(consultant="Anja de Consulent", language="en")
    return profile


def seal(profile: Profile, reference: str, agrees: bool | None = True, place: str = "Hoogezand"):
    absent = {"parent-2": "Lives in Assen; gets the plan by post."} if reference == JEUGD else None
    return profile.plans.seal(
        reference, agrees, "", place, signatures(profile, reference, absent=absent)
    )


def refused(profile: Profile, reference: str, **kw: object) -> list[str]:
    with pytest.raises(SealRefused) as caught:
        seal(profile, reference, **kw)  # type: ignore[arg-type]
    case = profile.case(reference)
    assert case.status != CaseStatus.SIGNED
    assert not [d for d in profile.repo.documents(case.id) if d["kind"] == SEALED_PLAN]
    assert profile.outbox.count() == 0
    return [b.text for b in caught.value.blockers]


@pytest.mark.parametrize(("duty", "done", "topic"), WMO_DUTIES, ids=[d[0] for d in WMO_DUTIES])
def test_nee_on_a_wmo_duty_refuses_sealing_even_with_its_reason(
    consultant: Profile, duty: str, done: str, topic: str
) -> None:
    consultant.import_cases(demo_case(WMO, {duty: False, done: None}))
    texts = refused(consultant, WMO)
    assert any((topic in t and "Wmo 2015" in t) or (topic in t and "AVG" in t) for t in texts), (
        texts
    )
    # A reason is recorded for the file, but the duty is still not done: the topic's met_if
    # keeps it open, so a plan in which the inhabitant was not told is never sealed.
    reason = next(
        q.id
        for q in consultant.open_conversation(WMO).form.questions()
        if q.visible_if is not None and f"{duty} == False" in q.visible_if.source
    )
    consultant.save_answer(
        consultant.open_conversation(WMO), reason, "Komt bij het volgende bezoek."
    )
    assert any(topic in t for t in refused(consultant, WMO))
    # Done at the next visit: yes and the date (or the document), and the plan seals.
    conversation = consultant.open_conversation(WMO)
    consultant.save_answer(conversation, duty, True)
    done_question = conversation.form.question(done)
    assert done_question is not None
    value = "paspoort" if done_question.options else date.today().isoformat()
    consultant.save_answer(consultant.open_conversation(WMO), done, value)
    seal(consultant, WMO)
    assert consultant.case(WMO).status == CaseStatus.SIGNED


@pytest.mark.parametrize(("duty", "done", "topic"), WMO_DUTIES, ids=[d[0] for d in WMO_DUTIES])
def test_ja_without_its_date_or_document_refuses_sealing(
    consultant: Profile, duty: str, done: str, topic: str
) -> None:
    consultant.import_cases(demo_case(WMO, {done: None}))
    assert any(topic in t for t in refused(consultant, WMO))


@pytest.mark.parametrize(("duty", "done", "topic"), JEUGD_DUTIES, ids=[d[0] for d in JEUGD_DUTIES])
def test_nee_on_a_jeugd_duty_refuses_sealing(
    consultant: Profile, duty: str, done: str | None, topic: str
) -> None:
    changes: dict[str, object] = {duty: False}
    if done:
        changes[done] = None
    if duty == "fgp_aangeboden":
        changes.update(fgp_wens=None, fgp_reden_niet=None)
    consultant.import_cases(demo_case(JEUGD, changes))
    assert any(topic in t for t in refused(consultant, JEUGD))


def test_no_reaction_and_no_place_are_named_each_and_the_plan_seals_once_given(
    consultant: Profile,
) -> None:
    consultant.import_cases(demo_case(WMO))
    texts = refused(consultant, WMO, agrees=None, place="")
    assert texts == [
        "Record the inhabitant's reaction: do they agree with the report or not?",
        "Fill in the place of signing.",
    ]
    assert refused(consultant, WMO, place="") == ["Fill in the place of signing."]
    seal(consultant, WMO)
    case = consultant.case(WMO)
    assert case.status == CaseStatus.SIGNED and consultant.outbox.count() == 1


def test_a_consent_for_a_13_year_old_by_the_parents_alone_is_refused(
    consultant: Profile,
) -> None:
    consultant.import_cases(
        demo_case(JEUGD, {"geboortedatum_jeugdige": "2013-01-15", "toestemming_jeugdige": None})
    )
    texts = refused(consultant, JEUGD)
    consent = [t for t in texts if t.startswith("Consent for")]
    assert len(consent) == 3 and all("young person of 13" in t for t in consent), texts
    assert all("Missing: Daan Visser" in t for t in consent)
    conversation = consultant.open_conversation(JEUGD)
    consultant.save_answer(
        conversation, "toestemming_jeugdige", ["delen_betrokkenen", "delen_aanbieder", "opvragen"]
    )
    consultant.save_answer(conversation, "toestemming_jeugdige_datum", "2026-11-24")
    seal(consultant, JEUGD)
    assert consultant.case(JEUGD).status == CaseStatus.SIGNED


def test_a_parent_with_gezag_who_was_not_asked_makes_a_consent_incomplete(
    consultant: Profile,
) -> None:
    document = demo_case(JEUGD)
    father = document["cases"][0]["answers"]["gezinsleden"][1]
    del father["gezinslid_toestemming"], father["gezinslid_toestemming_datum"]
    consultant.import_cases(document)
    texts = refused(consultant, JEUGD)
    assert sum("Missing: Erik de Boer" in t for t in texts) == 3, texts


def test_under_12_the_parents_decide_and_from_16_the_young_person(consultant: Profile) -> None:
    eleven = demo_case(
        JEUGD, {"geboortedatum_jeugdige": "2015-06-01", "toestemming_jeugdige": None}
    )
    consultant.import_cases(eleven)
    seal(consultant, JEUGD)  # the parents' consent suffices
    assert consultant.case(JEUGD).status == CaseStatus.SIGNED


def test_a_parent_may_be_absent_with_a_reason_but_the_consultant_must_sign(
    consultant: Profile,
) -> None:
    consultant.import_cases(demo_case(JEUGD))
    plan = consultant.plans.up_to_date(JEUGD)
    assert [(s.key, s.role.value, s.name) for s in plan.required_signers] == [
        ("youth", "youth", "Daan Visser"),
        ("parent-1", "parent", "Sandra Visser"),
        ("parent-2", "parent", "Erik de Boer"),
        ("consultant", "consultant", ""),
    ]
    no_reason = signatures(consultant, JEUGD, absent={"parent-2": " "})
    with pytest.raises(SealRefused, match="Erik de Boer: sign, or give the reason"):
        consultant.plans.seal(JEUGD, True, "", "Hoogezand", no_reason)
    consultant_away = signatures(consultant, JEUGD, absent={"consultant": "elsewhere"})
    with pytest.raises(SealRefused, match="must sign"):
        consultant.plans.seal(JEUGD, True, "", "Hoogezand", consultant_away)
    seal(consultant, JEUGD)
    signed = consultant.plans.current(JEUGD)
    assert signed is not None and signed.fully_signed
    assert signed.signature("parent-2").absent_reason.startswith("Lives in Assen")


# -- the command line ----------------------------------------------------------------------
def test_the_command_line_refuses_to_sign_with_every_reason_then_signs(
    consultant: Profile, profile_path: Path, tmp_path: Path
) -> None:
    consultant.import_cases(demo_case(WMO, {"clientondersteuning_gewezen": False}))
    consultant.close()
    env = cli_env(profile_path)
    status = kt(env, "plan", WMO)
    assert status.returncode == 1
    assert "free, independent client support (Wmo 2015 art. 2.3.2 lid 3)" in status.stdout
    listed = json.loads(kt(env, "plan", WMO, "--json").stdout)
    assert [s["key"] for s in listed["signers"]] == ["inhabitant", "consultant"]
    stroke = [[[0.1, 0.5, 0.4], [0.6, 0.4, 0.6], [0.9, 0.6, 0.5]]]
    file = tmp_path / "signing.json"
    file.write_text(
        json.dumps(
            {
                "reaction": {"agrees": None, "remarks": ""},
                "place": "",
                "signatures": [
                    {
                        "signer": "inhabitant",
                        "role": "inhabitant",
                        "name": "G. Bakker",
                        "strokes": stroke,
                    },
                    {
                        "signer": "consultant",
                        "role": "consultant",
                        "name": "Anja",
                        "strokes": stroke,
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    refusal = kt(env, "sign", WMO, str(file))
    assert refusal.returncode == 1
    for sentence in (
        "free, independent client support",
        "Record the inhabitant's reaction",
        "Fill in the place of signing.",
    ):
        assert sentence in refusal.stderr, refusal.stderr
    with Profile.unlock(profile_path, PASSPHRASE) as again:
        conversation = again.open_conversation(WMO)
        again.save_answer(conversation, "clientondersteuning_gewezen", True)
        assert again.case(WMO).status != CaseStatus.SIGNED
    data = json.loads(file.read_text(encoding="utf-8"))
    data.update(reaction={"agrees": True, "remarks": ""}, place="Hoogezand")
    file.write_text(json.dumps(data), encoding="utf-8")
    left = kt(env, "plan", WMO).stdout  # the reaction and place come with the signing file
    assert "client support" not in left and "Fill in the place of signing." in left
    signed = kt(env, "sign", WMO, str(file))
    assert signed.returncode == 0, signed.stderr
    with Profile.unlock(profile_path, PASSPHRASE) as check:
        assert check.case(WMO).status == CaseStatus.SIGNED


def test_a_signing_file_with_a_broken_signature_signs_nothing(
    consultant: Profile, profile_path: Path, tmp_path: Path
) -> None:
    consultant.import_cases(demo_case(WMO))
    consultant.close()
    env = cli_env(profile_path)
    file = tmp_path / "bad.json"
    file.write_text(
        json.dumps({"reaction": {"agrees": True}, "place": "X", "signatures": [{"role": "mayor"}]}),
        encoding="utf-8",
    )
    result = kt(env, "sign", WMO, str(file))
    assert result.returncode == 1 and "signatures[0]" in result.stderr
    with Profile.unlock(profile_path, PASSPHRASE) as check:
        assert check.case(WMO).status != CaseStatus.SIGNED


@pytest.mark.parametrize(
    ("reference", "changes", "message"),
    [
        (
            WMO,
            {"eigen_bijdrage_besproken": False},
            "Customised support is needed: give an indication of the personal contribution",
        ),
        (
            WMO,
            {
                "vertegenwoordiger": True,
                "vertegenwoordiger_naam": "J. de Bewindvoerder",
                "vertegenwoordiger_grondslag": "bewindvoerder",
                "inwoner_aanwezig": False,
            },
            "A financial administrator represents only in money matters.",
        ),
        (
            JEUGD,
            {"toestemming_doelen": ["niet_nodig", "delen_aanbieder"]},
            "‘Nothing’ cannot go together with a purpose consent was asked for.",
        ),
    ],
    ids=["eigen_bijdrage_bij_maatwerk", "bewindvoerder_alleen_geld", "niets_delen_alleen"],
)
def test_a_rule_across_answers_refuses_sealing_with_its_message(
    consultant: Profile, reference: str, changes: dict[str, object], message: str
) -> None:
    consultant.import_cases(demo_case(reference, changes))
    assert any(message in t for t in refused(consultant, reference))
