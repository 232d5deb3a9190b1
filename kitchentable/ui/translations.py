"""Switching the UI language: our gettext catalogue plus Qt's own qtbase catalogue.

Owns the one QTranslator for Qt's standard dialogs and buttons (loaded from Qt's
translations folder, QLibraryInfo) and keeping it in step with kitchentable.i18n, the same
gettext catalogues the PDF uses. Never translates our own strings through Qt.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from kitchentable.i18n import set_language

_qt_translator: QTranslator | None = None


def apply_language(language: str) -> str:
    """Make `language` current for our strings and Qt's; returns the language in use."""
    global _qt_translator
    chosen = set_language(language)
    app = QCoreApplication.instance()
    if app is None:
        return chosen
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    QLocale.setDefault(
        QLocale(
            QLocale.Language.Dutch if chosen == "nl" else QLocale.Language.English,
            QLocale.Country.Netherlands,
        )
    )
    if chosen != "en":
        translator = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if translator.load(f"qtbase_{chosen}", folder):
            app.installTranslator(translator)
            _qt_translator = translator
    return chosen
