"""The plan PDF as a reader's tools see it: scripts, fonts, text layer, tables, dates, the
draft mark, metadata, version after sealing (issue 11 item 9).

Written as the attack: an Arabic name, an emoji, a Chinese name, a word too long for its
column, a draft copied to the clipboard, a sealed file opened by a PDF/A checker.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pikepdf
import pyphen
import pytest

from kitchentable.formengine.model import Question, QuestionType, Text
from kitchentable.paths import resources_dir
from kitchentable.render import document as d
from kitchentable.render.pdf import render_document
from kitchentable.render.pdfa import make_pdfa
from kitchentable.render.values import format_date, format_value
from kitchentable.render.verify import SealStatus, verify_pdf
from kitchentable.services import Profile
from tests.core import pdfcheck
from tests.core.helpers import case_document
from tests.core.test_plan import answer_all, flip_in_stream, sign_both

ARABIC_NAME = "محمد بن علي"
HEBREW = "שלום עולם"
EMOJI = ("👍", "😀", "❤️")
CJK = ("王小明", "ひらがな", "한국어")
FONTS = resources_dir() / "fonts"


def document(*sections: d.Section, draft: bool = True, language: str = "nl") -> d.Document:
    return d.Document(
        meta=d.DocumentMeta(
            title="Verslag en ondersteuningsplan",
            subtitle="Keukentafelgesprek",
            document_id="doc-quality",
            form="test 1.0",
            language=language,
            draft=draft,
        ),
        branding=d.Branding("Gemeente Voorbeeldrecht", "Sociaal Domein"),
        facts=(("Melding", "M-1"), ("Inwoner", "Familie Test")),
        sections=sections,
        labels={
            "draft": "CONCEPT",
            "draft_note": "CONCEPT – nog niet ondertekend",
            "page": "Pagina {x} van {y}",
        },
    )


def write(tmp_path: Path, name: str, pdf: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


@pytest.fixture
def international(profile: Profile, tmp_path: Path) -> Profile:
    """A Dutch plan for an inhabitant with an Arabic name, answers with emoji and CJK."""
    profile.update_settings(consultant="Anja de Consulent", role="Wmo-consulent", language="nl")
    profile.import_cases(case_document("M-2026-0412", form="test-plan", name=ARABIC_NAME))
    answer_all(profile, "M-2026-0412")
    conversation = profile.open_conversation("M-2026-0412")
    profile.save_answer(
        conversation,
        "hulpvraag_eigen_woorden",
        f"Ik wil zelf naar de markt {EMOJI[0]} en mijn zoon {CJK[0]} helpt. "
        f"Mijn broer {ARABIC_NAME} woont in Utrecht. Hij zegt: {HEBREW}.",
    )
    profile.save_answer(
        conversation,
        "aanwezigen",
        [
            {"aanwezig_naam": ARABIC_NAME, "aanwezig_rol": "inwoner"},
            {"aanwezig_naam": f"{CJK[0]} {EMOJI[1]}", "aanwezig_rol": "leerplichtambtenaar"},
        ],
    )
    return profile


def test_an_arabic_name_is_joined_right_to_left_and_reads_back_in_logical_order(
    international: Profile, tmp_path: Path
) -> None:
    pdf, _ = international.plans.pdf("M-2026-0412")
    path = write(tmp_path, "arabic.pdf", pdf)
    flat = " ".join(pdfcheck.text(path).split())
    assert ARABIC_NAME in flat  # the logical order: محمد first, although drawn rightmost
    assert f"Mijn broer {ARABIC_NAME}" in flat and HEBREW in flat
    # Joined: the glyphs drawn are the ones HarfBuzz shapes for the name (initial, medial
    # and final forms), none of the isolated forms of its letters.
    dejavu = (FONTS / "DejaVuSans.ttf").read_bytes()
    joined, isolated = set(), set()
    for word in ARABIC_NAME.split():
        joined |= pdfcheck.glyph_outlines(dejavu, pdfcheck.shaped_gids(dejavu, word))
        for letter in word:
            isolated |= pdfcheck.glyph_outlines(dejavu, pdfcheck.shaped_gids(dejavu, letter))
    isolated -= joined  # letters whose isolated and joined forms look the same (none here)
    drawn = set().union(
        *(pdfcheck.glyph_outlines(f) for f in pdfcheck.embedded(path, "DejaVuSans"))
    )
    assert joined <= drawn
    assert not isolated & drawn


def test_a_right_to_left_phrase_inside_a_dutch_sentence_keeps_its_word_order(
    tmp_path: Path,
) -> None:
    # The period after لكم belongs to the Dutch sentence: the Arabic run still spans all
    # three words (word order right to left), also when the line breaks inside the run.
    thanks = "شكرا جزيلا لكم"
    texts = (f"Hij zegt: {thanks}. Daarna gaat hij naar huis.", f"{thanks}.")
    rows = ((texts[0], "vandaag"), (texts[1], "gisteren"))
    narrow = d.Table(("Wat hij zegt", "Wanneer"), rows, widths=(0.15, 0.85))
    pdf = render_document(document(d.Section("Reactie", (d.Paragraphs(texts), narrow))))
    flat = " ".join(pdfcheck.text(write(tmp_path, "rtl.pdf", pdf)).split())
    assert flat.count(thanks) == 4, flat  # as paragraphs, then in a narrow column
    assert f"Hij zegt: {thanks}" in flat


def test_emoji_cjk_and_symbols_keep_their_code_points(
    international: Profile, tmp_path: Path
) -> None:
    pdf, _ = international.plans.pdf("M-2026-0412")
    path = write(tmp_path, "emoji.pdf", pdf)
    content = pdfcheck.text(path)
    assert EMOJI[0] in content and EMOJI[1] in content and CJK[0] in content
    fonts = {f["name"].split("+")[-1]: f for f in pdfcheck.fonts(path)}
    for name in ("NotoEmoji-Regular", "DroidSansFallback", "DejaVuSans"):
        assert (fonts[name]["emb"], fonts[name]["uni"]) == ("yes", "yes"), fonts


def test_no_glyph_maps_to_nul_and_every_drawn_code_has_its_text(tmp_path: Path) -> None:
    rare = "\U0001d11e"  # MUSICAL SYMBOL G CLEF: no shipped font has it
    line = " ".join((*EMOJI, *CJK, ARABIC_NAME, HEBREW, "✓ ★ € → ½", rare, "👨‍👩‍👧"))
    pdf = render_document(document(d.Section("Tekens", (d.Paragraphs((line,)),))))
    path = write(tmp_path, "symbols.pdf", pdf)
    assert pdfcheck.untranslated(path) == []
    content = pdfcheck.text(path)
    assert "\x00" not in content
    for part in (*EMOJI, *CJK, HEBREW, "✓", "€", "½", rare, "👨‍👩‍👧"):
        assert part in content, part
    with pikepdf.open(path) as opened:
        for page in opened.pages:
            for font in page.Resources.Font.values():
                assert "0000" not in pdfcheck.to_unicode(font).values()


HOUSEHOLD = d.Table(
    headers=(
        "Naam",
        "Rol",
        "Geboortedatum",
        "Gezag",
        "Woont op het adres",
        "Aanwezig bij het gesprek",
        "Betrokken hulpverlener",
    ),
    rows=(
        ("Kees de Jong", "vader", "4\u00a0maart\u00a01978", "ja", "nee", "ja", "geen"),
        ("Fatima el Amrani", "moeder", "12\u00a0juni\u00a01981", "ja", "ja", "ja", "huisarts"),
        ("Daan", "jeugdige", "30\u00a0november\u00a02011", "", "ja", "ja", "leerplichtambtenaar"),
    ),
    caption="Gezinsleden",
)
FIELDS = d.Fields(
    (
        ("Jeugdbeschermingsmaatregel", "Ondertoezichtstelling, gecombineerd met jeugdreclassering"),
        ("Verwijzer", "Gecertificeerde instelling (jeugdbescherming)"),
    )
)


def test_table_columns_never_break_a_word_inside(tmp_path: Path) -> None:
    pdf = render_document(document(d.Section("Het gezin", (HOUSEHOLD, FIELDS))))
    path = write(tmp_path, "table.pdf", pdf)
    found = pdfcheck.words(path)
    cells = [*HOUSEHOLD.headers, *(c for row in HOUSEHOLD.rows for c in row)]
    cells += [text for row in FIELDS.rows for text in row]
    for cell in cells:
        for word in cell.replace("\u00a0", " ").split():
            assert word in found, f"{word!r} broken: {[w for w in found if w in word]}"


def test_a_word_wider_than_its_column_is_hyphenated_at_dutch_points(tmp_path: Path) -> None:
    word = "Jeugdbeschermingsmaatregel"
    table = d.Table(
        headers=tuple(f"{word}" for _ in range(9)), rows=(tuple("ja" for _ in range(9)),)
    )
    path = write(tmp_path, "hyphen.pdf", render_document(document(d.Section("Smal", (table,)))))
    found = pdfcheck.words(path)
    points = set(pyphen.Pyphen(lang="nl_NL").positions(word))
    assert word not in found  # nine of them cannot stand side by side on A4
    parts: list[str] = []
    for item in found:
        if word.startswith("".join(parts) + item.rstrip("-")) and (parts or item.startswith("J")):
            parts.append(item.rstrip("-"))
            if "".join(parts) == word:
                break
    assert "".join(parts) == word, found
    cuts = {sum(len(p) for p in parts[: i + 1]) for i in range(len(parts) - 1)}
    assert cuts and cuts <= points, (parts, sorted(points))


def test_dates_read_in_dutch_everywhere(international: Profile, tmp_path: Path) -> None:
    pdf, _ = international.plans.pdf("M-2026-0412")
    content = " ".join(pdfcheck.text(write(tmp_path, "dates.pdf", pdf)).split())
    for expected in ("20 november 2026", "2 november 2026", "1 december 2026", "1 juni 2027"):
        assert expected in content, expected
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}-\d{1,2}-\d{4}\b", content)
    computed = Question("uiterlijk", QuestionType.COMPUTED, Text("Uiterlijk", "At the latest"), 1)
    assert format_value(computed, "2026-11-30", "nl") == "30\u00a0november\u00a02026"
    assert format_date("2026-03-09", "en") == "9\u00a0March\u00a02026"
    assert format_date("morgen", "nl") == "morgen"


def _close_to_now(value: object) -> None:
    moment = pdfcheck.pdf_date(str(value))
    assert abs(dt.datetime.now(dt.UTC) - moment) < dt.timedelta(minutes=1), value


def test_draft_and_sealed_plans_carry_their_real_dates_language_and_pdf_17(
    international: Profile, tmp_path: Path
) -> None:
    draft, _ = international.plans.pdf("M-2026-0412")
    sign_both(international, "M-2026-0412")
    sealed, is_sealed = international.plans.pdf("M-2026-0412")
    assert is_sealed
    for name, pdf in (("draft.pdf", draft), ("sealed.pdf", sealed)):
        path = write(tmp_path, name, pdf)
        assert pdf.startswith(b"%PDF-1.7\n"), pdf[:9]
        with pikepdf.open(path) as opened:
            _close_to_now(opened.docinfo["/CreationDate"])
            _close_to_now(opened.docinfo["/ModDate"])
            assert str(opened.Root.Lang) == "nl-NL"
            assert str(opened.Root.get("/Version", "/1.7")) == "/1.7"  # never 2.0
            meta = opened.open_metadata()
            assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "B")
            # PDF/A: the info dictionary and the XMP say the same.
            assert str(opened.docinfo.get("/Producer", "")) == meta.get("pdf:Producer", "")
    path = tmp_path / "sealed.pdf"
    assert "Signature is Valid" in pdfcheck.run("pdfsig", str(path))
    identity = international.plans.identity()
    assert verify_pdf(sealed, (identity.cert_pem,)).status == SealStatus.INTACT
    tampered = write(tmp_path, "tampered.pdf", flip_in_stream(sealed))
    report = pdfcheck.subprocess.run(["pdfsig", str(tampered)], capture_output=True, text=True)
    assert "Signature is Valid" not in report.stdout
    assert verify_pdf(tampered.read_bytes(), (identity.cert_pem,)).status == SealStatus.ALTERED


@pytest.mark.parametrize(("language", "tag"), [("nl", "nl-NL"), ("en", "en-GB")])
def test_the_catalog_says_the_plans_language(language: str, tag: str, tmp_path: Path) -> None:
    pdf = make_pdfa(render_document(document(language=language)), language)
    with pikepdf.open(write(tmp_path, "lang.pdf", pdf)) as opened:
        assert str(opened.Root.Lang) == tag
        assert set(opened.open_metadata().get("dc:language")) == {tag}


def test_the_concept_mark_is_seen_on_the_page_but_never_in_the_text(tmp_path: Path) -> None:
    body = d.Section("De hulpvraag", (d.Paragraphs(("Ik wil zelf naar de markt. " * 40,)),))
    draft = write(tmp_path, "draft.pdf", render_document(document(body, draft=True)))
    final = write(tmp_path, "final.pdf", render_document(document(body, draft=False)))
    assert "CONCEPT" not in pdfcheck.text(draft)
    assert "CONCEPT" not in " ".join(pdfcheck.words(draft))
    assert "Ik wil zelf naar de markt." in pdfcheck.text(draft)  # the text is all there
    marked, plain = pdfcheck.page_image(draft), pdfcheck.page_image(final)
    width, height = marked.size
    middle = (width // 4, height // 3, 3 * width // 4, 2 * height // 3)
    changed = sum(
        abs(a - b) > 8
        for a, b in zip(marked.crop(middle).tobytes(), plain.crop(middle).tobytes(), strict=True)
    )
    assert changed > 0.05 * (middle[2] - middle[0]) * (middle[3] - middle[1])
    footer = (0, int(height * 0.9), width // 2, int(height * 0.94))  # the red note
    assert marked.crop(footer).tobytes() != plain.crop(footer).tobytes()
