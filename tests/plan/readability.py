"""The readability check of the plan's main text: Flesch–Douma and a list of forbidden jargon.

Flesch–Douma (the Dutch Flesch: 206.84 − 0.93 × words per sentence − 77 × syllables per word)
comes from textstat with its "nl" constants, syllables from pyphen's Dutch hyphenation; no
formula is written here. Government letters aim at taalniveau B1, which this suite takes as
a score of at least 60.

The formula needs sentences: a text of a few words (a heading, a label) swings wildly on one
long word ("Geboortedatum" alone scores about −180). So texts of at least MIN_WORDS words are
scored one by one, and the short ones together, each as a sentence of its own, as a reader
meets them in a row of headings and labels.
"""

from __future__ import annotations

import re

import textstat

MINIMUM = 60.0
MIN_WORDS = 8
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

# Words and patterns the main text must not use (it is written to the inhabitant, not about
# them, and leaves the law's machinery to the annex).
JARGON: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bart(\.|ikel)\s*\d", re.IGNORECASE), "an article number"),
    (re.compile(r"\blid\s+\d", re.IGNORECASE), "a paragraph of a law (lid)"),
    (re.compile(r"\bWmo 2015\b|\bJeugdwet art\b"), "a citation of the law"),
    (re.compile(r"voorliggend", re.IGNORECASE), "'voorliggend'"),
    (re.compile(r"gemandateerd", re.IGNORECASE), "'gemandateerd'"),
    (re.compile(r"\binwoners?\b", re.IGNORECASE), "'inwoner' (the reader is 'u')"),
    (re.compile(r"\bCRvB\b"), "a court's abbreviation"),
]


def douma(text: str) -> float:
    textstat.set_lang("nl")
    return float(textstat.flesch_reading_ease(PLACEHOLDER.sub("dit", text)))


def as_sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!", ":")) else text + "."


def too_hard(texts: list[str]) -> list[str]:
    """Each long text below the minimum, and the short ones together if they are."""
    problems = []
    short = []
    for text in texts:
        if len(PLACEHOLDER.sub("dit", text).split()) >= MIN_WORDS:
            score = douma(text)
            if score < MINIMUM:
                problems.append(f"{score:.0f}: {text}")
        else:
            short.append(as_sentence(text))
    if short:
        score = douma(" ".join(short))
        if score < MINIMUM:
            problems.append(f"{score:.0f}: the {len(short)} headings and labels together")
    return problems


def jargon(text: str) -> list[str]:
    found = []
    for pattern, what in JARGON:
        for match in pattern.finditer(text):
            start = max(0, match.start() - 40)
            found.append(f"{what}: …{text[start : match.end() + 40]}…")
    return found
