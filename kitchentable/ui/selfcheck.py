"""The app's part of `kitchentable --self-test`: does Qt work in this installation?

Owns the checks that need Qt: the plan PDF (made by the core's checks) opens in QtPdf, a
printer can be set up, and Qt's own Dutch translation (qtbase_nl) is there. The entry point
hands `CHECKS` to `selftest.run_self_test`; each takes the plan PDF and returns a detail
line, or raises RuntimeError with a sentence. Never shows a window (offscreen), so it runs on
a build server and over a remote shell, and never touches a consultant's profile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from PySide6 import QtPrintSupport
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLibraryInfo, QTranslator
from PySide6.QtGui import QGuiApplication
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication


def check_qt(pdf: bytes) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(["kitchentable"])
    printer = QtPrintSupport.QPrinter()
    printer.setOutputFormat(QtPrintSupport.QPrinter.OutputFormat.PdfFormat)
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    deadline = time.monotonic() + 10
    while document.status() == QPdfDocument.Status.Loading and time.monotonic() < deadline:
        app.processEvents()
    pages = document.pageCount()
    if document.status() != QPdfDocument.Status.Ready or pages < 1:
        raise RuntimeError(f"QtPdf could not open the plan ({document.status().name})")
    document.close()
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not QTranslator().load("qtbase_nl", folder):
        raise RuntimeError(f"Qt's Dutch translation (qtbase_nl) is missing from {folder}")
    return f"{QGuiApplication.platformName()}, plan has {pages} page(s), qtbase_nl"


CHECKS: list[tuple[str, Callable[[bytes], str]]] = [("qt", check_qt)]
