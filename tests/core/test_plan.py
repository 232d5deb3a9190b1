"""The support plan PDF as outside readers see it: draft, signed, sealed, tampered."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest

from kitchentable.domain.case import CaseStatus
from kitchentable.domain.plan import PyramidLevel, Signature, SignerRole
from kitchentable.errors import PlanNotReady, SealRefused
from kitchentable.render.verify import SealStatus, verify_pdf
from kitchentable.services import Profile
from kitchentable.services.plans import SEALED_PLAN
from tests.core.helpers import case_document

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden"
STROKE = (((0.1, 0.6, 0.4), (0.25, 0.3, 0.6), (0.4, 0.7, 0.8), (0.6, 0.2, 0.6), (0.9, 0.5, 0.3)),)
NETWORK = [
    {"netwerk_naam": f"Buur Nummer{i}", "netwerk_relatie": "buurvrouw", "netwerk_uren": i % 5}
    for i in range(40)
]
LONG = " ".join(
    f"zin{i} over het dagelijks leven van mevrouw en wat zij nog zelf kan." for i in range(160)
)


def tool(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=check)


def pdf_text(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return tool("pdftotext", *pages, str(path), "-").stdout


def pages(path: Path) -> int:
    info = tool("pdfinfo", str(path)).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def flip_in_stream(pdf: bytes) -> bytes:
    """Change one byte inside the first content stream (within the sealed byte range)."""
    at = pdf.index(b"stream\n") + 60
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


def answer_all(profile: Profile, external_id: str, *, long: bool = False) -> None:
    conversation = profile.open_conversation(external_id)
    answers = {
        "soort_gesprek": "eerste",
        "gespreksdatum": "2026-11-20",
        "plaats": "Hoogezand, thuis",
        "clientondersteuning_gewezen": True,
        "aanwezigen": [
            {"aanwezig_naam": "Zwaantje Markeerstra", "aanwezig_rol": "inwoner"},
            {"aanwezig_naam": "Piet Markeerstra", "aanwezig_rol": "zoon, mantelzorger"},
        ],
        "hulpvraag_eigen_woorden": "Ik wil zelf naar de weekmarkt kunnen."
        + (" " + LONG if long else ""),
        "relevante_leefgebieden": ["huishouden"],
        "huishouden_situatie": "Stofzuigen en de was lukken niet meer sinds de heupoperatie.",
        "zelfredzaamheid_huishouden": 2,
        "eigen_kracht": "Kookt zelf, doet lichte taken." + ("\n\n" + LONG if long else ""),
        "netwerk": NETWORK if long else NETWORK[:3],
        "resultaten": [
            {
                "resultaat": "Schoon en leefbaar huis",
                "oplossing": "maatwerkvoorziening",
                "motivatie_eigen_kracht": "Kan niet bukken na de operatie.",
                "motivatie_mantelzorg": "Zoon werkt voltijds en woont in Utrecht.",
                "wie_doet_wat": "Thuiszorg Noord, 3 uur per week",
                "startdatum": "2026-12-01",
            },
            {
                "resultaat": "Boodschappen in huis",
                "oplossing": "sociaal_netwerk",
                "motivatie_eigen_kracht": "Kan niet zelf tillen.",
                "wie_doet_wat": "Buurvrouw op dinsdag",
            },
        ],
        "evaluatiedatum": "2027-06-01",
        "aanvraag": True,
    }
    for question, value in answers.items():
        profile.save_answer(conversation, question, value)


@pytest.fixture
def planned(profile: Profile) -> Profile:
    profile.update_settings(consultant="Anja de Consulent", role="Wmo-consulent", language="en")
    profile.import_cases(case_document("M-2026-0412", form="test-plan"))
    answer_all(profile, "M-2026-0412")
    return profile


def sign_both(profile: Profile, ref: str) -> None:
    profile.plans.set_reaction(
        ref, True, "Ik ben het eens, graag ook hulp bij de tuin.", place="Hoogezand"
    )
    profile.plans.sign(
        ref,
        Signature(SignerRole.INHABITANT, "Zwaantje Markeerstra", place="Hoogezand", strokes=STROKE),
    )
    profile.plans.sign(
        ref,
        Signature(
            SignerRole.CONSULTANT, "Anja de Consulent", "Wmo-consulent", "Hoogezand", strokes=STROKE
        ),
    )


def test_the_plan_is_built_from_the_conversation(planned: Profile) -> None:
    plan = planned.plans.draft("M-2026-0412")
    assert plan.entries["request.own_words"] == "Ik wil zelf naar de weekmarkt kunnen."
    assert plan.entries["domains.huishouden.score"] == 2
    first, second = plan.results
    assert first.level == PyramidLevel.MAATWERKVOORZIENING
    assert first.motivations == {
        "eigen_kracht": "Kan niet bukken na de operatie.",
        "mantelzorg": "Zoon werkt voltijds en woont in Utrecht.",
    }
    assert first.missing_motivations() == [
        PyramidLevel.GEBRUIKELIJKE_HULP,
        PyramidLevel.SOCIAAL_NETWERK,
        PyramidLevel.ALGEMENE_VOORZIENING,
        PyramidLevel.VOORLIGGENDE_VOORZIENING,
    ]
    assert (
        second.level == PyramidLevel.SOCIAAL_NETWERK and second.who_what == "Buurvrouw op dinsdag"
    )
    assert plan.application is True
    assert planned.case("M-2026-0412").status == CaseStatus.PLAN_DRAFTED


def test_draft_pdf_reads_right_from_outside(planned: Profile, tmp_path: Path) -> None:
    planned.plans.draft("M-2026-0412")
    planned.plans.set_reaction("M-2026-0412", False, "Ik mis de hulp bij de tuin.")
    pdf, sealed = planned.plans.pdf("M-2026-0412")
    assert not sealed
    path = tmp_path / "draft.pdf"
    path.write_bytes(pdf)
    tool("qpdf", "--check", str(path))
    text = pdf_text(path)
    for expected in [
        "Zwaantje Markeerstra",
        "Schoon en leefbaar huis",
        "Boodschappen in huis",
        "Ik mis de hulp bij de tuin.",
        "M-2026-0412",
        "14 December 2026",
        "Kan niet bukken na de operatie.",
        "mandated officer",
        "Page 1 of",
    ]:
        assert expected in text, expected
    assert "999990019" not in text and "019" in text  # BSN partly masked
    assert "CONCEPT" not in text  # the draft mark is drawn, not text (test_pdf_quality)
    fonts = tool("pdffonts", str(path)).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb column


def test_long_answers_and_many_network_members_flow_over_pages(
    profile: Profile, tmp_path: Path
) -> None:
    profile.update_settings(language="en")
    profile.import_cases(case_document("M-LONG", form="test-plan"))
    answer_all(profile, "M-LONG", long=True)
    pdf, _ = profile.plans.pdf("M-LONG")
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    assert pages(path) >= 4
    text = " ".join(pdf_text(path).split())
    for i in range(160):  # no sentence cut off or lost at a page break
        assert f"zin{i} over" in text, i
    for i in range(40):
        assert f"Nummer{i}" in text
    total = pages(path)
    for page in range(1, total + 1):
        assert f"Page {page} of {total}" in pdf_text(path, page)


def test_open_legal_topics_block_signing(profile: Profile) -> None:
    profile.import_cases(case_document("M-OPEN", form="test-plan"))
    with pytest.raises(SealRefused, match=r"Needs, characteristics and preferences \(Wmo"):
        profile.plans.sign("M-OPEN", Signature(SignerRole.INHABITANT, "X", strokes=STROKE))


def test_signed_plan_is_sealed_and_outside_validators_agree(
    planned: Profile, profile_path: Path, tmp_path: Path
) -> None:
    sign_both(planned, "M-2026-0412")
    case = planned.case("M-2026-0412")
    assert case.status == CaseStatus.SIGNED
    assert [d["kind"] for d in planned.repo.documents(case.id)] == [SEALED_PLAN]
    assert planned.outbox.count() == 1
    pdf, sealed = planned.plans.pdf("M-2026-0412")
    assert sealed
    path = tmp_path / "sealed.pdf"
    path.write_bytes(pdf)
    tool("qpdf", "--check", str(path))
    text = pdf_text(path)
    assert "CONCEPT" not in text and "graag ook hulp bij de tuin" in text
    with pikepdf.open(path) as document:  # PDF/A-2b identification survives the seal
        meta = document.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "B")
        assert document.Root.OutputIntents[0].S == "/GTS_PDFA1"
    signed = tool("pdfsig", str(path)).stdout
    assert "Signature is Valid" in signed and "Total document signed" in signed
    identity = planned.plans.identity()
    assert verify_pdf(pdf, (identity.cert_pem,)).status == SealStatus.INTACT
    assert verify_pdf(pdf).status == SealStatus.UNKNOWN_SIGNER
    # One changed byte: both pdfsig and pyHanko say so (pdfsig exits 0 anyway: read its output).
    tampered = flip_in_stream(pdf)
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(tampered)
    assert "Signature is Valid" not in tool("pdfsig", str(bad), check=False).stdout
    assert verify_pdf(tampered, (identity.cert_pem,)).status == SealStatus.ALTERED
    # The sealed PDF lives only sealed in the vault, never as a loose file in the profile.
    for file in profile_path.rglob("*"):
        if file.is_file():
            assert b"%PDF" not in file.read_bytes()
    with pytest.raises(PlanNotReady):
        planned.plans.set_reaction("M-2026-0412", True, "later change")


def test_verify_command_reports_intact_altered_and_unknown(
    planned: Profile, tmp_path: Path
) -> None:
    sign_both(planned, "M-2026-0412")
    pdf, _ = planned.plans.pdf("M-2026-0412")
    good, cert = tmp_path / "plan.pdf", tmp_path / "device.pem"
    good.write_bytes(pdf)
    cert.write_bytes(planned.plans.identity().cert_pem)

    def run(*a: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kitchentable", "verify", *a],
            capture_output=True,
            text=True,
            env={**os.environ},
        )

    assert run(str(good), "--trust", str(cert)).stdout.startswith("intact")
    assert run(str(good)).stdout.startswith("unknown signer")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(flip_in_stream(pdf))
    result = run(str(bad), "--trust", str(cert))
    assert result.stdout.startswith("altered") and result.returncode == 1


def test_golden_pages_of_a_fixed_case(planned: Profile) -> None:
    plan = planned.plans.draft("M-2026-0412")
    plan = replace(plan, document_id="00000000-golden")
    pdf = planned.plans.render(plan, draft=True)
    path = GOLDEN.parent / "_golden_render.pdf"
    path.write_bytes(pdf)
    try:
        actual = [pdf_text(path, n) for n in range(1, pages(path) + 1)]
    finally:
        path.unlink()
    expected_file = GOLDEN / "plan-test-plan.txt"
    joined = "\f\n".join(actual)
    if os.environ.get("KITCHENTABLE_UPDATE_GOLDEN") or not expected_file.exists():
        expected_file.write_text(joined, encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8").split("\f\n")
    assert len(actual) == len(expected), "page count changed"
    for number, (got, want) in enumerate(zip(actual, expected, strict=True), start=1):
        assert got == want, f"page {number} differs from {expected_file.name}"


def test_a_table_cell_longer_than_a_page_still_renders(profile: Profile, tmp_path: Path) -> None:
    profile.update_settings(language="en")
    profile.import_cases(case_document("M-CELL", form="test-plan"))
    answer_all(profile, "M-CELL")
    conversation = profile.open_conversation("M-CELL")
    huge = " ".join(f"woord{i}" for i in range(2500))
    profile.save_answer(
        conversation, "netwerk", [{"netwerk_naam": "Buur", "netwerk_relatie": huge}]
    )
    pdf, _ = profile.plans.pdf("M-CELL")
    path = tmp_path / "cell.pdf"
    path.write_bytes(pdf)
    text = " ".join(pdf_text(path).split())
    assert "woord0" in text and "woord2499" in text


def test_a_signed_case_refuses_new_answers(planned: Profile) -> None:
    sign_both(planned, "M-2026-0412")
    conversation = planned.open_conversation("M-2026-0412")
    with pytest.raises(PlanNotReady, match="signed and sealed"):
        planned.save_answer(conversation, "plaats", "ergens anders")
    assert planned.open_conversation("M-2026-0412").state.value("plaats") == "Hoogezand, thuis"
