"""The main text reads at B1: every fixed Dutch text and every label it prints scores at least
Flesch–Douma 60, and it uses none of the forbidden jargon (tests/plan/readability.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kitchentable.formengine.loader import FormRegistry
from kitchentable.formengine.model import PrintTarget
from kitchentable.i18n_tools import READER_KEYWORDS, po_path
from kitchentable.paths import resource_root
from kitchentable.render import document as d
from kitchentable.render.compose import compose
from kitchentable.services import Profile
from kitchentable.services.plans import branding, role_title
from tests.plan.helpers import JEUGD, WMO, demo_case, flat, pdf_text
from tests.plan.readability import MINIMUM, douma, jargon, too_hard

ANNEX = "Bijlage: Verantwoording"
PLANTED = (
    "Op grond van art. 2.3.5 lid 3 Wmo 2015 heeft de gemandateerde medewerker vastgesteld dat "
    "de voorliggende voorziening voor de inwoner ontoereikend is."
)


def reader_texts() -> list[str]:
    """Every fixed text of the main text, in Dutch, in both registers ("u" and "je")."""
    ids = {
        message
        for _f, _l, message, _c, _x in extract_from_dir(
            str(resource_root() / "kitchentable"),
            method_map=[("**.py", "python")],
            keywords=READER_KEYWORDS,
        )
    }
    with open(po_path("nl"), "rb") as handle:
        catalogue = read_po(handle, locale="nl")
    texts = [m.string for m in catalogue if m.id in ids and isinstance(m.string, str)]
    assert len(ids) > 100 and len(texts) == 2 * len(ids)  # both registers, all translated
    return texts


def main_labels() -> list[str]:
    """Every label the shipped forms print in the main text. (The results group is told in
    fixed words per result; its fields' labels are only in the annex.)"""
    labels = []
    for form in FormRegistry.from_directory().latest():
        for question in form.questions():
            if question.plan in (None, "results"):
                continue  # never printed, or told in fixed words
            if question.print_target == PrintTarget.MAIN:
                labels.append(question.printed_label("nl"))
            for field in question.questions:
                target = field.print if field.print is not None else question.print_target
                if target == PrintTarget.MAIN:
                    labels.append(field.printed_label("nl"))
    return labels


def test_every_fixed_main_text_reads_at_b1_without_jargon() -> None:
    texts = reader_texts()
    assert too_hard(texts) == []
    assert [j for t in texts for j in jargon(t)] == []


def test_every_label_printed_in_the_main_text_reads_at_b1_without_jargon() -> None:
    labels = main_labels()
    assert len(labels) > 40
    assert too_hard(labels) == []
    assert [j for t in labels for j in jargon(t)] == []


def main_text(document: d.Document) -> str:
    """The composed main text, as the reader reads it (no page furniture, no annex)."""
    parts: list[str] = []
    for section in document.sections:
        if section.new_page:
            break
        parts.append(section.title + ".")
        for block in section.blocks:
            match block:
                case d.Paragraphs(texts=texts, label=label):
                    parts += [x for x in (label, *texts) if x and not x.startswith("___")]
                case d.Fields(rows=rows):
                    parts += [f"{label}: {value}." for label, value in rows]
                case d.Table(rows=rows, caption=caption):
                    parts += [caption, *(", ".join(row) + "." for row in rows)]
    return "\n".join(parts)


@pytest.mark.parametrize("reference", [WMO, JEUGD])
def test_the_realistic_plans_read_at_b1_and_print_no_jargon(
    profile: Profile, tmp_path: Path, reference: str
) -> None:
    profile.update_settings(consultant="Anja de Consulent", language="nl")
    profile.import_cases(demo_case(reference))
    plan = profile.plans.up_to_date(reference)
    form = profile.forms.get(plan.form_id, plan.form_version)
    document = compose(
        plan,
        form,
        profile.case(reference),
        branding=branding("nl"),
        consultant="Anja de Consulent",
        consultant_role=role_title(profile.settings, form.kind, "nl"),
        draft=True,
    )
    score = douma(main_text(document))
    print(f"\n{reference}: Flesch–Douma of the main text {score:.1f}")
    assert score >= MINIMUM
    printed, _sep, annex = flat(pdf_text(profile.plans.pdf(reference)[0], tmp_path)).partition(
        ANNEX
    )
    assert annex and jargon(printed) == []


def test_the_check_fails_on_a_planted_jargon_sentence(profile: Profile, tmp_path: Path) -> None:
    assert len(jargon(PLANTED)) == 6 and too_hard([PLANTED])  # caught, and hard to read
    profile.update_settings(language="nl")
    profile.import_cases(demo_case(WMO, {"hulpvraag_eigen_woorden": PLANTED}))
    printed, _sep, annex = flat(pdf_text(profile.plans.pdf(WMO)[0], tmp_path)).partition(ANNEX)
    found = jargon(printed)
    assert {f.split(":")[0] for f in found} >= {
        "an article number",
        "'voorliggend'",
        "'gemandateerd'",
        "'inwoner' (the reader is 'u')",
    }, found
    # The annex may cite the law: the same sentence there is no jargon in the main text.
    other = demo_case(WMO, {"voorliggende_voorzieningen": PLANTED})
    other["cases"][0]["external_id"] = "M-ANNEX"
    profile.import_cases(other)
    printed, _sep, annex = flat(pdf_text(profile.plans.pdf("M-ANNEX")[0], tmp_path)).partition(
        ANNEX
    )
    assert jargon(printed) == [] and "gemandateerde medewerker vastgesteld" in annex
