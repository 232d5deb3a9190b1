"""Plan benchmark (on demand): .venv/bin/python -m pytest tests/bench -s -o addopts="" -k plan

The realistic Wmo plan (the demo's 84-year-old after a hip operation, ~80 answers) with two
signatures: the app's render (compose + layout + PDF/A) against plain reportlab building the
same flowables without the app's layer, in the same run; the PAdES sealing time; and how
many pages are main text and how many the annex Verantwoording.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import time
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from kitchentable.domain.plan import Signature, SignerRole
from kitchentable.render.compose import compose
from kitchentable.render.pdf import BOTTOM, MARGIN_X, TOP, PlanPdf, render_document
from kitchentable.render.seal import seal_pdf
from kitchentable.services import Profile
from tests.conftest import PASSPHRASE
from tests.core.test_plan import STROKE
from tests.plan.helpers import WMO, demo_case

pytestmark = pytest.mark.bench
ROUNDS = 7


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
    profile.import_cases(demo_case(WMO))
    plan = profile.plans.draft(WMO)
    for role in (SignerRole.INHABITANT, SignerRole.CONSULTANT):
        plan = plan.with_signature(
            Signature(role, "Naam", place="Hoogezand", date="2026-11-22", strokes=STROKE)
        )
    case = profile.case(WMO)
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

    def plain() -> bytes:  # the same flowables, plain reportlab: no page furniture, no PDF/A
        # The app's own story minus its page-template switch, which plain reportlab lacks;
        # made afresh each round (a build consumes its flowables), as the app's render does.
        story = [f for f in PlanPdf(document).story() if type(f).__name__ != "NextPageTemplate"]
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

    plain_ms, _ = _median(plain)
    identity = profile.plans.identity()
    seal_ms, _ = _median(lambda: seal_pdf(pdf, identity, reason="r", location="l", name="n"))
    file = tmp_path / "plan.pdf"
    file.write_bytes(bytes(pdf))
    texts = subprocess.run(
        ["pdftotext", str(file), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")[:-1]
    pages = len(texts)
    annex = next(i for i, t in enumerate(texts) if "Bijlage: Verantwoording" in t)
    profile.close()
    print(f"\n== plan benchmark (median of {ROUNDS}; {pages} pages, two signatures)")
    print(f"main text {annex} pages, annex Verantwoording {pages - annex} pages")
    print(f"plain reportlab, same flowables:        {plain_ms:7.1f} ms")
    print(
        f"app layout (furniture, page x of y):    {layout_ms:7.1f} ms  ({layout_ms / plain_ms:.2f}x plain)"
    )
    print(f"compose (form labels, sections):        {compose_ms:7.1f} ms")
    print(
        f"app render total (+ PDF/A, + case read): {app_ms:7.1f} ms  ({app_ms / plain_ms:.2f}x plain)"
    )
    print(f"PAdES seal (EC P-256):                  {seal_ms:7.1f} ms")
