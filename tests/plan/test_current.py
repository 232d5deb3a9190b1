"""Every PDF and export is built from the current answers; a signed plan is its sealed
document and is never rebuilt; an old conversation keeps rendering with its own form."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from kitchentable.errors import FormErrors
from kitchentable.formengine.loader import FormRegistry, parse_form_text
from kitchentable.formengine.model import PrintTarget
from kitchentable.services import Profile
from tests.conftest import PASSPHRASE
from tests.plan.helpers import WMO, cli_env, demo_case, flat, pdf_text, signatures
from tests.plan.helpers import kt as run


def kt(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = run(env, *args)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def env(profile: Profile, profile_path: Path) -> dict[str, str]:
    profile.update_settings(consultant="Anja de Consulent", language="nl")
    profile.import_cases(demo_case(WMO))
    profile.plans.draft(WMO)  # a stored draft that later answers make stale
    profile.close()
    return cli_env(profile_path)


def test_export_after_changed_answers_shows_the_new_content_and_not_the_old(
    env: dict[str, str], profile_path: Path, tmp_path: Path
) -> None:
    before = tmp_path / "before.pdf"
    kt(env, "export", WMO, "--format", "pdf", "--out", str(before))
    assert "Gerda Smit" in flat(pdf_text(before.read_bytes(), tmp_path, "b.pdf"))
    kt(env, "answer", WMO, "netwerk", json.dumps([{"netwerk_naam": "Hennie de Wit"}]))
    kt(env, "answer", WMO, "consulenten", "Bram Tweede, Wmo-consulent")
    after = tmp_path / "after.pdf"
    kt(env, "export", WMO, "--format", "pdf", "--out", str(after))
    text = flat(pdf_text(after.read_bytes(), tmp_path, "a.pdf"))
    assert "Hennie de Wit" in text and "Bram Tweede" in text
    assert "Gerda Smit, " not in text and "Buurman of buurvrouw" not in text
    exported = tmp_path / "case.json"
    kt(env, "export", WMO, "--out", str(exported))
    plan = json.loads(exported.read_text(encoding="utf-8"))["plan"]
    assert plan["entries"]["network"] == [{"netwerk_naam": "Hennie de Wit"}]
    assert plan["entries"]["present.consultants"] == "Bram Tweede, Wmo-consulent"


def test_a_signed_plan_is_its_sealed_document_never_rebuilt(
    env: dict[str, str], profile_path: Path, tmp_path: Path
) -> None:
    with Profile.unlock(profile_path, PASSPHRASE) as profile:
        profile.plans.seal(WMO, True, "", "Hoogezand", signatures(profile, WMO))
        sealed, _ = profile.plans.pdf(WMO)
        profile.update_settings(consultant="Iemand Anders")
    out = tmp_path / "sealed.pdf"
    kt(env, "export", WMO, "--format", "pdf", "--out", str(out))
    assert out.read_bytes() == sealed
    exported = tmp_path / "case.json"
    kt(env, "export", WMO, "--out", str(exported))
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["plan"]["signatures"] and data["case"]["status"] == "signed"


def test_file_only_answers_are_in_the_office_export_and_the_sealed_plan(
    env: dict[str, str], profile_path: Path, tmp_path: Path
) -> None:
    with Profile.unlock(profile_path, PASSPHRASE) as profile:
        profile.plans.seal(WMO, True, "", "Hoogezand", signatures(profile, WMO))
        queued = profile.outbox.pending()[0].payload["plan"]["entries"]
    assert queued["informal_care.load"] == 2 and queued["safety.signals"] is False
    exported = tmp_path / "case.json"
    kt(env, "export", WMO, "--out", str(exported))
    entries = json.loads(exported.read_text(encoding="utf-8"))["plan"]["entries"]
    assert entries["informal_care.load"] == 2


def test_an_old_conversation_keeps_rendering_with_its_own_form_version(
    profile: Profile, tmp_path: Path
) -> None:
    profile.update_settings(language="nl")
    old = profile.forms.get("wmo-keukentafelgesprek", "2026.1")
    assert profile.forms.get("wmo-keukentafelgesprek").version == "2026.2"
    profile.import_cases(demo_case(WMO, drop=tuple(demo_case(WMO)["cases"][0]["answers"])))
    case = profile.case(WMO)
    with profile.db.atomic():
        profile.repo.start_conversation(case.id, old.id, old.version, old.sha256)
    conversation = profile.open_conversation(WMO)
    assert conversation.form.version == "2026.1"
    for question, value in {
        "hulpvraag_eigen_woorden": "Het huishouden lukt niet meer.",
        "maatwerk_nodig": True,  # asked in 2026.1; computed since 2026.2
        "maatwerk_soort": "hulp_huishouden",
        "maatwerk_omvang": "3 uur per week",
    }.items():
        profile.save_answer(conversation, question, value)
    text = flat(pdf_text(profile.plans.pdf(WMO)[0], tmp_path))
    assert "wmo-keukentafelgesprek 2026.1" in text
    assert "Het huishouden lukt niet meer." in text and "3 uur per week" in text


FORM = """
id: t
version: "1"
kind: wmo
address: {address}
title: {{nl: T, en: T}}
legal_topics: []
sections:
  - id: s
    title: {{nl: S, en: S}}
    questions:
      - {{id: a, type: text, label: {{nl: A, en: A}}, plan: request.a, print: {target}}}
      - {{id: b, type: scale, label: {{nl: B, en: B}}, plan: domains.x.score, levels: [{{nl: '1', en: '1'}}, {{nl: '2', en: '2'}}, {{nl: '3', en: '3'}}, {{nl: '4', en: '4'}}, {{nl: '5', en: '5'}}]}}
      - {{id: c, type: yesno, label: {{nl: C, en: C}}, plan: checks.c}}
      - {{id: d, type: longtext, label: {{nl: D, en: D}}, plan: safety.d}}
      - {{id: e, type: text, label: {{nl: E, en: E}}, plan: request.e, print_label: {{nl: Uw E, en: Your E}}}}
      - {{id: f, type: date, label: {{nl: F, en: F}}, plan: header.f}}
