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
        assert len(profile.case_summaries()) == 7
        assert [s.external_id for s in profile.case_summaries("yildiz")] == ["M-2026-0425"]
        for reference in ("M-2026-0412", "J-2026-0007"):  # the two finished conversations
            conversation = profile.open_conversation(reference)
            assert conversation.state.open_topics() == [], reference
            assert conversation.state.errors() == {}, reference
        assert conversation.form.id == "jeugd-gezinsplan"
        plan = profile.plans.draft("M-2026-0412")
        assert [r.level for r in plan.results if r.level] == [
            "maatwerkvoorziening",
            "algemene_voorziening",
            "eigen_kracht",
            "eigen_kracht",
            "voorliggende_voorziening",
            "sociaal_netwerk",
        ]
        assert all(r.missing_motivations() == [] for r in plan.results)
        assert plan.entries["advice.needed"] is True  # derived from the weighing, not asked
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
        "Bijlage: Verantwoording",
        "Wat gebeurt er nu",
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
    profile.save_answer(conversation, "doelen", [{"doel": "Ruzies thuis worden minder"}])
    pdf, _ = profile.plans.pdf("J-2026-0001")
    file = tmp_path / "gezinsplan.pdf"
    file.write_bytes(pdf)
    raw = subprocess.run(
        ["pdftotext", str(file), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(raw.split())
    assert "Gezinsplan" in text and "Doelen en wat er nodig is" in text
    assert "Ruzies thuis worden minder" in text
    assert "twee weken" not in text and "Wmo-consulent" not in text and "Jeugdconsulent" in text
