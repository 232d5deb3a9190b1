"""Reading a PDF from outside for the plan's quality tests: text, words, fonts, text layer.

Each helper asks a tool a reader would use (poppler's pdftotext/pdftoppm, pikepdf) rather
than the code that wrote the file.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import subprocess
from pathlib import Path

import pikepdf
import uharfbuzz as hb
from PIL import Image

BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def text(path: Path, *options: str) -> str:
    """pdftotext's text without the bidi embedding marks it wraps right-to-left runs in."""
    return BIDI_MARKS.sub("", run("pdftotext", *options, str(path), "-"))


def words(path: Path) -> list[str]:
    """The words pdftotext finds (-bbox), in reading order."""
    found = re.findall(r"<word [^>]*>([^<]*)</word>", run("pdftotext", "-bbox", str(path), "-"))
    return [BIDI_MARKS.sub("", html.unescape(w)) for w in found]


def fonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table: name, type, emb, sub, uni per embedded font."""
    rows = run("pdffonts", str(path)).splitlines()[2:]
    return [
        {"name": r.split()[0], "emb": r.split()[-5], "sub": r.split()[-4], "uni": r.split()[-3]}
        for r in rows
    ]


def to_unicode(font: pikepdf.Object) -> dict[int, str]:
    """A simple font's ToUnicode map: one-byte code -> text."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, value in re.findall(r"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]*)>", block):
            out[int(code, 16)] = bytes.fromhex(value).decode("utf-16-be")
    return out


def _streams(page: pikepdf.Page) -> list[tuple[pikepdf.Object, pikepdf.Object]]:
    """(content, resources) of a page and of every form it draws."""
    out = [(page.obj, page.Resources)]
    for xobject in page.Resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Form":
            out.append((xobject, xobject.get("/Resources", page.Resources)))
    return out


def untranslated(path: Path) -> list[str]:
    """Codes drawn without a ToUnicode entry, or with one that says U+0000."""
    bad = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for content, resources in _streams(page):
                maps: dict[str, dict[int, str]] = {}
                font = ""
                for operands, operator in pikepdf.parse_content_stream(content):
                    op = str(operator)
                    if op == "Tf":
                        font = str(operands[0])
                        if font not in maps:
                            maps[font] = to_unicode(resources.Font[font])
                    elif op in ("Tj", "TJ", "'", '"'):
                        items = operands[0] if op == "TJ" else [operands[-1]]
                        for item in items:
                            if isinstance(item, pikepdf.String):
                                for code in bytes(item):
                                    value = maps[font].get(code)
                                    if not value or "\x00" in value:
                                        bad.append(f"{font} code {code}: {value!r}")
    return bad


def glyph_outlines(font_data: bytes, gids: list[int] | None = None) -> set[tuple[object, ...]]:
    """Outlines of glyphs (all, or `gids`) as comparable tuples, drawn by HarfBuzz."""

    class Pen:
        def __init__(self) -> None:
            self.ops: list[object] = []

        def __getattr__(self, name: str) -> object:
            return lambda *points: self.ops.append((name, *points))

    font = hb.Font(hb.Face(font_data))
    out = set()
    for gid in range(hb.Face(font_data).glyph_count) if gids is None else gids:
        pen = Pen()
        font.draw_glyph_with_pen(gid, pen)
        if pen.ops:
            out.add(tuple(pen.ops))
    return out


def shaped_gids(font_data: bytes, text: str) -> list[int]:
    """The glyphs HarfBuzz chooses for `text` in that font (the shaped reference)."""
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(hb.Face(font_data)), buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


def embedded(path: Path, name_part: str) -> list[bytes]:
    """The embedded font programs (FontFile2) whose name contains `name_part`."""
    out = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                if name_part in str(font.BaseFont):
                    out.append(font.FontDescriptor.FontFile2.read_bytes())
    return out


def pdf_date(value: str) -> dt.datetime:
    """D:20261130143000+01'00' as an aware datetime."""
    match = re.fullmatch(r"D:(\d{14})([+-])(\d{2})'?(\d{2})'?|D:(\d{14})Z?", str(value))
    assert match, value
    if match.group(5):
        return dt.datetime.strptime(match.group(5), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    sign = 1 if match.group(2) == "+" else -1
    offset = dt.timedelta(hours=int(match.group(3)), minutes=int(match.group(4)))
    zone = dt.timezone(sign * offset)
    return dt.datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=zone)


def page_image(path: Path, page: int = 1, dpi: int = 40) -> Image.Image:
    stem = path.with_suffix("")
    run("pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
        str(path), str(stem))  # fmt: skip
    return Image.open(f"{stem}.png").convert("L")