"""


def test_the_print_key_routes_each_answer_and_has_sensible_defaults() -> None:
    form = parse_form_text(FORM.format(address="je", target="file"))
    targets = {q.id: q.print_target for q in form.questions()}
    assert targets == {
        "a": PrintTarget.FILE,
        "b": PrintTarget.ANNEX,  # a score
        "c": PrintTarget.ANNEX,  # a procedural check
        "d": PrintTarget.FILE,  # safety never reaches paper unless a form says so
        "e": PrintTarget.MAIN,
        "f": PrintTarget.ANNEX,  # the header box on page 1 already says it
    }
    assert form.address == "je" and form.question("e").printed_label("nl") == "Uw E"


def test_a_wrong_print_target_is_a_form_error_with_its_line() -> None:
    with pytest.raises(FormErrors) as caught:
        parse_form_text(FORM.format(address="u", target="nowhere"), "f.yaml")
    assert any(e.line == 12 and "nowhere" in e.message for e in caught.value.errors)


def test_the_wmo_safety_levels_no_longer_lump_abuse_with_falls() -> None:
    form = FormRegistry.from_directory().get("wmo-keukentafelgesprek")
    levels = " ".join(level.nl for level in form.question("zelfredzaamheid_veiligheid").levels)
    assert "vallen" in levels and not re.search(r"misbruik|verwaarlozing|mishandeling", levels)
    signals = form.question("veiligheid_signalen")
    assert signals is not None and signals.required is True
    assert signals.print_target == PrintTarget.FILE
    meldcode = [q for q in form.questions() if q.plan and q.plan.startswith("safety.")]
    assert len(meldcode) >= 14 and all(q.print_target == PrintTarget.FILE for q in meldcode)
    assert form.question("mantelzorg_belasting").print_target == PrintTarget.FILE
