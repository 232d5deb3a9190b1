"""Logical text as the glyphs reportlab draws: font per character, shaping, bidi levels.

Owns cutting a text into lines (at newlines) and words (at white space), choosing the font
for each grapheme cluster (the face's fallback chain in render.fonts; emoji clusters prefer
the emoji font), shaping runs that need it with HarfBuzz (Arabic and Hebrew joining and
marks, emoji sequences, anything with combining marks or right-to-left letters) and the
Unicode bidi levels (python-bidi) of each word, so a line can be put in visual order once
it is broken (render.paragraphs). A word's glyphs come out in visual order; words stay in
logical order. Pure, cached functions; never breaks lines or draws.
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

import regex
import uharfbuzz as hb
from bidi import algorithm as uba

from kitchentable.render import fonts

_CLUSTER = regex.compile(r"\X")
_SPACES = regex.compile(r"[^\S\xa0]+")  # where reportlab breaks lines: not at a no-break space
_EMOJI = regex.compile(r"\p{Emoji_Presentation}|\p{Regional_Indicator}|\uFE0F|\u200D")
_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI"})
_IGNORABLE = frozenset({0x200C, 0x200D, 0xFE0E, 0xFE0F, *range(0xE0020, 0xE0080)})
# Characters that need HarfBuzz even in a left-to-right run of the main font.
_COMPLEX = regex.compile(r"[\p{Mn}\p{Me}\p{Mc}\p{Cf}\uFE00-\uFE0F]")


class Piece(NamedTuple):
    """A run of one font and one bidi level inside a word, as characters that font maps to
    the run's glyphs; the glyphs of a right-to-left run stand in visual order already."""

    font: str
    glyphs: str
    level: int = 0  # bidi embedding level (odd: right to left)


class Word(NamedTuple):
    text: str  # logical text
    pieces: tuple[Piece, ...]  # logical order
    gap: int = 0  # bidi level of the space after the word

    @property
    def glyphs(self) -> str:
        return "".join(p.glyphs for p in self.pieces)


@dataclass(frozen=True)
class Shaped:
    lines: tuple[tuple[Word, ...], ...]

    @property
    def bidi(self) -> bool:
        return any(p.level or w.gap for line in self.lines for w in line for p in w.pieces)


_ALIASES = regex.compile("[\U000f0000-\U0010ffff]")


def clean(text: str) -> str:
    """User text without the private-use code points render.fonts keeps for shaped glyphs."""
    return str(_ALIASES.sub("\ufffd", text))


def char_levels(text: str) -> tuple[list[int], int]:
    """Unicode bidi levels per character, and the line's base level. A line with Latin
    letters is a left-to-right paragraph (the document's direction); one with only
    right-to-left letters is right-to-left (UBA P2/P3)."""
    classes = [unicodedata.bidirectional(c) for c in text]
    if not any(k in _RTL_CLASSES for k in classes):
        return [0] * len(text), 0
    base = 0 if "L" in classes else 1
    storage: dict[str, Any] = uba.get_empty_storage()
    storage["base_level"], storage["base_dir"] = base, "LR"[base]
    uba.get_embedding_levels(text, storage)
    chars = list(storage["chars"])  # X9 drops some (ZWJ, controls): keep them to read back
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    kept = {id(c) for c in storage["chars"]}
    levels, previous = [], base
    for char in chars:
        previous = char["level"] if id(char) in kept else previous
        levels.append(previous)
    return levels, base


def visual_order[T](items: list[T], levels: list[int]) -> list[T]:
    """UBA rule L2: reverse every run at each level from the highest to the lowest odd."""
    if not any(levels):
        return list(items)
    cells = [{"level": level, "at": at} for at, level in enumerate(levels)]
    odd = [level for level in levels if level % 2]
    uba.reverse_contiguous_sequence(cells, 0, len(cells) - 1, max(levels), min(odd or [1]))
    return [items[cell["at"]] for cell in cells]


def _covers(name: str, cluster: str) -> bool:
    table = fonts.coverage(name)
    return all(ord(c) in table for c in cluster if ord(c) not in _IGNORABLE)


def font_for(cluster: str, face: str) -> str:
    order = fonts.chain(face)
    if _EMOJI.search(cluster) and "\ufe0e" not in cluster:
        order = (fonts.EMOJI, *order)
    return next((name for name in order if _covers(name, cluster)), face)


