"""Builders shared by the core tests: import documents with recognisable markers."""

from __future__ import annotations

from typing import Any

MARKERS = {
    "name": "Zwaantje Markeerstra",
    "bsn": "999990019",
    "street": "Kwartelpad 77",
    "city": "Markeerdam",
    "answer": "wil graag zelf naar de weekmarkt fietsen",
    "note": "meldingsnotitie-markeer",
    "network": "Gerbrand Netwerkmarker",
}


def case_document(
    external_id: str = "M-2026-0001", form: str = "test-casework", **person: Any
) -> dict[str, Any]:
    return {
        "cases": [
            {
                "external_id": external_id,
                "melding_date": "2026-11-02",
                "form": form,
                "notes": MARKERS["note"],
                "person": {
                    "name": person.get("name", MARKERS["name"]),
                    "bsn": person.get("bsn", MARKERS["bsn"]),
                    "birth_date": "1948-03-09",
                    "phone": "06 12345678",
                    "address": {
                        "street": MARKERS["street"],
                        "postcode": "9601 AB",
                        "city": MARKERS["city"],
                    },
                },
                "answers": {}
                if form != "test-casework"
                else {
                    "hulpvraag_eigen_woorden": MARKERS["answer"],
                    "netwerk": [{"naam": MARKERS["network"], "relatie": "buurman"}],
                },
            }
        ]
    }
