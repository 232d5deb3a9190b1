"""Finding services in the sociale kaart: every word, any case or accent, facilities first."""

from __future__ import annotations

from kitchentable.catalogue import find

ENTRIES = [
    {"kind": "gecontracteerde_aanbieder", "product": "Begeleiding", "name": "Zorg Één"},
    {"kind": "algemene_voorziening", "product": "begeleiding", "name": "Buurtkamer",
     "area": "Hoogezand-Sappemeer"},
    {"kind": "algemene_voorziening", "product": "maaltijden", "name": "Tafeltje-dek-je"},
]  # fmt: skip


def test_general_facilities_come_first_then_by_product_and_name() -> None:
    assert [e["name"] for e in find(ENTRIES)] == ["Buurtkamer", "Tafeltje-dek-je", "Zorg Één"]


def test_every_word_must_match_ignoring_case_and_accents() -> None:
    assert [e["name"] for e in find(ENTRIES, "BEGELEIDING een")] == ["Zorg Één"]
    assert [e["name"] for e in find(ENTRIES, "sappemeer begeleiding")] == ["Buurtkamer"]
    assert find(ENTRIES, "zwembad") == []