def _shape(name: str, text: str, rtl: bool) -> str:
    font = fonts.font(name)
    buffer = hb.Buffer()
    buffer.add_codepoints([ord(c) for c in text])
    buffer.guess_segment_properties()
    buffer.direction = "rtl" if rtl else "ltr"
    buffer.cluster_level = hb.BufferClusterLevel.MONOTONE_CHARACTERS
    hb.shape(font.hb_font, buffer, {"kern": False})
    starts = sorted({info.cluster for info in buffer.glyph_infos} | {len(text)})
    ends = dict(itertools.pairwise(starts))
    seen: set[int] = set()
    out = []
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        cluster = info.cluster
        # Later glyphs of one cluster read as nothing: the first carries the cluster's text,
        # in visual order like the glyphs around it (a right-to-left ligature such as lam-alef
        # lists its letters right to left: readers reverse the run, letters included).
        reads = "" if cluster in seen else text[cluster : ends[cluster]][:: -1 if rtl else 1]
        seen.add(cluster)
        out.append(font.glyph_char(info.codepoint, reads, position.x_advance))
    return "".join(out)


def _piece(name: str, text: str, level: int) -> Piece:
    if level % 2 == 0 and not _COMPLEX.search(text):
        font = fonts.font(name)
        table = font.coverage
        return Piece(name, "".join(c if ord(c) in table else font.missing(c) for c in text), level)
    return Piece(name, _shape(name, text, rtl=level % 2 == 1), level)


def shape_word(text: str, levels: list[int], face: str, gap: int = 0) -> Word:
    runs: list[tuple[str, int, str]] = []  # font, level, text: logical order
    at = 0
    for cluster in _CLUSTER.findall(text):
        name, level = font_for(cluster, face), levels[at]
        if runs and runs[-1][0] == name and runs[-1][1] == level:
            runs[-1] = (name, level, runs[-1][2] + cluster)
        else:
            runs.append((name, level, cluster))
        at += len(cluster)
    return Word(text, tuple(_piece(name, part, level) for name, level, part in runs), gap)


@cache
def _plain(face: str) -> frozenset[str]:
    """Characters `face` draws as they are: left to right, no shaping, no other font."""
    chars = (chr(code) for code in fonts.coverage(face))
    return frozenset(
        c
        for c in chars
        if unicodedata.bidirectional(c) not in _RTL_CLASSES
        and not _COMPLEX.match(c)
        and not _EMOJI.match(c)
    ) | {" ", "\t", "\r"}


@lru_cache(maxsize=4096)
def shape(text: str, face: str) -> Shaped:
    """`text` in font `face` (a render.fonts name) as words of glyphs, line by line."""
    lines = []
    for line in clean(text).split("\n"):
        if _plain(face).issuperset(line):  # most lines: nothing to shape, one font
            parts = filter(None, _SPACES.split(line))
            lines.append(tuple(Word(part, (Piece(face, part),)) for part in parts))
            continue
        levels, base = char_levels(line)
        words = []
        at = 0
        for part in filter(None, _SPACES.split(line)):
            start = line.index(part, at)
            at = start + len(part)
            gap = levels[at] if at < len(line) else base
            words.append(shape_word(part, levels[start:at], face, gap))
        lines.append(tuple(words))
    return Shaped(tuple(lines))


def word_markup(word: Word, face: str) -> str:
    return "".join(
        escape(p.glyphs) if p.font == face else f'<font name="{p.font}">{escape(p.glyphs)}</font>'
        for p in word.pieces
    )


def _line_markup(line: tuple[Word, ...], face: str) -> str:
    if all(len(w.pieces) == 1 and w.pieces[0].font == face for w in line):
        return escape(" ".join(w.pieces[0].glyphs for w in line))
    return " ".join(word_markup(w, face) for w in line)


def markup(shaped: Shaped, face: str) -> str:
    """reportlab paragraph markup: words split by spaces, lines by <br/>, fonts tagged."""
    return "<br/>".join(_line_markup(line, face) for line in shaped.lines)


@lru_cache(maxsize=65536)
def width(word: Word, size: float) -> float:
    return sum(fonts.font(p.font).stringWidth(p.glyphs, size) for p in word.pieces)


def units(words: list[Word], face: str) -> list[Piece]:
    """The pieces of words on one line with a space between each two words (at the level of
    the space), in logical order: what visual_order puts in order."""
    out: list[Piece] = []
    for i, word in enumerate(words):
        if i:
            out.append(Piece(face, " ", words[i - 1].gap))
        out.extend(word.pieces)
    return out


def line_pieces(text: str, face: str) -> list[Piece]:
    """One line of text (no wrapping) as pieces in visual order, spaces included: for
    single-line strings the canvas draws (headers, footers)."""
    shaped = shape(" ".join(filter(None, _SPACES.split(text))), face)
    pieces = units([w for line in shaped.lines for w in line], face)
    return visual_order(pieces, [p.level for p in pieces])
