"""GUI benchmarks (run on demand, not in the test run):

    .venv/bin/python -m pytest tests/bench/test_bench_gui.py -s -p no:cacheprovider -o addopts=""

- cold start to the unlocked main window (case list painted), as a ratio to a bare PySide6
  window started the same way (a fresh process each time, medians of 3); the Argon2id
  unlock at production cost is reported separately;
- a case list of 5,000 cases: worker load time and model + first paint on the UI thread,
  and one search keystroke over 5,000 rows;
- peak memory (RSS) of the app with 10,000 cases listed, beside the bare window's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from kitchentable.domain.case import Address, Person
from kitchentable.services import Profile
from kitchentable.storage.crypto import KdfParams, derive_passphrase_key
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]

BARE = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare"))
    window.resize(1200, 800)
    window.show()
    app.processEvents()
    window.grab()
    print("RSS", open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
    status = open("/proc/self/status").read().split("VmRSS:")[1].split()[0]
    print("NOW", status)
    """
)

APP = textwrap.dedent(
    """
    import sys, time
    started = time.perf_counter()
    from pathlib import Path
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication
    from kitchentable.ui.app import prepare_application
    from kitchentable.ui.caselist import prepare_rows
    from kitchentable.ui.main_window import MainWindow
    from kitchentable.ui.translations import apply_language
    app = QApplication(sys.argv[:1])
    prepare_application(app)
    apply_language("nl")
    window = MainWindow(Path(sys.argv[1]))
    window.resize(1200, 800)
    window.show()
    def spin(condition):
        while not condition():
            app.processEvents()
            time.sleep(0.001)
    spin(lambda: window.unlock_screen is not None)
    shown = time.perf_counter()
    spin(lambda: window.probe_result is not None)  # the core loads on the worker meanwhile
    core = time.perf_counter()
    window.unlock_screen.passphrase.setText(sys.argv[2])
    window.unlock_screen.try_unlock()
    t_unlock = time.perf_counter()
    spin(lambda: window.cases is not None)
    unlocked = time.perf_counter()
    spin(lambda: window.cases.model.rowCount() > 0)
    app.processEvents()
    window.grab()
    painted = time.perf_counter()
    print("TIMES", shown - started, unlocked - t_unlock, painted - started, core - started)
    print("RSS", open("/proc/self/status").read().split("VmHWM:")[1].split()[0])
    status = open("/proc/self/status").read().split("VmRSS:")[1].split()[0]
    print("NOW", status)
    window.close()
    """
)


def _env(low_kdf: bool) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    if not low_kdf:
        env.pop("KITCHENTABLE_KDF_COST", None)
    return env


def _run(script: str, *args: str, low_kdf: bool = False) -> tuple[float, dict[str, list[float]]]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        env=_env(low_kdf),
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    values = {}
    for line in result.stdout.splitlines():
        key, *numbers = line.split()
        values[key] = [float(n) for n in numbers]
    return wall, values


def _make_profile(path: Path, cases: int, kdf: KdfParams | None = None) -> None:
    with Profile.create(path, PASSPHRASE, kdf=kdf) as profile, profile.db.atomic():
        for i in range(cases):
            profile.repo.create_case(
                external_id=f"M-{i:05d}",
                melding_date=date(2026, 11, 2) - timedelta(days=i % 50),
                form_id="test-casework",
                form_version="1.0",
                person=Person(
                    name=f"Inwoner{i} Achternaam{i % 97}",
                    bsn="",
                    address=Address(f"Dorpsstraat {i % 300}", "9601 AB", "Hoogezand"),
                ),
            )


