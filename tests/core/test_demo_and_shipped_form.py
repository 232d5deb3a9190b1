"""The demo profile on the shipped Wmo form: a newcomer's first minutes must just work."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kitchentable.demo import DEMO_PASSPHRASE, ensure_demo_profile
from kitchentable.render.values import mask_bsn
from kitchentable.services import Profile


def test_demo_profile_has_a_finished_conversation_and_a_dutch_plan(tmp_path: Path, forms) -> None:
    path = ensure_demo_profile(tmp_path / "demo")
    with Profile.unlock(path, DEMO_PASSPHRASE, forms=forms) as profile:
        assert profile.settings.demo
        assert len(profile.case_summaries()) == 6
        assert [s.external_id for s in profile.case_summaries("yildiz")] == ["M-2026-0425"]
        conversation = profile.open_conversation("M-2026-0412")
        assert conversation.form.id == "wmo-keukentafelgesprek"
        assert conversation.state.open_topics() == [] and conversation.state.errors() == {}
        plan = profile.plans.draft("M-2026-0412")
        assert [r.level.value for r in plan.results if r.level] == [
            "maatwerkvoorziening",
            "algemene_voorziening",
        ]
        assert plan.results[0].missing_motivations() == []
        pdf, sealed = profile.plans.pdf("M-2026-0412")
    assert not sealed
    file = tmp_path / "plan.pdf"
    file.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(file), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in [
        "Verslag en ondersteuningsplan",
        "Pagina 1 van",
        "Geertruida (Truus) Bakker-Huizinga",
        "Mevrouw woont in een schoon en leefbaar huis",
        "Waarom niet: Algemene",
        "gemandateerde",
        mask_bsn("999990019"),
    ]:
        assert expected in text, expected
    assert "999990019" not in text
    assert "CONCEPT" not in text  # a draft's mark is drawn, not text (test_pdf_quality)


def test_a_gezinsplan_renders_with_its_own_sections(profile: Profile, tmp_path: Path) -> None:
    profile.import_cases(
        {
            "cases": [
                {
                    "external_id": "J-2026-0001",
                    "melding_date": "2026-11-02",
                    "form": "jeugd-gezinsplan",
                    "person": {"name": "Familie de Jong"},
                }
            ]
        }
    )
    conversation = profile.open_conversation("J-2026-0001")
    form = conversation.form
    goals = form.question("doelen")
    assert goals is not None
    first = {q.id: q for q in goals.questions}
    text_field = next(q for q in goals.questions if q.type.value in ("text", "longtext"))
    profile.save_answer(conversation, "doelen", [{text_field.id: "Ruzies thuis worden minder"}])
    pdf, _ = profile.plans.pdf("J-2026-0001")
    file = tmp_path / "gezinsplan.pdf"
    file.write_bytes(pdf)
    raw = subprocess.run(
        ["pdftotext", str(file), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(raw.split())
    assert "Jeugdwet art. 4.1.3" in text and "Doelen en acties" in text
    assert "Ruzies thuis worden minder" in text
    assert "binnen twee weken" not in text and "ouders en de jeugdige" in text  # the jeugd note
    assert first  # the goals group has fields
