"""The plan's fonts: which files, which face draws which character, and an honest text layer.

Owns the font files in resources/fonts (DejaVu Sans in four faces; Noto Emoji for emoji;
Droid Sans Fallback for Chinese, Japanese and Korean, loaded only when a document needs it),
registering them with reportlab, the fallback chain per face, and the ToUnicode map of every
embedded font subset: each glyph maps to the code points it stands for, astral code points
(emoji) as UTF-16 pairs, shaped glyphs (Arabic joining forms, emoji sequences) to the
letters they came from, and nothing ever to U+0000. A character no font has is drawn as the
font's empty box but keeps its own code point in the text layer.
Never lays out or orders text (render.textruns does).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cache
from typing import cast

import uharfbuzz as hb
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont

from kitchentable.paths import resources_dir

FONT = "KTSans"
BOLD, ITALIC, BOLD_ITALIC = f"{FONT}-Bold", f"{FONT}-Italic", f"{FONT}-BoldItalic"
EMOJI = "KTEmoji"
CJK = "KTCJK"
FILES = {
    FONT: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    ITALIC: "DejaVuSans-Oblique.ttf",
    BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    EMOJI: "NotoEmoji-Regular.ttf",
    CJK: "DroidSansFallback.ttf",
}
# A face that lacks a character hands it on, in this order (DejaVu's oblique faces have no
# Arabic, for instance: the upright face draws it).
CHAINS = {
    FONT: (FONT, EMOJI, CJK),
    BOLD: (BOLD, FONT, EMOJI, CJK),
    ITALIC: (ITALIC, FONT, EMOJI, CJK),
    BOLD_ITALIC: (BOLD_ITALIC, BOLD, FONT, EMOJI, CJK),
    EMOJI: (EMOJI, FONT, CJK),
    CJK: (CJK, FONT, EMOJI),
}
# Shaped glyphs that have no code point of their own get one here (Supplementary Private
# Use Area-A); user text never reaches these: render.textruns replaces such characters.
ALIAS_START, ALIAS_END = 0xF0000, 0xFFFFD
_BFCHAR_BLOCK = 100  # ISO 32000-1 9.10.3: at most 100 entries per beginbfchar


class KTFont(TTFont):
    """A reportlab TrueType font whose subsets say truthfully which text each glyph shows."""

    def __init__(self, name: str, path: str) -> None:
        super().__init__(name, path)
        with open(path, "rb") as handle:
            data = handle.read()
        face = hb.Face(data)
        self.hb_font = hb.Font(face)
        self.upem: int = face.upem
        self.coverage: frozenset[int] = frozenset(face.unicodes)
        self._texts: dict[int, str] = {}  # alias code point -> the text its glyph stands for
        self._aliases: dict[tuple[int, str], int] = {}
        self._next = ALIAS_START
        self._lock = threading.Lock()

    def glyph_char(self, gid: int, text: str, advance: int) -> str:
        """A character that draws glyph `gid` of this font and reads as `text`; `advance` is
        the glyph's advance as shaped, in font units (zero for a variation selector)."""
        if len(text) == 1 and self.face.charToGlyph.get(ord(text)) == gid:
            return text
        with self._lock:
            code = self._aliases.get((gid, text))
            if code is None:
                if self._next > ALIAS_END:  # pragma: no cover - 65k distinct shaped glyphs
                    raise RuntimeError(f"too many shaped glyphs in {self.fontName}")
                code, self._next = self._next, self._next + 1
                self._aliases[(gid, text)] = code
                self._texts[code] = text
                self.face.charToGlyph[code] = gid
                self.face.charWidths[code] = advance * 1000 / self.upem
        return chr(code)

    def missing(self, char: str) -> str:
        """`char` drawn as this font's empty box (glyph 0) but read as itself."""
        code = ord(char)
        with self._lock:
            if code not in self.face.charToGlyph:
                self.face.charToGlyph[code] = 0
                self.face.charWidths[code] = self.face.defaultWidth
        return char

    def text_of(self, code: int) -> str:
        return self._texts.get(code, chr(code) if code else "")

    def addObjects(self, doc: pdfdoc.PDFDocument) -> None:
        subsets = [list(subset) for subset in self.state[doc].subsets]
        super().addObjects(doc)  # forgets the document's subsets: read them first
        for number, subset in enumerate(subsets):
            base = (SUBSETN(number) + b"+" + self.face.name + self.face.subfontNameX).decode(
                "pdfdoc"
            )
            stream = cast(pdfdoc.PDFStream, doc.idToObject["toUnicodeCMap:" + base])
            stream.content = to_unicode_cmap(base, [self.text_of(code) for code in subset])


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


def to_unicode_cmap(name: str, texts: Iterable[str]) -> str:
    """A ToUnicode CMap for one-byte codes: code i reads as texts[i]; empty texts are left out."""
    entries = [f"<{code:02X}> <{_utf16_hex(text)}>" for code, text in enumerate(texts) if text]
    blocks = [entries[i : i + _BFCHAR_BLOCK] for i in range(0, len(entries), _BFCHAR_BLOCK)]
    body = [line for block in blocks for line in (f"{len(block)} beginbfchar", *block, "endbfchar")]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            f"/CMapName /{name}-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<00> <FF>",
            "endcodespacerange",
            *body,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


_registered: dict[str, KTFont] = {}
_register_lock = threading.Lock()


def font(name: str) -> KTFont:
    """The registered font `name`, registering it (and reading its file) on first use."""
    found = _registered.get(name)
    if found is not None:
        return found
    with _register_lock:
        if name not in _registered:
            loaded = KTFont(name, str(resources_dir() / "fonts" / FILES[name]))
            pdfmetrics.registerFont(loaded)
            _registered[name] = loaded
        return _registered[name]


@cache
def register_fonts() -> str:
    """The four DejaVu faces as one family (emoji and CJK come when a text needs them)."""
    for name in (FONT, BOLD, ITALIC, BOLD_ITALIC):
        font(name)
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
    )
    return FONT


@cache
def coverage(name: str) -> frozenset[int]:
    """The code points a font draws, without loading it into reportlab (fast: HarfBuzz)."""
    if name in _registered:
        return _registered[name].coverage
    data = (resources_dir() / "fonts" / FILES[name]).read_bytes()
    return frozenset(hb.Face(data).unicodes)


def chain(name: str) -> tuple[str, ...]:
    return CHAINS.get(name, (name, *CHAINS[FONT]))