def test_bench_cold_start_and_memory(tmp_path: Path) -> None:
    production = KdfParams.new()
    small = tmp_path / "small"
    _make_profile(small, 10, production)
    big = tmp_path / "big"
    _make_profile(big, 10_000, production)

    started = time.perf_counter()
    derive_passphrase_key(PASSPHRASE, production)
    kdf = time.perf_counter() - started

    bare = [_run(BARE) for _ in range(3)]
    app = [_run(APP, str(small), PASSPHRASE) for _ in range(3)]
    bare_wall = statistics.median(w for w, _ in bare)
    app_wall = statistics.median(w for w, _ in app)
    to_shown = statistics.median(v["TIMES"][0] for _, v in app)
    unlock_op = statistics.median(v["TIMES"][1] for _, v in app)
    to_painted = statistics.median(v["TIMES"][2] for _, v in app)
    core_loaded = statistics.median(v["TIMES"][3] for _, v in app)
    _, big_values = _run(APP, str(big), PASSPHRASE)
    bare_rss = statistics.median(v["RSS"][0] for _, v in bare) / 1024
    app_rss = statistics.median(v["RSS"][0] for _, v in app) / 1024
    big_rss = big_values["RSS"][0] / 1024
    bare_now = statistics.median(v["NOW"][0] for _, v in bare) / 1024
    app_now = statistics.median(v["NOW"][0] for _, v in app) / 1024
    big_now = big_values["NOW"][0] / 1024
    print(
        json.dumps(
            {
                "bare_window_process_s": round(bare_wall, 3),
                "app_process_to_unlocked_list_s": round(app_wall, 3),
                "ratio_app_vs_bare": round(app_wall / bare_wall, 2),
                "ratio_app_minus_unlock_vs_bare": round((app_wall - unlock_op) / bare_wall, 2),
                "in_app_start_to_unlock_screen_s": round(to_shown, 3),
                "in_app_start_to_core_loaded_on_worker_s": round(core_loaded, 3),
                "unlock_task_s (Argon2id + open + forms)": round(unlock_op, 3),
                "kdf_alone_s": round(kdf, 3),
                "in_app_start_to_painted_list_s": round(to_painted, 3),
                "rss_bare_MiB": round(bare_now, 1),
                "rss_app_10_cases_listed_MiB": round(app_now, 1),
                "rss_app_10000_cases_listed_MiB": round(big_now, 1),
                "peak_rss_(VmHWM)_bare_MiB": round(bare_rss, 1),
                "peak_rss_(VmHWM)_app_10_cases_MiB": round(app_rss, 1),
                "peak_rss_(VmHWM)_app_10000_cases_MiB": round(big_rss, 1),
                "big_list_process": round(big_values["TIMES"][2], 3),
            },
            indent=2,
        )
    )


def test_bench_case_list_of_5000(tmp_path: Path, qtbot) -> None:
    from PySide6.QtCore import QEvent, QObject

    from kitchentable.ui.caselist import prepare_rows
    from kitchentable.ui.main_window import MainWindow

    path = tmp_path / "p"
    _make_profile(path, 5000)
    window = MainWindow(path)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitUntil(lambda: window.unlock_screen is not None)
    window.unlock_screen.passphrase.setText(PASSPHRASE)
    window.unlock_screen.try_unlock()
    qtbot.waitUntil(lambda: window.cases is not None and window.cases.model.rowCount() == 5000)
    page = window.cases

    painted: list[float] = []

    class PaintWatch(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(time.perf_counter())
            return False

    watch = PaintWatch()
    page.table.viewport().installEventFilter(watch)
    loads = []
    for _ in range(3):
        rows = []
        started = time.perf_counter()
        page.session.op(page, lambda p: prepare_rows(p.case_summaries())).success(
            rows.append
        ).run_in_background()
        qtbot.waitUntil(lambda rows=rows: bool(rows))
        loaded = time.perf_counter()
        painted.clear()
        t0 = time.perf_counter()
        page._loaded(rows[0])
        set_rows = time.perf_counter() - t0
        qtbot.waitUntil(lambda: bool(painted))
        loads.append((loaded - started, set_rows, painted[0] - loaded))
    keystroke = []
    for text in ("i", "in", "inw", "inwoner12", ""):
        t0 = time.perf_counter()
        page.search.setText(text)
        keystroke.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "worker_load_5000_s": round(statistics.median(x[0] for x in loads), 3),
                "ui_thread_model_reset_5000_s": round(statistics.median(x[1] for x in loads), 3),
                "load_done_to_first_paint_s": round(statistics.median(x[2] for x in loads), 3),
                "search_keystroke_max_s": round(max(keystroke), 3),
            },
            indent=2,
        )
    )
    window.close()
