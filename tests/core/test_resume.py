"""Opening a conversation in the app: first answers filled in once, and the position kept
sealed per case (services.conversations, storage.positions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kitchentable.config import Settings
from kitchentable.formengine.loader import FormRegistry, parse_form_text
from kitchentable.services import Profile
from kitchentable.services.conversations import remember_position, resume_conversation
from kitchentable.storage.positions import Positions
from tests.conftest import PASSPHRASE

FORM = """\
id: hervat
version: "1.0"
kind: wmo
title: {nl: Hervat, en: Resume}
legal_topics: []
sections:
  - id: begin
    title: {nl: Begin, en: Start}
    questions:
      - {id: gespreksdatum, type: date, label: {nl: D, en: D}, prefill: conversation_date}
      - {id: consulent, type: text, label: {nl: C, en: C}, prefill: consultant_and_role}
      - {id: team, type: text, label: {nl: T, en: T}, prefill: team}
      - id: soort_gesprek
        type: choice
        label: {nl: S, en: S}
        prefill: case_kind
        options:
          - {value: eerste, label: {nl: Eerste, en: First}}
          - {value: herindicatie, label: {nl: Herindicatie, en: Review}}
  - id: verder
    title: {nl: Verder, en: Further}
    questions:
      - {id: mantelzorger_naam, type: text, label: {nl: M, en: M}}
"""
DAY = date(2026, 11, 30)


@pytest.fixture
def vault(tmp_path: Path, forms: FormRegistry) -> Profile:
    registry = FormRegistry(forms.all())
    registry.add(parse_form_text(FORM, "hervat.yaml"))
    settings = Settings(consultant="Anna de Vries", role="Wmo-consulent", team="")
    profile = Profile.create(tmp_path / "p", PASSPHRASE, settings=settings, forms=registry)
    profile.import_cases(
        {
            "cases": [
                {
                    "external_id": "M-1",
                    "melding_date": "2026-11-02",
                    "kind": "herindicatie",
                    "form": "hervat",
                    "person": {"name": "Geertruida Bakker"},
                    "answers": {"consulent": "Bert Mulder"},
                },
                {
                    "external_id": "M-2",
                    "melding_date": "2026-11-02",
                    "form": "hervat",
                    "person": {"name": "Hendrik Zuidema"},
                },
            ]
        }
    )
    yield profile
    profile.close()


def _stored(profile: Profile, reference: str) -> dict[str, object]:
    return dict(profile.open_conversation(reference).state.answers)


def test_first_opening_fills_in_date_and_kind_but_never_over_an_answer(vault: Profile) -> None:
    resumed = resume_conversation(vault, "M-1", today=DAY)
    assert resumed.position == {}
    assert _stored(vault, "M-1") == {
        "gespreksdatum": "2026-11-30",
        "soort_gesprek": "herindicatie",
        "consulent": "Bert Mulder",  # the office's answer stays; no team in the profile
    }


def test_only_the_first_opening_fills_in(vault: Profile) -> None:
    conversation = resume_conversation(vault, "M-2", today=DAY).conversation
    assert _stored(vault, "M-2")["consulent"] == "Anna de Vries, Wmo-consulent"
    assert "soort_gesprek" not in _stored(vault, "M-2")  # the office gave no kind
    vault.save_answer(conversation, "consulent", None)
    resume_conversation(vault, "M-2", today=date(2026, 12, 1))
    assert "consulent" not in _stored(vault, "M-2")
    assert _stored(vault, "M-2")["gespreksdatum"] == "2026-11-30"


def test_the_cli_opening_a_conversation_fills_in_nothing(vault: Profile) -> None:
    assert _stored(vault, "M-2") == {}


def test_the_position_is_kept_sealed_and_goes_with_the_case(vault: Profile) -> None:
    case_id = vault.case("M-1").id
    resume_conversation(vault, "M-1", today=DAY)
    where = {
        "case_id": case_id,
        "section_id": "verder",
        "question_id": "mantelzorger_naam",
        "focus": {"text": "Piet", "cursor": 4},
        "scroll": 120,
    }
    remember_position(vault, case_id, where)
    assert resume_conversation(vault, "M-1").position == {
        "section_id": "verder",
        "question_id": "mantelzorger_naam",
    }
    (sealed,) = vault.db.execute("SELECT data FROM positions").fetchone()
    assert b"mantelzorger" not in bytes(sealed) and b"verder" not in bytes(sealed)
    with vault.db.atomic():
        vault.repo.delete_case(case_id)
    assert Positions(vault.db, vault.keys).get(case_id) is None
