"""Every catalogue is complete, keeps its placeholders, and is compiled from the current source."""

from __future__ import annotations

import gettext
import io
import string

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kitchentable.i18n import DOMAIN, LANGUAGES
from kitchentable.i18n_tools import extract, i18n_dir, po_path


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _catalogue(language: str):
    with open(po_path(language), "rb") as handle:
        return read_po(handle, locale=language)


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    for language in (lang for lang in LANGUAGES if lang != "en"):
        for message in _catalogue(language):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"{language}: untranslated {message.id!r}"
            # Plural forms may drop the number ("one case"), never add a placeholder.
            for text in strings:
                assert _fields(text) <= _fields(ids[-1]), f"{language}: {message.id!r}"
            if len(ids) == 1:
                assert _fields(strings[0]) == _fields(ids[0]), f"{language}: {message.id!r}"


def test_catalogue_covers_every_string_in_the_source() -> None:
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in extract() if m.id}
    for language in (lang for lang in LANGUAGES if lang != "en"):
        translated = {
            m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id
        }
        missing = template - translated
        assert not missing, f"run 'python -m kitchentable.i18n_tools update': {sorted(missing)[:5]}"


def test_compiled_catalogues_match_their_sources() -> None:
    for language in (lang for lang in LANGUAGES if lang != "en"):
        buffer = io.BytesIO()
        write_mo(buffer, _catalogue(language))
        buffer.seek(0)
        fresh = gettext.GNUTranslations(buffer)
        mo = i18n_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        with open(mo, "rb") as handle:
            shipped = gettext.GNUTranslations(handle)
        messages = lambda t: {k: v for k, v in t._catalog.items() if k}  # noqa: E731 - '' is the header
        assert messages(fresh) == messages(shipped), (
            "run 'python -m kitchentable.i18n_tools compile'"
        )
