"""Maintaining the translation catalogues with Babel (a developer tool, not used at run time).

python -m kitchentable.i18n_tools extract   # kitchentable/ -> resources/i18n/kitchentable.pot
python -m kitchentable.i18n_tools update    # merge the .pot into every language's .po
python -m kitchentable.i18n_tools compile   # .po -> .mo (committed, so the app needs no Babel)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from kitchentable.i18n import DOMAIN, LANGUAGES, READER_CONTEXT
from kitchentable.paths import resource_root

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# `say(...)` marks a text addressed to the plan's reader: it is in the catalogue twice, as is
# (the "u" register) and with the context "je" (the informal register, for young people).
READER_KEYWORDS = {"say": None}


def i18n_dir() -> Path:
    return resource_root() / "resources" / "i18n"


def po_path(language: str) -> Path:
    return i18n_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    catalog = Catalog(project="Kitchentable", domain=DOMAIN)
    source = resource_root() / "kitchentable"
    for filename, lineno, message, comments, context in extract_from_dir(
        str(source), method_map=[("**.py", "python")], keywords={**KEYWORDS, **READER_KEYWORDS}
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(source), method_map=[("**.py", "python")], keywords=READER_KEYWORDS
    ):
        catalog.add(
            message, None, [(filename, lineno)], auto_comments=comments, context=READER_CONTEXT
        )
    with open(i18n_dir() / f"{DOMAIN}.pot", "wb") as handle:
        write_po(handle, catalog, omit_header=True, sort_output=True, no_location=True)
    return catalog


def update() -> None:
    template = extract()
    for language in LANGUAGES:
        if language == "en":
            continue
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as handle:
                catalog = read_po(handle, locale=language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        with open(path, "wb") as handle:
            write_po(
                handle,
                catalog,
                omit_header=True,
                sort_output=True,
                no_location=True,
                ignore_obsolete=True,
            )


def compile_catalogues() -> None:
    for language in LANGUAGES:
        path = po_path(language)
        if not path.exists():
            continue
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=language)
        with open(path.with_suffix(".mo"), "wb") as handle:
            write_mo(handle, catalog)


def main(argv: list[str]) -> int:
    commands = {"extract": extract, "update": update, "compile": compile_catalogues}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__)
        return 2
    commands[argv[0]]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
