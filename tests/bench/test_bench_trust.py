"""What trust costs (on demand): .venv/bin/python -m pytest tests/bench/test_bench_trust.py -s -o addopts="" -p no:cacheprovider

- dating a sealed plan (validation data + the office's document time-stamp, the TSA in this
  process) against sealing it, the plain baseline measured in the same run; and verifying a
  dated plan against verifying the sealed one;
- building the access-log report a sync sends (every line's detail opened, the witness
  chain, the laptop's own HMAC check) for a log of 10,000 lines, against the laptop's own
  check of the same log (`AccessLog.verify`) as the baseline.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import pki
from kitchentable.office.certs import pem
from kitchentable.office.tsa import TimeStampAuthority
from kitchentable.render.seal import SealIdentity, seal_pdf
from kitchentable.render.timestamps import time_stamp
from kitchentable.render.verify import verify_pdf
from kitchentable.services import Profile
from kitchentable.services.sync import local
from kitchentable.sync import logship
from kitchentable.sync.model import Enrolment
from kitchentable.sync.protocol import DeviceKeys
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document
from tests.core.test_plan import answer_all

pytestmark = pytest.mark.bench
SECRET = b"a serve secret of at least thirty-two characters"


def median_ms(work: Callable[[], object], rounds: int = 15) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_bench_dating_and_verifying_a_plan(tmp_path: Path, forms: FormRegistry) -> None:
    root = pki.create_ca(tmp_path, bytes(range(32)), "Gemeente Benchdam")
    online = pki.create_online_ca(tmp_path, root, SECRET)
    tsa = TimeStampAuthority(
        pki.create_tsa(tmp_path, root, SECRET), (root.certificate,), lambda: datetime.now(UTC)
    )
    profile = Profile.create(tmp_path / "p", PASSPHRASE, forms=forms)
    try:
        profile.import_cases(case_document("M-1", form="test-plan"))
        answer_all(profile, "M-1")
        plan = profile.plans.draft("M-1")
        unsealed = profile.plans.render(plan, draft=False)
        key = profile.plans.identity().key_pem
    finally:
        profile.close()
    from cryptography.hazmat.primitives import serialization

    public = (
        serialization.load_pem_private_key(key, None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    device = pki.issue_device_certificate(online.key, online.certificate, "d", "Anja", public)
    chain = (pem(online.certificate), pem(root.certificate))
    identity = SealIdentity(key, device, chain)
    sealed = seal_pdf(unsealed, identity, reason="r", location="l", name="n")

    async def ask(request: bytes) -> bytes:
        return await tsa.respond(request)

    def date() -> bytes:
        dated = asyncio.run(time_stamp(sealed, ask, (device, *chain), ()))
        assert dated is not None
        return dated

    seal_ms = median_ms(lambda: seal_pdf(unsealed, identity, reason="r", location="l", name="n"))
    date_ms = median_ms(date)
    dated = date()
    trusted = (pem(root.certificate),)
    verify_sealed_ms = median_ms(lambda: verify_pdf(sealed, trusted))
    verify_dated_ms = median_ms(lambda: verify_pdf(dated, trusted))
    print(
        f"\nplan of {len(sealed) // 1024} KiB: sealing {seal_ms:.0f} ms (baseline); dating "
        f"{date_ms:.0f} ms ({date_ms / seal_ms:.1f}x); verify sealed {verify_sealed_ms:.0f} ms, "
        f"dated {verify_dated_ms:.0f} ms ({verify_dated_ms / verify_sealed_ms:.1f}x); "
        f"+{(len(dated) - len(sealed)) // 1024} KiB"
    )


def test_bench_the_access_log_report_of_a_sync(tmp_path: Path, forms: FormRegistry) -> None:
    profile = Profile.create(tmp_path / "p", PASSPHRASE, forms=forms)
    try:
        with profile.db.atomic():
            for n in range(10_000):
                detail = {"pages": 3, "copies": 2} if n % 3 == 0 else None
                profile.access.record("case.open", "case", f"case-{n % 50}", detail=detail)
        here = local(profile)
        enrolment = Enrolment(
            "http://127.0.0.1:1", None, "00000000-0000-4000-8000-000000000000", "t", "anna",
            b"\x01" * 32, b"\x02" * 32, DeviceKeys.generate(),
        )  # fmt: skip
        steps: list[float] = []

        def read() -> logship.LogPass:
            work = logship.begin(here, enrolment, datetime.now(UTC))
            while True:
                started = time.perf_counter()
                done = logship.read_part(here, work)
                steps.append(time.perf_counter() - started)
                if done:
                    return work

        def reports(work: logship.LogPass) -> int:
            made = 0
            while logship.next_report(work) is not None:
                made += 1
            return made

        read_ms = median_ms(read, rounds=5)
        report_ms = median_ms(lambda: reports(read()), rounds=5) - read_ms
        verify_ms = median_ms(profile.access.verify, rounds=5)
    finally:
        profile.close()
    print(
        f"\naccess log of 10,000 lines: the laptop's own check {verify_ms:.0f} ms (baseline); "
        f"the sync's pass {read_ms:.0f} ms (read, opened, witnessed, checked: "
        f"{logship.READ_PART} lines a database step, the longest {max(steps) * 1000:.0f} ms), "
        f"reports made {report_ms:.0f} ms; together {(read_ms + report_ms) / verify_ms:.1f}x "
        "the baseline"
    )
