"""Conversation benchmarks (issue 10; run on demand, not in the test run):

    .venv/bin/python -m pytest tests/bench/test_bench_conversation.py -s -p no:cacheprovider \
        -o addopts=""

- keystroke → processed (QTest.keyClick + processEvents) in a longtext of the shipped Wmo
  form, 500 keys, next to a bare QPlainTextEdit typed the same way in the same run;
- one answer change that flips a section's visibility: on the Wmo form and on a generated
  form with 1,000 questions (the second may cost at most 1.5x the first);
- process CPU seconds for typing 1,000 characters at 8 keys/s, autosaves included, next to
  the same typing into a bare QPlainTextEdit. The rhythm is kept but time runs faster: keys
  come from a timer every 125/SPEEDUP ms and the autosave pause and its ceiling are divided
  by the same factor, so the number of saves is what 8 keys/s gives (one save per two
  seconds of typing) while the wall time is SPEEDUP times shorter. Idle time costs no CPU,
  so the CPU figure is what the real rhythm costs, give or take the timer wake-ups.

Figures print as JSON. The machine may be loaded: medians and ratios against the baseline of
the same run are what to compare.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPlainTextEdit

from kitchentable.config import Settings
from kitchentable.domain.case import Address, Person
from kitchentable.formengine.loader import FormRegistry, parse_form_text
from kitchentable.formengine.session import ConversationState
from kitchentable.services import Profile
from tests.conftest import PASSPHRASE
from tests.formengine.generated_forms import large_form

pytestmark = pytest.mark.bench
KEYS = 500
TEXT = "De inwoner vertelt dat zij sinds de val in maart niet meer zelf boodschappen doet. "
WAIT_MS = 20_000


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_pct(values, 50), 3),
        "p99_ms": round(_pct(values, 99), 3),
        "max_ms": round(max(values), 3),
    }


def _open_wmo_case(qtbot, profile_path: Path, forms: FormRegistry):
    from kitchentable.ui.main_window import MainWindow

    settings = Settings(consultant="Bench Consulent", team="Wijkteam Bench", language="nl")
    with Profile.create(profile_path, PASSPHRASE, settings=settings, forms=forms) as profile:
        case_id = profile.create_case(
            external_id="M-2026-0001",
            melding_date=date.today() - timedelta(days=10),
            person=Person(name="Geertruida Bakker", address=Address("Kerkstraat 12")),
            form_id="wmo-keukentafelgesprek",
        )
    window = MainWindow(profile_path, forms=forms)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.unlock_screen is not None, timeout=WAIT_MS)
    window.unlock_screen.passphrase.setText(PASSPHRASE)
    window.unlock_screen.try_unlock()
    qtbot.waitUntil(lambda: window.cases is not None, timeout=WAIT_MS)
    window.open_case(case_id)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=WAIT_MS)
    page = window.conversation
    page.show_section("voorbereiding")
    return window, page


def _type(widget, keys: int) -> list[float]:
    app = QApplication.instance()
    times = []
    for i in range(keys):
        char = TEXT[i % len(TEXT)]
        started = time.perf_counter()
        QTest.keyClick(widget, char)
        app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _bare_editor(qtbot) -> QPlainTextEdit:
    bare = QPlainTextEdit()
    qtbot.addWidget(bare)
    bare.resize(600, 200)
    bare.show()
    bare.setFocus()
    return bare


def test_bench_keystroke_in_a_longtext(qtbot, tmp_path: Path, forms: FormRegistry) -> None:
    window, page = _open_wmo_case(qtbot, tmp_path / "p", forms)
    editor = page.pages["voorbereiding"].rows["bestaande_ondersteuning"].field.edit
    editor.setFocus()
    _type(editor, 20)  # warm up (first paint, fonts)
    app_times = _type(editor, KEYS)
    bare = _bare_editor(qtbot)
    _type(bare, 20)
    bare_times = _type(bare, KEYS)
    page.flush()
    qtbot.waitUntil(lambda: not page.saver.has_pending(), timeout=WAIT_MS)
    app, base = _summary(app_times), _summary(bare_times)
    print(
        json.dumps(
            {
                "keystroke_wmo_longtext": app,
                "keystroke_bare_qplaintextedit": base,
                "ratio_p50": round(app["p50_ms"] / base["p50_ms"], 2),
                "ratio_p99": round(app["p99_ms"] / base["p99_ms"], 2),
            },
            indent=2,
        )
    )
    window.close()


def _flip_cost(
    state: ConversationState, question_id: str, on: object, off: object, rounds: int = 200
) -> list[float]:
    """Milliseconds per answer change that shows and then hides a section, with what a UI
    asks afterwards (every section's visibility and progress, the open topics)."""
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        state.set(question_id, on if i % 2 == 0 else off)
        for section in state.form.sections:
            if state.section_visible(section):
                state.progress(section)
        state.open_topics()
        times.append((time.perf_counter() - started) * 1000)
    return times


def test_bench_answer_that_flips_a_section(forms: FormRegistry) -> None:
    wmo = forms.get("wmo-keukentafelgesprek")
    flip = wmo.section("domein_wonen")
    assert flip is not None and flip.visible_if is not None
    trigger = "relevante_leefgebieden"
    assert flip.visible_if.names == {trigger}
    # The generated form's sections are as long as the Wmo section that flips: the same
    # dependents in a form eight times the size, so the ratio shows what size alone costs.
    big = parse_form_text(large_form(per_section=len(flip.questions)), "generated.yaml")
    assert len(big.questions()) == 1000
    big_answers: dict[str, object] = {
        q.id: True for q in big.questions() if q.id.startswith("open_") and q.id != "open_7"
    }
    big_answers |= {q.id: "x" for q in big.questions() if q.type == "text"}
    small = _flip_cost(ConversationState(wmo, {}), trigger, ["wonen"], None)
    large = _flip_cost(ConversationState(big, big_answers), "open_7", True, None)
    result = {
        "wmo_section": flip.id,
        "wmo_trigger": trigger,
        "wmo_questions": len(wmo.questions()),
        "flip_wmo": _summary(small),
        "generated_questions": len(big.questions()),
        "flip_generated_1000": _summary(large),
        "ratio_generated_vs_wmo_p50": round(_pct(large, 50) / _pct(small, 50), 2),
    }
    print(json.dumps(result, indent=2))


SPEEDUP = 5
CHARS = 1000


def _type_on_timer(qtbot, widget, done) -> float:
    """Types CHARS characters at 8 keys/s (time SPEEDUP times faster); returns CPU seconds."""
    fed = [0]
    timer = QTimer()
    timer.setInterval(round(125 / SPEEDUP))

    def feed() -> None:
        if fed[0] >= CHARS:
            timer.stop()
            return
        QTest.keyClick(widget, TEXT[fed[0] % len(TEXT)])
        fed[0] += 1

    timer.timeout.connect(feed)
    started = time.process_time()
    timer.start()
    qtbot.waitUntil(lambda: fed[0] >= CHARS, timeout=CHARS * 1000)
    qtbot.waitUntil(done, timeout=WAIT_MS)
    return time.process_time() - started


def test_bench_cpu_typing_1000_characters(
    qtbot, tmp_path: Path, forms: FormRegistry, monkeypatch
) -> None:
    from kitchentable.ui.conversation import autosave

    monkeypatch.setattr(autosave, "DEBOUNCE_MS", autosave.DEBOUNCE_MS // SPEEDUP)
    monkeypatch.setattr(autosave, "MAX_WAIT_MS", autosave.MAX_WAIT_MS // SPEEDUP)
    window, page = _open_wmo_case(qtbot, tmp_path / "p", forms)
    editor = page.pages["voorbereiding"].rows["bestaande_ondersteuning"].field.edit
    editor.setFocus()
    saves = [0]
    page.saver.saved.connect(lambda *_: saves.__setitem__(0, saves[0] + 1))
    app_cpu = _type_on_timer(qtbot, editor, lambda: not page.saver.has_pending())
    bare = _bare_editor(qtbot)
    bare_cpu = _type_on_timer(qtbot, bare, lambda: True)
    print(
        json.dumps(
            {
                "chars": CHARS,
                "rhythm": f"8 keys/s, time x{SPEEDUP}",
                "autosaves": saves[0],
                "cpu_s_app_wmo_longtext": round(app_cpu, 3),
                "cpu_s_bare_qplaintextedit": round(bare_cpu, 3),
                "ratio": round(app_cpu / bare_cpu, 2),
            },
            indent=2,
        )
    )
    assert editor.toPlainText().startswith(TEXT[:20])
    window.close()
