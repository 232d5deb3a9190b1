"""The blind index that finds a case by name, BSN or postcode without opening a row.

Owns how a search word becomes a token (case- and accent-insensitive names, BSN as nine
digits, postcode without spaces), the keyed tokens (`VaultKeys.blind`) of one inhabitant
in `search_index`, and the lookup. Never stores a name, BSN or postcode itself; the caller
holds the transaction.
"""

from __future__ import annotations

import re
import unicodedata

import sqlite_utils

from kitchentable.domain.case import Person
from kitchentable.storage.keys import VaultKeys

_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_name(text: str) -> str:
    """Case- and accent-insensitive: 'Özlem Yıldız-de Vries' -> 'ozlem yildiz de vries'."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("İ", "I"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.sub(" ", stripped.casefold()).split())


def name_tokens(name: str) -> set[str]:
    normal = normalise_name(name)
    return {normal, *normal.split()} - {""}


def postcode_token(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def bsn_token(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return digits.zfill(9) if digits else ""


class SearchIndex:
    """The `search_index` table of one unlocked profile."""

    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys) -> None:
        self.db = db
        self.keys = keys

    def person(self, case_id: str, person: Person) -> None:
        """The case's tokens, from its inhabitant as they are now."""
        self.db.execute("DELETE FROM search_index WHERE case_id = ?", [case_id])
        tokens = {self.keys.blind("name", t) for t in name_tokens(person.name)}
        if person.bsn:
            tokens.add(self.keys.blind("bsn", bsn_token(person.bsn)))
        if person.address.postcode:
            tokens.add(self.keys.blind("postcode", postcode_token(person.address.postcode)))
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO search_index(token, case_id) VALUES (?, ?)",
            [(t, case_id) for t in tokens],
        )

    def search(self, text: str) -> set[str]:
        """Case ids whose name (every word), BSN or postcode matches."""
        found: set[str] = set()
        words = normalise_name(text).split()
        if words:
            sets = [self._lookup(self.keys.blind("name", w)) for w in words]
            found |= set.intersection(*sets)
            found |= self._lookup(self.keys.blind("name", " ".join(words)))
        if re.fullmatch(r"[\d\s.]{8,12}", text.strip()):
            found |= self._lookup(self.keys.blind("bsn", bsn_token(text)))
        if re.fullmatch(r"\s*\d{4}\s*[A-Za-z]{2}\s*", text):
            found |= self._lookup(self.keys.blind("postcode", postcode_token(text)))
        return found

    def _lookup(self, token: str) -> set[str]:
        return {
            r[0]
            for r in self.db.execute("SELECT case_id FROM search_index WHERE token = ?", [token])
        }
