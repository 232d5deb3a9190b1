"""Plan benchmark (on demand): .venv/bin/python -m pytest tests/bench -s -o addopts="" -k plan

A ~10-page plan with two signatures: the app's render (compose + layout + PDF/A) against
plain reportlab building the same flowables without the app's layer, in the same run; and
the PAdES sealing time. "Before": the layout as it was before the text stack (shaping,
bidi, font fallback, column widths from words; render/pdf.py at BEFORE, loaded from git
under other font names), measured in the same run against its own plain baseline.
"""

from __future__ import annotations

import importlib.util
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from kitchentable.domain.plan import Signature, SignerRole
from kitchentable.render import fonts, paragraphs, textruns
from kitchentable.render.compose import compose
from kitchentable.render.pdf import BOTTOM, MARGIN_X, TOP, render_document
from kitchentable.render.seal import seal_pdf
from kitchentable.services import Profile
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document
from tests.core.test_plan import STROKE, answer_all

pytestmark = pytest.mark.bench
ROUNDS = 7
ROOT = Path(__file__).resolve().parents[2]
BEFORE = "c1276ee2a1525911327124edfd4604414b95b495"  # render/pdf.py before issue 11 item 9


def _before(tmp_path: Path) -> ModuleType | None:
    """The old layout module from git, its fonts renamed so they do not replace the app's."""
    try:
        source = subprocess.run(
            ["git", "show", f"{BEFORE}:kitchentable/render/pdf.py"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout with that commit
    path = tmp_path / "pdf_before.py"
    path.write_text(source.replace('FONT = "KTSans"', 'FONT = "KTSansBefore"'), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("pdf_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["pdf_before"] = module
    spec.loader.exec_module(module)
    return module


def _plain(story: list) -> bytes:
    """The same flowables, plain reportlab: no page furniture, no PDF/A."""
    buffer = io.BytesIO()
    # Same text width as the app (its frames have no padding; SimpleDocTemplate's have 6 pt).
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X - 6,
        rightMargin=MARGIN_X - 6,
        topMargin=TOP - 6,
        bottomMargin=BOTTOM - 6,
    ).build(list(story))
    return buffer.getvalue()


def _story(layout: object, document: object) -> list:
    """The layout's own story minus its page-template switch, which plain reportlab lacks."""
    story = layout.PlanPdf(document).story()  # type: ignore[attr-defined]
    return [f for f in story if type(f).__name__ != "NextPageTemplate"]


def _plain_ms(layout: object, document: object) -> float:
    """Median time of plain reportlab building the layout's flowables (made beforehand)."""
    times = []
    for _ in range(ROUNDS):
        story = _story(layout, document)
        start = time.perf_counter()
        _plain(story)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _median(fn) -> tuple[float, object]:
    times, result = [], None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def test_bench_plan(tmp_path: Path, forms) -> None:
    profile = Profile.create(tmp_path / "p", PASSPHRASE, forms=forms)
    profile.update_settings(consultant="Anja de Consulent", language="nl")
    profile.import_cases(case_document("M-BENCH", form="test-plan"))
    answer_all(profile, "M-BENCH", long=True)
    plan = profile.plans.draft("M-BENCH")
    for role in SignerRole:
        plan = plan.with_signature(
            Signature(role, "Naam", place="Hoogezand", date="2026-11-22", strokes=STROKE)
        )
    case = profile.case("M-BENCH")
    form = profile.forms.get(plan.form_id, plan.form_version)
    from kitchentable.services.plans import branding

    document = compose(
        plan, form, case, branding=branding("nl"), consultant="A", consultant_role="B", draft=False
    )
    app_ms, pdf = _median(lambda: profile.plans.render(plan, draft=False))
    layout_ms, _ = _median(lambda: render_document(document))
    compose_ms, _ = _median(
        lambda: compose(
            plan,
            form,
            case,
            branding=branding("nl"),
            consultant="A",
            consultant_role="B",
            draft=False,
        )
    )

    def cold() -> bytes:  # nothing cached from an earlier render of the same texts
        paragraphs.prepare.cache_clear()
        textruns.shape.cache_clear()
        textruns.width.cache_clear()
        return render_document(document)

    cold_ms, _ = _median(cold)
    start = time.perf_counter()
    fonts.font(fonts.CJK)  # once per process, when a plan first holds Chinese/Japanese/Korean
    cjk_load_ms = (time.perf_counter() - start) * 1000
    current = sys.modules["kitchentable.render.pdf"]
    plain_ms = _plain_ms(current, document)
    story_ms, _ = _median(lambda: _story(current, document))
    before = _before(tmp_path)
    if before is not None:
        before_ms, _ = _median(lambda: before.render_document(document))
        before_plain_ms = _plain_ms(before, document)
        before_story_ms, _ = _median(lambda: _story(before, document))
    identity = profile.plans.identity()
    seal_ms, _ = _median(lambda: seal_pdf(pdf, identity, reason="r", location="l", name="n"))
    pages = bytes(pdf).count(b"/Type /Page\n") or bytes(pdf).count(b"/Type /Page")
    profile.close()
    print(f"\n== plan benchmark (median of {ROUNDS}; {pages} pages, two signatures)")
    print(f"plain reportlab, same flowables:        {plain_ms:7.1f} ms")
    print(f"  of which making the flowables:        {story_ms:7.1f} ms  (shaping, widths)")
    print(
        f"app layout (furniture, page x of y):    {layout_ms:7.1f} ms  ({layout_ms / plain_ms:.2f}x plain)"
    )
    print(
        f"app layout, nothing cached:             {cold_ms:7.1f} ms  ({cold_ms / plain_ms:.2f}x plain)"
    )
    print(f"loading the CJK font (once a process):  {cjk_load_ms:7.1f} ms")
    if before is not None:
        print(f"before: plain reportlab, its flowables: {before_plain_ms:7.1f} ms")
        print(f"  before: making its flowables:         {before_story_ms:7.1f} ms")
        print(
            f"before: app layout:                     {before_ms:7.1f} ms"
            f"  ({before_ms / before_plain_ms:.2f}x its plain; now {layout_ms / before_ms:.2f}x"
            f" before, {cold_ms / before_ms:.2f}x uncached)"
        )
    print(f"compose (form labels, sections):        {compose_ms:7.1f} ms")
    print(
        f"app render total (+ PDF/A, + case read): {app_ms:7.1f} ms  ({app_ms / plain_ms:.2f}x plain)"
    )
    print(f"PAdES seal (EC P-256):                  {seal_ms:7.1f} ms")
