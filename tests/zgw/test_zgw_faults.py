"""Fault rounds: requests lost on the way, answers lost after Open Zaak acted, answers cut
halfway, and Open Zaak killed (SIGKILL) at a random request. After the retries (and, when a
round gives up, the next round), every plan is exactly one zaak with exactly one copy of each
document, the PDF byte for byte the sealed one. Half the rounds keep the ledger in SQLite,
half in PostgreSQL."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from zgwkit import FaultyProxy, OpenZaak, SignedOffice, read_back, rsins, settings

from kitchentable.office.zgw import config as zgw_config
from kitchentable.office.zgw.client import ZgwClient
from kitchentable.office.zgw.run import Round, RoundReport

PROXY_ROUNDS = 16
KILL_ROUNDS = 8
CLEAN_REQUESTS = 6 + 11 * 3  # catalogue lookups, then 11 requests per plan (3 plans)
MAX_ROUNDS = 6  # a round that gives up leaves the rest to the next, as the scheduler would


def backend(number: int) -> str:
    return "sqlite" if number % 2 == 0 else "postgres"


def deliver_until_done(
    office: SignedOffice, config: Path, client: ZgwClient, sleep: float | None
) -> list[RoundReport]:
    settings_ = zgw_config.load(config)
    reports = []
    for _ in range(MAX_ROUNDS):
        deliveries = Round(
            office.store,
            office.private,
            office.public,
            settings_,
            client,
            sleep=time.sleep if sleep is None else (lambda s: time.sleep(min(s, sleep))),
        )
        reports.append(deliveries.run())
        if not reports[-1].stopped:
            break
    return reports


def check_exactly_once(office: SignedOffice, oz: OpenZaak, rsin: str, seed: int) -> None:
    found = read_back(oz, rsin)
    assert sorted(found) == sorted(office.pdfs), f"seed {seed}: {sorted(found)}"
    for reference, pdf in office.pdfs.items():
        zaken = found[reference]
        assert len(zaken) == 1, f"seed {seed}: {reference} has {len(zaken)} zaken"
        (item,) = zaken
        formats = sorted(d["formaat"] for d in item.documents)
        assert formats == ["application/json", "application/pdf"], f"seed {seed}: {formats}"
        (document,) = [d for d in item.documents if d["formaat"] == "application/pdf"]
        assert document["content"] == pdf, f"seed {seed}: {reference}'s PDF differs"
        assert len(item.rollen) == 2 and len(item.statussen) == 1, f"seed {seed}"


@pytest.mark.parametrize(
    ("number", "signed_office"),
    [(n, backend(n)) for n in range(PROXY_ROUNDS)],
    indirect=["signed_office"],
)
def test_lost_requests_and_answers_leave_each_plan_one_zaak(
    number: int, signed_office: SignedOffice, openzaak: OpenZaak, tmp_path: Path
) -> None:
    seed = 1000 + number
    rsin = next(rsins(random.randrange(10_000_000, 90_000_000)))  # fresh in a reused Open Zaak
    proxy = FaultyProxy(urlsplit(openzaak.url).port or 80)
    faults = 1 + number % 3
    proxy.plan(seed, CLEAN_REQUESTS, faults)
    client = ZgwClient(openzaak.client_id, openzaak.secret, timeout=30)
    try:
        config = settings(tmp_path, openzaak, rsin, base_url=proxy.url)
        reports = deliver_until_done(signed_office, config, client, sleep=0.05)
    finally:
        client.close()
        proxy.close()
    assert len(proxy.hit) == faults, f"seed {seed}: {proxy.hit}"
    assert sum(len(r.delivered) for r in reports) == len(signed_office.pdfs), reports
    assert not any(r.quarantined for r in reports), f"seed {seed}: {reports}"
    check_exactly_once(signed_office, openzaak, rsin, seed)


class Killer(threading.Thread):
    """Kills Open Zaak when the delivery has sent `at` requests, then starts it again."""

    def __init__(self, oz: OpenZaak, client: ZgwClient, at: int) -> None:
        super().__init__(daemon=True)
        self.oz, self.client, self.at = oz, client, at
        self.killed_at = -1
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.is_set():
                if self.client.requests >= self.at:
                    self.killed_at = self.client.requests
                    self.oz.kill()
                    self.oz.restart()
                    return
                time.sleep(0.002)
        finally:
            self.done.set()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("number", "signed_office"),
    [(n, backend(n)) for n in range(KILL_ROUNDS)],
    indirect=["signed_office"],
)
def test_open_zaak_killed_at_a_random_request_leaves_each_plan_one_zaak(
    number: int, signed_office: SignedOffice, openzaak: OpenZaak, tmp_path: Path
) -> None:
    seed = 2000 + number
    chance = random.Random(seed)
    rsin = next(rsins(random.randrange(10_000_000, 90_000_000)))
    client = ZgwClient(openzaak.client_id, openzaak.secret, timeout=30)
    killer = Killer(openzaak, client, chance.randrange(1, CLEAN_REQUESTS))
    try:
        config = settings(tmp_path, openzaak, rsin)
        killer.start()
        reports = deliver_until_done(signed_office, config, client, sleep=None)
        killer.done.wait(60)
    finally:
        killer.done.set()
        killer.join(60)
        client.close()
        if not openzaak.up():
            openzaak.restart()
    assert killer.killed_at > 0, f"seed {seed}: the delivery ended before the kill"
    assert sum(len(r.delivered) for r in reports) == len(signed_office.pdfs), reports
    check_exactly_once(signed_office, openzaak, rsin, seed)
