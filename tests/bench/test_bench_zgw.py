"""ZGW delivery benchmark (on demand): .venv/bin/python -m pytest tests/bench/test_bench_zgw.py -s -o addopts="" -p no:cacheprovider

Needs the Open Zaak of packaging/dev/openzaak.sh (KITCHENTABLE_TEST_OPENZAAK and
KITCHENTABLE_TEST_OPENZAAK_DIR, as run-tests sets them). 200 signed plans (2 sealed for
real, the rest copies of a sealed PDF, enqueued as the laptop does) synced to an office
(SQLite), then one delivery round into Open Zaak: time, requests per plan, where the time
goes (Open Zaak's CPU against ours, time in the ledger). Baseline in the same run: the same
requests for 2 x HALF plans (half before the round, half after) with the ledger kept in
memory (no write before and after each step), so the ratio is what the exactly-once
bookkeeping costs.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "zgw"))

from zgwkit import open_zaak, read_back, received_office, rsins, settings

from kitchentable.office import keys
from kitchentable.office.store import Store
from kitchentable.office.zgw import config as zgw_config
from kitchentable.office.zgw.client import ZgwClient
from kitchentable.office.zgw.ledger import Step
from kitchentable.office.zgw.run import Round
from kitchentable.office.zgw.source import Waiting, signed_plans
from kitchentable.office.zgw.steps import PlanDelivery, resolve_types
from kitchentable.services import Profile
from kitchentable.services.plans import PlanService
from tests.bench.synchelp import cpu_seconds
from tests.bench.test_bench_sync import _copied_seal
from tests.core.test_plan import sign_both

pytestmark = [pytest.mark.bench, pytest.mark.timeout(3600)]

PLANS = 200
HALF = 20  # baseline plans before the round, and again after it
OFFICE_PASSPHRASE = "office horse battery staple"


class MemoryLedger:
    """The ledger's three calls PlanDelivery makes, in a dict: the baseline."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Step] = {}

    def steps(self, change_id: str) -> dict[str, Step]:
        return {step: v for (cid, step), v in self.rows.items() if cid == change_id}

    def sent(self, change_id: str, step: str, now: datetime) -> None:
        self.rows[(change_id, step)] = Step(True, None)

    def done(self, change_id: str, step: str, value: str, now: datetime) -> None:
        self.rows[(change_id, step)] = Step(True, value)


def _baseline(oz: Any, folder: Path, rsin: str, plans: list[Any]) -> tuple[float, float]:
    """Seconds and requests per plan for `plans` delivered with the ledger in memory."""
    config = zgw_config.load(settings(folder, oz, rsin))
    client = ZgwClient(config.client_id, config.secret)
    try:
        types = resolve_types(client, config, datetime.now(UTC).date())
        memory, sent = MemoryLedger(), client.requests
        started = time.perf_counter()
        for plan in plans:
            ledger: Any = memory
            PlanDelivery(client, config, types, ledger, plan, lambda: datetime.now(UTC)).run()
        seconds = time.perf_counter() - started
        return seconds / len(plans), (client.requests - sent) / len(plans)
    finally:
        client.close()


def _time_ledger(ledger: Any) -> dict[str, float]:
    """Wall time spent in each of the ledger's methods, from now on."""
    spent: dict[str, float] = defaultdict(float)
    for name in ("steps", "sent", "done", "claim", "delivered", "settled"):
        original = getattr(ledger, name)

        def timed(*args: Any, _original: Any = original, _name: str = name) -> Any:
            started = time.perf_counter()
            try:
                return _original(*args)
            finally:
                spent[_name] += time.perf_counter() - started

        setattr(ledger, name, timed)
    return spent


def _open_zaak_cpu(folder: Path) -> float:
    """CPU seconds of Open Zaak's web server: its master and workers."""
    master = int((folder / "web.pid").read_text())
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sum(cpu_seconds(pid) for pid in [master, *map(int, children)])


