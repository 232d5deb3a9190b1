"""Autosave latency while a sync runs against a slow office (on demand):

    .venv/bin/python -m pytest tests/bench/test_bench_autosave_sync.py -s -o addopts="" -p no:cacheprovider

The app's own path, without widgets: a Session on the database worker, answers saved as the
autosaver saves them (one Op each, the latency measured from submit to the callback on the
UI thread), first with nothing else running (the baseline, same run), then while a sync of
400 changed cases runs on the network lane against an office (its own process) behind a slow
line (a relay in a process of its own) that holds back every answer SLOW seconds — so the
sync's database steps (collect, prepare, settle, the access log) interleave with the saves.
Prints p50/p95/p99 of both and the ratio of the p99s (the goal: at most 2x).
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import ExitStack
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from kitchentable.config import Settings
from kitchentable.domain.case import Address, BsnSource, Person
from kitchentable.formengine.loader import FormRegistry
from kitchentable.services import Profile, sync
from kitchentable.ui.session import Session
from kitchentable.ui.tasks import NetOp, task_manager
from tests.bench.synchelp import enrolment_codes, make_office, office_process, pct, slow_line
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.bench

CASES = 400
SAVES = 120
SLOW = 1.5  # s the office waits before every answer
QUESTION = "hulpvraag_eigen_woorden"


def _laptop(path: Path, forms: FormRegistry, url: str, code: str) -> str:
    """A profile with CASES changed cases (never sent), enrolled; the id of one of them."""
    with Profile.create(path, PASSPHRASE, settings=Settings(consultant="anna"), forms=forms) as p:
        ids = [
            p.create_case(
                external_id=f"M-2026-{i:05d}",
                melding_date=date.today() - timedelta(days=10),
                person=Person(
                    name=f"Inwoner {i}",
                    bsn="999990019",
                    bsn_source=BsnSource.OFFICE,
                    birth_date="1950-01-01",
                    address=Address("Kerkstraat 12", "9601 AB", "Hoogezand"),
                ),
            )
            for i in range(CASES)
        ]
        for case_id in ids:
            p.save_answer(p.open_conversation(case_id), QUESTION, "Zelf naar de markt.")
        sync.enrol(p, url, code, "bench")
        return ids[0]


def _saves(qtbot: Any, session: Session, conversation: Any, rng: random.Random) -> list[float]:
    latencies: list[float] = []

    def saved(_value: object, started: float) -> None:
        latencies.append((time.perf_counter() - started) * 1000)

    for i in range(SAVES):
        count = len(latencies)
        session.save_answer(None, conversation, QUESTION, f"Antwoord {i}").success(
            partial(saved, started=time.perf_counter())
        ).run_in_background()
        qtbot.waitUntil(lambda count=count: len(latencies) > count, timeout=10_000)
        qtbot.wait(rng.randint(5, 25))  # typing between saves
    return latencies


def test_bench_autosave_latency_during_a_sync_against_a_slow_office(
    qtbot: Any, tmp_path: Path, forms: FormRegistry
) -> None:
    data = tmp_path / "office"
    make_office(data)
    (code,) = enrolment_codes(data, "anna", 1)
    delay = tmp_path / "delay"
    with ExitStack() as stack:
        # The office and the slow line each in a process of their own, as across a real
        # line: only the laptop's threads share this interpreter.
        office = stack.enter_context(office_process(data))
        line = stack.enter_context(slow_line(office.url, delay, tmp_path / "line.log"))
        case_id = _laptop(tmp_path / "laptop", forms, line.url, code)
        session = Session(tmp_path / "laptop", forms)
        opened: list[Any] = []
        session.unlock(None, PASSPHRASE).success(
            lambda _s: (
                session.open_conversation(None, case_id).success(opened.append).run_in_background()
            )
        ).run_in_background()
        qtbot.waitUntil(lambda: bool(opened), timeout=30_000)
        conversation = opened[0].worker_side
        rng = random.Random(5)
        _saves(qtbot, session, conversation, rng)  # warm-up
        alone = _saves(qtbot, session, conversation, rng)

        delay.write_text(str(SLOW))
        cancel = threading.Event()
        finished: list[object] = []
        steps: list[float] = []
        worker_lane = session.lane()

        def lane(step: Any) -> Any:  # the session's lane, counting the sync's steps
            steps.append(time.perf_counter())
            return worker_lane(step)

        NetOp(
            None,
            lambda: sync.synchronise_on(
                lane, cancel=cancel, others_waiting=task_manager().ops_waiting
            ),
        ).success(finished.append).failure(finished.append).run_in_background()
        qtbot.wait(100)  # the sync is collecting
        window = time.perf_counter()
        during = _saves(qtbot, session, conversation, rng)
        window = time.perf_counter() - window
        overlapping = len(steps)
        still_running = not finished
        cancel.set()
        qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
        session.lock(None).run_in_background()
    assert still_running, f"the sync ended before the measurement did: {finished}"
    print(
        f"\n== autosave latency, {SAVES} saves each (database worker; office answers after "
        f"{SLOW} s; sync of {CASES} changed cases)"
    )
    for label, values in (("without a sync", alone), ("during a sync", during)):
        print(
            f"  {label:<15} p50 {pct(values, 50):6.1f} ms  p95 {pct(values, 95):6.1f} ms  "
            f"p99 {pct(values, 99):6.1f} ms  max {max(values):6.1f} ms"
        )
    print(
        f"  the sync handed the database worker {overlapping} steps up to the end of the "
        f"{window:.1f} s of saves"
    )
    print(f"  ratio p99 during/without: {pct(during, 99) / pct(alone, 99):.1f}x (goal <= 2x)")
