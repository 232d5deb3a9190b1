"""The keys of the conversation: one table that the page binds and the overview shows.

Owns which key sequence does what on the conversation page and in its fields, with the
words that describe it (marked for translation, translated when shown). Never binds a key
itself (the page and the fields do, from this table) so the overview cannot go stale.
"""

from __future__ import annotations

from kitchentable.i18n import N_
from kitchentable.ui.conversation.datefield import CONVERSATION_DATE_KEYS, TODAY_KEYS

NEXT_SECTION = ("Ctrl+PgDown", "Alt+Right")
PREVIOUS_SECTION = ("Ctrl+PgUp", "Alt+Left")
BACK_TO_CASES = "Ctrl+L"
REPORT = "Ctrl+Shift+R"

# (keys, what they do): shown in Help → Keyboard shortcuts, in this order
CONVERSATION_KEYS: list[tuple[str, str]] = [
    (" / ".join(NEXT_SECTION), N_("Next section")),
    (" / ".join(PREVIOUS_SECTION), N_("Previous section")),
    ("Tab / Shift+Tab", N_("Next / previous field (also through a group's entries and Add)")),
    (N_("Space"), N_("Choose the option that has the focus")),
    ("↑ / ↓", N_("Another option of the same question, another level of a scale")),
    (TODAY_KEYS, N_("In a date field: today's date")),
    (CONVERSATION_DATE_KEYS, N_("In a date field: the date of the conversation")),
    (REPORT, N_("Report and signing")),
    (BACK_TO_CASES, N_("Back to the case list (everything is saved)")),
]
