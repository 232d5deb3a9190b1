"""Core benchmarks (run on demand, not in the test run):

    .venv/bin/python -m pytest tests/bench -s -o addopts="" -k core

Figures are printed as ratios against a plain baseline measured in the same run.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date
from pathlib import Path

import pytest
import sqlite_utils

from kitchentable.domain.case import Address, Person
from kitchentable.services import Profile
from kitchentable.storage import crypto
from tests.conftest import PASSPHRASE

pytestmark = pytest.mark.bench
CASES = 10_000
SAVES = 500


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def _fill(profile: Profile) -> None:
    with profile.db.atomic():
        for i in range(CASES):
            profile.repo.create_case(
                external_id=f"M-{i:05d}",
                melding_date=date(2026, 11, 2),
                form_id="test-casework",
                form_version="1.0",
                person=Person(
                    name=f"Inwoner{i} Achternaam{i % 97}",
                    bsn="",
                    address=Address(postcode="9601 AB"),
                ),
                notes="n" * 1500,
            )


def test_bench_core(tmp_path: Path, forms) -> None:
    profile = Profile.create(tmp_path / "p", PASSPHRASE, forms=forms)
    started = time.perf_counter()
    _fill(profile)
    fill = time.perf_counter() - started
    conversation = profile.open_conversation("M-05000")
    answer = "x" * 2000
    app = []
    for i in range(SAVES):
        t = time.perf_counter()
        profile.save_answer(conversation, "notitie", f"{i} {answer}")
        app.append((time.perf_counter() - t) * 1000)

    # Baseline: plaintext sqlite-utils upsert of the same size, same pragmas (WAL, FULL).
    plain = sqlite_utils.Database(tmp_path / "plain.db")
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = FULL")
    plain["answers"].insert_all(({"id": str(i), "data": answer} for i in range(CASES)), pk="id")
    base = []
    for i in range(SAVES):
        t = time.perf_counter()
        plain["answers"].upsert({"id": "5000", "data": f"{i} {answer}"}, pk="id")
        base.append((time.perf_counter() - t) * 1000)

    searches = []
    for i in range(50):
        t = time.perf_counter()
        found = profile.case_summaries(f"inwoner{i * 37}")
        searches.append((time.perf_counter() - t) * 1000)
        assert len(found) == 1
    t = time.perf_counter()
    listed = profile.case_summaries()
    list_all = (time.perf_counter() - t) * 1000
    assert len(listed) == CASES

    kdf = []
    for _ in range(3):
        params = crypto.KdfParams.new()  # production cost, not the tests' low cost
        t = time.perf_counter()
        crypto.derive_passphrase_key(PASSPHRASE, params)
        kdf.append(time.perf_counter() - t)
    profile.close()
    size = os.path.getsize(tmp_path / "p" / "kitchentable.db")

    print(f"\n== core benchmark ({CASES} cases, {SAVES} saves of a 2 KB answer)")
    print(f"fill {CASES} cases in one transaction: {fill:.2f} s; database {size / 1e6:.1f} MB")
    print(f"save answer    p50 {_pct(app, 50):.2f} ms  p99 {_pct(app, 99):.2f} ms")
    print(f"plain upsert   p50 {_pct(base, 50):.2f} ms  p99 {_pct(base, 99):.2f} ms")
    print(
        f"ratio app/plain p50 {_pct(app, 50) / _pct(base, 50):.2f}x  p99 {_pct(app, 99) / _pct(base, 99):.2f}x"
    )
    print(
        f"search by name over {CASES}: p50 {_pct(searches, 50):.1f} ms  p99 {_pct(searches, 99):.1f} ms"
    )
    print(f"list all {CASES} cases (decrypt names and addresses): {list_all:.0f} ms")
    print(f"unlock KDF (Argon2id t=3, 160 MiB, 4 lanes): median {statistics.median(kdf):.2f} s")
