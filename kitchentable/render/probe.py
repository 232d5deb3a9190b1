"""A quick proof that this installation draws every script the plan may hold (self-test).

Owns rendering one small document with an Arabic name, an emoji, a Chinese name and a word
too wide for its column, and checking the result: the fallback fonts were found and
embedded, HarfBuzz and the bidi levels ran, and the Dutch hyphenation patterns loaded (a
bundle that lost a data file fails here, not in front of an inhabitant). Never writes files.
"""

from __future__ import annotations

from kitchentable.render import document as d
from kitchentable.render.pdf import render_document

SAMPLE = "محمد بن علي 👍 王小明"
WIDE = "Jeugdbeschermingsmaatregel"


class ProbeFailed(Exception):
    pass


def probe() -> str:
    narrow = d.Table(headers=tuple(WIDE for _ in range(9)), rows=())
    document = d.Document(
        meta=d.DocumentMeta("Probe", "", "probe", "probe 1", "nl", draft=True),
        branding=d.Branding("Probe"),
        facts=(("Naam", SAMPLE),),
        sections=(
            d.Section("Probe", (d.Paragraphs((f"Mijn broer {SAMPLE} woont hier.",)), narrow)),
        ),
    )
    pdf = render_document(document)
    for font in (b"DejaVuSans", b"NotoEmoji-Regular", b"DroidSansFallback"):
        if b"+" + font not in pdf:
            raise ProbeFailed(f"{font.decode()} is not embedded")
    return f"Arabic, emoji, CJK and hyphenation drawn ({len(pdf) // 1024} KiB)"
