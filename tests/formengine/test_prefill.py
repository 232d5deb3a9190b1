"""A form's `prefill`: first answers from the profile and the case, never over an answer."""

from __future__ import annotations

from datetime import date

from kitchentable.formengine.loader import parse_form_text
from kitchentable.formengine.prefill import prefill_sources, prefilled

FORM = parse_form_text(
    """\
id: vooraf
version: "1.0"
kind: wmo
title: {nl: Vooraf, en: Beforehand}
legal_topics: []
sections:
  - id: een
    title: {nl: Een, en: One}
    questions:
      - {id: datum, type: date, label: {nl: D, en: D}, prefill: conversation_date}
      - {id: wie, type: text, label: {nl: W, en: W}, prefill: consultant_and_role}
      - {id: naam, type: text, label: {nl: N, en: N}, prefill: consultant}
      - {id: team, type: text, label: {nl: T, en: T}, prefill: team}
      - id: soort
        type: choice
        label: {nl: S, en: S}
        prefill: case_kind
        options:
          - {value: eerste, label: {nl: Eerste, en: First}}
          - {value: spoed, label: {nl: Spoed, en: Urgent}}
""",
    "vooraf.yaml",
)
DAY = date(2026, 11, 30)


def test_each_source_fills_its_question() -> None:
    sources = prefill_sources(DAY, "Anna de Vries", "Wmo-consulent", "Noord", "spoed")
    assert prefilled(FORM, {}, sources, DAY) == {
        "datum": "2026-11-30",
        "wie": "Anna de Vries, Wmo-consulent",
        "naam": "Anna de Vries",
        "team": "Noord",
        "soort": "spoed",
    }


def test_an_answer_is_never_replaced_and_an_empty_source_fills_nothing() -> None:
    sources = prefill_sources(DAY, "Anna de Vries", "", "", "")
    found = prefilled(FORM, {"naam": "Bert", "datum": "2026-11-01"}, sources, DAY)
    assert found == {"wie": "Anna de Vries"}


def test_a_kind_the_form_does_not_offer_fills_nothing() -> None:
    sources = prefill_sources(DAY, "", "", "", "herindicatie")
    assert "soort" not in prefilled(FORM, {}, sources, DAY)
