"""The sociale kaart on the laptop: the office's catalogue of local general facilities and
contracted providers per product, as the last synchronisation brought it.

Owns finding entries by what a consultant types (product, name, area; case and accents do
not matter) and the kinds' names. The catalogue itself arrives signed by the office and is
kept sealed by the sync client; this module never touches storage or the network.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from kitchentable.i18n import N_

KINDS = {
    "algemene_voorziening": N_("General facility"),
    "gecontracteerde_aanbieder": N_("Contracted provider"),
}
SEARCHED = ("product", "name", "description", "area", "address")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find(entries: list[dict[str, Any]], text: str = "") -> list[dict[str, Any]]:
    """Entries whose product, name, description, area or address hold every word of `text`;
    general facilities first (the law's order: what is there for everyone before paid
    support), then by product and name."""
    words = _fold(text).split()
    found = [
        entry
        for entry in entries
        if all(
            word in _fold(" ".join(str(entry.get(field, "")) for field in SEARCHED))
            for word in words
        )
    ]
    return sorted(
        found,
        key=lambda e: (
            e.get("kind") != "algemene_voorziening",
            _fold(str(e.get("product", ""))),
            _fold(str(e.get("name", ""))),
        ),
    )
