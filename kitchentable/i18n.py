"""One translation system for the CLI, the UI and the PDF: gettext catalogues.

Source strings are English; `resources/i18n/<lang>/LC_MESSAGES/kitchentable.po` holds the
translations, compiled to `.mo` with Babel (`python -m kitchentable.i18n_tools compile`).
Dutch is the default language. This module never imports Qt: the UI installs the same
translations and loads Qt's own qtbase catalogue beside them.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Callable

from kitchentable.paths import resources_dir

DOMAIN = "kitchentable"
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
# A plan's reader is addressed with "u", or with "je" (a young person). Texts marked `say(...)`
# are in the catalogue twice: as is, and with this context for the informal register.
READER_CONTEXT = "je"

_current: _gettext.NullTranslations = _gettext.NullTranslations()
_language = "en"


def locale_dir() -> str:
    return str(resources_dir() / "i18n")


def set_language(language: str | None = None) -> str:
    """Switch every later `_()` call to `language` (nl or en); returns the language in use."""
    global _current, _language
    chosen = language or os.environ.get("KITCHENTABLE_LANG") or DEFAULT_LANGUAGE
    if chosen not in LANGUAGES:
        chosen = DEFAULT_LANGUAGE
    if chosen == "en":
        _current = _gettext.NullTranslations()
    else:
        _current = _gettext.translation(DOMAIN, locale_dir(), languages=[chosen], fallback=True)
    _language = chosen
    return chosen


def translation(language: str) -> _gettext.NullTranslations:
    """The catalogue of one language (gettext and pgettext), independent of the current one."""
    if language == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, locale_dir(), languages=[language], fallback=True)


def translator(language: str) -> Callable[[str], str]:
    """A gettext function for one language, independent of the current one (PDF language)."""
    if language == "en":
        return lambda message: message
    return _gettext.translation(DOMAIN, locale_dir(), languages=[language], fallback=True).gettext


def language() -> str:
    return _language


def _(message: str) -> str:
    return _current.gettext(message)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current.ngettext(singular, plural, n)


def pick(text: dict[str, str] | None) -> str:
    """Choose the current language from a form's `{nl: ..., en: ...}` text."""
    if not text:
        return ""
    return text.get(_language) or text.get(DEFAULT_LANGUAGE) or next(iter(text.values()))


set_language()
