"""Qt facts the GUI tests check after every test: no widget that Qt and Python both own.

A widget made without a parent and put in a layout before that layout sits on a widget is
reparented by Qt (the page deletes it) while shiboken still counts it as Python's (it deletes
the widget when the last Python reference goes). On the UI thread that deletes a widget
still on screen; on a worker, shiboken queues the delete to the UI thread, and when the page
was deleted first, the queued delete is a second one: SIGSEGV (the crash CI met on a lock
with the plan open).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QApplication


def owned_twice() -> list[str]:
    """Every live widget with a Qt parent that shiboken also counts as Python's, as the
    chain of class names up to its window (and its object name or text, to find it)."""
    found: list[str] = []
    for widget in QApplication.allWidgets():
        if not shiboken6.isValid(widget) or widget.parent() is None:
            continue
        if not shiboken6.ownedByPython(widget):
            continue
        chain, node = [], widget
        while node is not None:
            chain.append(type(node).__name__)
            node = node.parent()
        text = getattr(widget, "text", None)
        label = widget.objectName() or (text() if callable(text) else "")
        found.append(" in ".join(chain) + (f" ({label})" if label else ""))
    return sorted(found)
