"""The iStandaarden code lists the app uses: product categories, units and frequencies.

Owns reading the versioned code lists shipped under `resources/codelists/` (one JSON file per
list: its id, name, standard, release, where it came from, and its codes with Dutch and
English names) and answering questions about them: is this code in that list, what is its
name, which list holds a product category. Which lists exist is data: WMO020 (Wmo product
categories), JZ020 (Jeugdwet product categories), WJ756 (unit) and WMO757 (frequency, used
by iWmo and iJw alike). Never changes a list and never reaches the network; a list that
is missing or malformed is an error naming the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kitchentable.paths import resources_dir

CATEGORY_LISTS = {"wmo": "WMO020", "jeugd": "JZ020"}  # law → its product category list
UNIT_LIST = "WJ756"
FREQUENCY_LIST = "WMO757"


class CodeListError(Exception):
    """A code list that is missing or does not have the shape of one."""


@dataclass(frozen=True)
class Code:
    code: str
    nl: str
    en: str
    historic: bool = False  # still valid in messages, no longer offered for new advice

    def name(self, language: str = "nl") -> str:
        return self.en if language == "en" else self.nl


@dataclass(frozen=True)
class CodeList:
    id: str
    name: str
    standard: str
    release: str
    source: str
    codes: tuple[Code, ...]

    def get(self, code: str) -> Code | None:
        return next((c for c in self.codes if c.code == code), None)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def current(self) -> tuple[Code, ...]:
        """The codes offered for new advice (historic ones left out)."""
        return tuple(c for c in self.codes if not c.historic)

    def name_of(self, code: str, language: str = "nl") -> str:
        found = self.get(code)
        return found.name(language) if found else code


def folder() -> Path:
    return resources_dir() / "codelists"


def known() -> list[str]:
    return sorted(p.stem for p in folder().glob("*.json"))


@cache
def get(list_id: str) -> CodeList:
    """A shipped code list by its id ('WMO020'); CodeListError when there is none."""
    path = folder() / f"{list_id}.json"
    if not path.is_file() or not list_id.isalnum():
        raise CodeListError(f"there is no code list {list_id!r} (known: {', '.join(known())})")
    return _read(path)


def _read(path: Path) -> CodeList:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        codes = tuple(
            Code(str(c["code"]), str(c["nl"]), str(c["en"]), bool(c.get("historic", False)))
            for c in data["codes"]
        )
        result = CodeList(
            str(data["id"]),
            str(data["name"]),
            str(data["standard"]),
            str(data["release"]),
            str(data["source"]),
            codes,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CodeListError(f"{path}: not a code list ({exc})") from exc
    if result.id != path.stem or not codes or len({c.code for c in codes}) != len(codes):
        raise CodeListError(f"{path}: its id, or its codes (none, or one twice), are wrong")
    return result


def law_of_category(code: str) -> str | None:
    """'wmo' or 'jeugd': the law whose product category list holds `code`, else None."""
    return next((law for law, lst in CATEGORY_LISTS.items() if code in get(lst)), None)