def _signed_office(
    tmp: Path, forms: Any, monkeypatch: pytest.MonkeyPatch, stack: ExitStack
) -> tuple[Store, keys.OfficePrivateKeys, keys.OfficePublicKeys, float]:
    def sign(laptop: Profile, references: list[str]) -> None:
        sign_both(laptop, references[0])
        sign_both(laptop, references[1])
        (document,) = laptop.repo.documents(laptop.case(references[1]).id)
        template = laptop.repo.get_document(document["id"])
        with monkeypatch.context() as patch:
            patch.setattr(PlanService, "_seal", _copied_seal(template))
            for reference in references[2:]:
                sign_both(laptop, reference)

    started = time.perf_counter()
    references = [f"M-2026-{i:05d}" for i in range(PLANS)]
    office = received_office(tmp, forms, stack, references, sign=sign)
    return office.store, office.private, office.public, time.perf_counter() - started


def test_bench_delivery_of_200_signed_plans(
    tmp_path: Path, forms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    oz = open_zaak()
    with ExitStack() as stack:
        store, private, public, built = _signed_office(tmp_path, forms, monkeypatch, stack)
        start = random.randrange(10_000_000, 80_000_000)
        rsin = next(rsins(start))

        # Baseline: the same requests for 2 x HALF plans, the ledger in memory; half before
        # and half after the round, so a machine that gets busier or quieter meanwhile
        # weighs on both sides.
        plans = list(signed_plans(store, private, set(), Waiting()))
        before = _baseline(oz, tmp_path / "before", next(rsins(start + 1000)), plans[:HALF])

        # The real thing: one round, ledger in the office store (SQLite, synchronous=FULL).
        config = zgw_config.load(settings(tmp_path / "real", oz, rsin))
        client = ZgwClient(config.client_id, config.secret)
        stack.callback(client.close)
        deliveries = Round(store, private, public, config, client)
        in_ledger = _time_ledger(deliveries.ledger)
        server_cpu, our_cpu = _open_zaak_cpu(oz.dir), time.process_time()
        started = time.perf_counter()
        report = deliveries.run()
        total = time.perf_counter() - started
        server_cpu = _open_zaak_cpu(oz.dir) - server_cpu
        our_cpu = time.process_time() - our_cpu
        after = _baseline(oz, tmp_path / "after", next(rsins(start + 2000)), plans[HALF : 2 * HALF])
        baseline, baseline_requests = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
        assert len(report.delivered) == PLANS and not report.stopped, report
        found = read_back(oz, rsin)
        assert Counter(len(v) for v in found.values()) == Counter({1: PLANS})

    per_plan = total / PLANS
    print(f"\n== delivery of {PLANS} signed plans into Open Zaak ({oz.url})")
    print(f"office built (import, answer, sign, sync): {built:.1f} s")
    print(
        f"one round: {total:.1f} s, {per_plan * 1000:.0f} ms per plan, "
        f"{report.requests} requests ({report.requests / PLANS:.1f} per plan, catalogue "
        f"lookups included), {report.retries} retried"
    )
    print(
        f"baseline, {2 * HALF} plans (half before, half after), same requests, ledger in "
        f"memory: {baseline * 1000:.0f} ms per plan ({before[0] * 1000:.0f} before, "
        f"{after[0] * 1000:.0f} after), {baseline_requests:.1f} requests per plan; "
        f"ratio round/baseline {per_plan / baseline:.2f}x"
    )
    print(
        f"in the ledger (office store writes before and after each step): "
        f"{sum(in_ledger.values()):.1f} s of {total:.1f} s "
        f"({sum(in_ledger.values()) / total:.1%}): "
        + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(in_ledger.items()))
    )
    print(
        f"CPU during the round: Open Zaak {server_cpu:.1f} s, the delivery {our_cpu:.1f} s "
        f"(wall {total:.1f} s)"
    )
