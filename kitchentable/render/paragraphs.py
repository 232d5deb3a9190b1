"""Paragraphs of user text: any script, words in visual order per line, long words hyphenated.

Owns building a reportlab Paragraph from plain text (never markup: user text is escaped by
render.textruns), putting the words of each broken line in visual order (UBA rule L2 over
the word levels render.textruns computed: Dutch with an Arabic name reads right), and the
fallback for a single word wider than its column: hyphenated at Dutch (or English) pyphen
points, or after a hyphen it already has, never cut between two letters when a hyphenation
point fits. Never chooses fonts or shapes glyphs (render.textruns) and never sizes columns
(render.tables).
"""

from __future__ import annotations

import contextlib
from functools import cache, lru_cache
from typing import Any

import pyphen
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import FragLine, ParaLines
from reportlab.platypus.paraparser import ParaFrag

from kitchentable.render import textruns as tr

HYPHEN_LANGUAGES = {"nl": "nl_NL", "en": "en_GB"}
FUZZ = 0.01  # points: a word exactly as wide as its column fits


class _Mismatch(Exception):
    """The broken lines do not hold the words that were measured: leave them as they are."""


_SPACE = object()  # marks the space between two words among a line's units
Unit = tuple[int, Any, str]  # bidi level, fragment (or None, or _SPACE), text


class _Words:
    """Hands out the measured word behind each word of the broken lines, in order.

    reportlab may cut a word it cannot fit (the last resort for a string without
    hyphenation points): then its parts come one by one."""

    def __init__(self, words: list[tr.Word]) -> None:
        self.words = words
        self.at = 0
        self.rest = words[0].glyphs if words else ""

    def take(self, text: str) -> tuple[tr.Word, bool]:
        """The word `text` is (True) or is a part of (False)."""
        if self.at >= len(self.words) or not text or not self.rest.startswith(text):
            raise _Mismatch(text)
        word = self.words[self.at]
        self.rest = self.rest[len(text) :]
        if not self.rest:
            self.at += 1
            self.rest = self.words[self.at].glyphs if self.at < len(self.words) else ""
        return word, text == word.glyphs


def _cut(token: list[tuple[Any, str]], pieces: tuple[tr.Piece, ...]) -> list[Unit]:
    """A word's text as the broken line holds it (fragments) cut at its pieces."""
    out: list[Unit] = []
    segments = iter(token)
    frag, text = next(segments)
    for piece in pieces:
        need = len(piece.glyphs)
        while need:
            while not text:
                frag, text = next(segments)
            take = min(need, len(text))
            out.append((piece.level, frag, text[:take]))
            text, need = text[take:], need - take
    return out


def _visual(tokens: list[list[tuple[Any, str]]], feed: _Words) -> list[Unit]:
    """One line's words, cut into pieces and spaces, in visual order (UBA rule L2)."""
    units: list[Unit] = []
    previous: tr.Word | None = None
    for token in tokens:
        word, whole = feed.take("".join(text for _, text in token))
        if previous is not None:
            units.append((previous.gap, _SPACE, " "))
        if whole:
            units.extend(_cut(token, word.pieces))
        else:
            level = min(p.level for p in word.pieces)
            units.extend((level, frag, text) for frag, text in token)
        previous = word
    return tr.visual_order(units, [unit[0] for unit in units])


def _frag_tokens(line: FragLine) -> list[list[tuple[Any, str]]]:
    """A broken line's fragments cut into words (a word may span fonts: several fragments)."""
    words: list[list[tuple[Any, str]]] = []
    new = True
    for frag in line.words:
        if hasattr(frag, "cbDefn"):
            raise _Mismatch("inline object")
        for i, part in enumerate(frag.text.split(" ")):
            new = new or i > 0
            if part:
                if new:
                    words.append([])
                    new = False
                words[-1].append((frag, part))
    return words


def _reorder(para: Any, feed: _Words) -> None:
    if para.kind == 0:
        lines = []
        for extra, line_words in para.lines:
            words, current = [], ""
            for _, frag, text in _visual([[(None, w)] for w in line_words], feed):
                if frag is _SPACE:
                    words.append(current)
                    current = ""
                else:
                    current += text
            lines.append((extra, [*words, current] if current else words))
        para.lines = lines
        return
    for line in para.lines:
        tokens = _frag_tokens(line)
        if not tokens:
            continue
        frags: list[Any] = []
        for _, frag, text in _visual(tokens, feed):
            if frag is _SPACE:
                if frags:
                    frags[-1] = frags[-1].clone(text=frags[-1].text + " ")
            else:
                frags.append(frag.clone(text=text))
        line.words = frags


class BidiParagraph(Paragraph):
    """A Paragraph whose lines, once broken in logical order, are drawn in visual order."""

    def __init__(
        self,
        text: Any,  # None when split() makes the two parts from fragments
        style: ParagraphStyle | None = None,
        bulletText: str | None = None,
        frags: list[Any] | None = None,
        caseSensitive: int = 1,
        encoding: str = "utf8",
        words: list[tr.Word] | None = None,
    ) -> None:
        super().__init__(text, style, bulletText, frags, caseSensitive, encoding)
        # The measured words; None when everything runs left to right, and for the parts
        # split() makes: their lines are in visual order already.
        self.bidi_words = words

    def breakLines(self, width: Any) -> ParaLines | ParaFrag:
        para = super().breakLines(width)
        if self.bidi_words:
            # On a mismatch the rest stays in logical order: readable, if not right to left.
            with contextlib.suppress(_Mismatch):
                _reorder(para, _Words(self.bidi_words))
        return para


@cache
def _hyphenator(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=HYPHEN_LANGUAGES.get(language, "nl_NL"))


def _breaks(word: str, language: str) -> list[int]:
    """Where `word` may be split: pyphen's points and after each hyphen it has, longest first."""
    points = set(_hyphenator(language).positions(word))
    points |= {i + 1 for i, c in enumerate(word[:-1]) if c == "-" and i > 0}
    return sorted(points, reverse=True)


def hyphenate(word: tr.Word, limit: float, size: float, face: str, language: str) -> list[tr.Word]:
    """`word` as parts no wider than `limit`, each but the last ending in a hyphen."""
    parts: list[tr.Word] = []
    gap = word.gap
    while tr.width(word, size) > limit + FUZZ and not any(p.level for p in word.pieces):
        text = word.text
        for point in _breaks(text, language):
            head = text[:point] if text[point - 1] == "-" else text[:point] + "-"
            shaped = tr.shape_word(head, [0] * len(head), face)
            if tr.width(shaped, size) <= limit:
                parts.append(shaped)
                rest = text[point:]
                word = tr.shape_word(rest, [0] * len(rest), face, gap)
                break
        else:
            break  # no point fits: reportlab cuts it (a number, a web address)
    return [*parts, word]


def fit(shaped: tr.Shaped, limit: float, size: float, face: str, language: str) -> tr.Shaped:
    lines = []
    for line in shaped.lines:
        words: list[tr.Word] = []
        for word in line:
            if tr.width(word, size) > limit + FUZZ:
                words.extend(hyphenate(word, limit, size, face, language))
            else:
                words.append(word)
        lines.append(tuple(words))
    return tr.Shaped(tuple(lines))


@lru_cache(maxsize=8192)
def prepare(
    text: str, face: str, size: float, width: float | None, language: str
) -> tuple[str, tuple[tr.Word, ...] | None]:
    """(markup, the words when some run right to left) for a paragraph: the same answer in
    the next draft of the plan costs nothing."""
    shaped = tr.shape(text, face)
    if width is not None:
        shaped = fit(shaped, width, size, face, language)
    words = tuple(w for line in shaped.lines for w in line) if shaped.bidi else None
    return tr.markup(shaped, face), words


def paragraph(
    text: str, style: ParagraphStyle, width: float | None = None, language: str = "nl"
) -> Paragraph:
    """`text` (plain, any script) as a Paragraph; `width` is where it will stand, so a word
    wider than that can be hyphenated."""
    markup, words = prepare(text, style.fontName, style.fontSize, width, language)
    return BidiParagraph(markup, style, words=list(words) if words else None)
