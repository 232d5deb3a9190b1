"""A delivery round: every received signed plan not yet settled, into the case system.

Owns the order of a round (take the lease, look up the catalogue types, deliver plan after
plan), retrying a plan's steps after a fault that may pass (connection, timeout, 5xx, 429)
with exponential backoff, and what happens when a fault does not pass: a refusal (4xx with
the API's message) quarantines that plan with the message sealed to the office key, and the
round goes on; a case system that stays unreachable ends the round, and its plans wait for
the next one; settings the case system does not accept end the round with one sentence.
Also lists and releases quarantined plans. Never delivers a plan twice: see steps.py.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kitchentable.office.keys import OfficePrivateKeys, OfficePublicKeys
from kitchentable.office.store import Store
from kitchentable.office.zgw.client import Transient, ZgwClient
from kitchentable.office.zgw.config import ZgwConfig
from kitchentable.office.zgw.ledger import Ledger, Quarantined
from kitchentable.office.zgw.source import Waiting, signed_plans
from kitchentable.office.zgw.steps import PlanDelivery, StepRefused, Types, resolve_types
from kitchentable.sync.protocol import SealedPayload
from kitchentable.sync.wire import canonical, parse_json

LEASE_HOLD = timedelta(minutes=10)
FIRST_WAIT = 0.5  # seconds before the first retry; doubles up to MAX_WAIT
MAX_WAIT = 30.0


class DeliveryBusy(Exception):
    """Another delivery round holds the lease."""


@dataclass
class RoundReport:
    delivered: list[str] = field(default_factory=list)  # references (external ids)
    quarantined: list[str] = field(default_factory=list)
    earlier: int = 0  # plans settled in earlier rounds
    waiting: Waiting = field(default_factory=Waiting)
    stopped: str = ""  # why the round ended before the last plan
    requests: int = 0
    retries: int = 0


@dataclass
class Round:
    store: Store
    private: OfficePrivateKeys
    public: OfficePublicKeys
    config: ZgwConfig
    client: ZgwClient
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    sleep: Callable[[float], None] = time.sleep
    holder: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.store.backend, self.config.target)

    def run(self) -> RoundReport:
        since = self.ledger.claim(self.holder, self.now(), LEASE_HOLD)
        if since is not None:
            raise DeliveryBusy(since)
        report = RoundReport()
        start = self.client.requests
        try:
            types = self._retried(
                lambda: resolve_types(self.client, self.config, self.now().date()), report
            )
            if types is None:
                return report
            settled = self.ledger.settled()
            report.earlier = len(settled)
            for plan in signed_plans(self.store, self.private, set(settled), report.waiting):
                if self.ledger.claim(self.holder, self.now(), LEASE_HOLD) is not None:
                    report.stopped = "Another round took over after this one's lease ran out."
                    break
                delivery = PlanDelivery(
                    self.client, self.config, types, self.ledger, plan, self.now
                )
                try:
                    done = self._retried(delivery.run, report)
                except StepRefused as exc:
                    sealed = SealedPayload.seal(
                        self.public.box_public,
                        exc.refusal.message.encode("utf-8"),
                        _info(plan.change_id),
                    )
                    self.ledger.quarantine(
                        plan.change_id,
                        plan.reference,
                        exc.step,
                        canonical(sealed.to_wire()).decode("ascii"),
                        self.now(),
                    )
                    report.quarantined.append(plan.reference)
                    continue
                if done is None:
                    break
                self.ledger.delivered(plan.change_id, plan.reference, self.now())
                report.delivered.append(plan.reference)
        finally:
            self.ledger.unclaim(self.holder)
            report.requests = self.client.requests - start
        return report

    def _retried[T](self, attempt: Callable[[], T], report: RoundReport) -> T | None:
        """attempt() until it does not raise Transient, at most config.attempts times; None
        (and report.stopped) when the fault did not pass."""
        for number in range(self.config.attempts):
            try:
                return attempt()
            except Transient as exc:
                if number + 1 == self.config.attempts:
                    report.stopped = (
                        f"{exc} Tried {self.config.attempts} times; the plans not yet delivered "
                        "wait for the next round."
                    )
                    return None
                report.retries += 1
                wait = min(MAX_WAIT, FIRST_WAIT * 2**number)
                self.sleep(wait * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not secrecy
        return None

    # -- the quarantine, for the administrator ----------------------------------------------
    def quarantined(self) -> list[tuple[Quarantined, str]]:
        """Each quarantined plan with the case system's message, opened."""
        listed = []
        for item in self.ledger.quarantined():
            sealed = SealedPayload.from_wire(parse_json(item.sealed_message))
            message = sealed.open(self.private.box_private, _info(item.change_id))
            listed.append((item, message.decode("utf-8")))
        return listed

    def release(self, change_id: str | None) -> int:
        return self.ledger.release(change_id)

    def types(self) -> Types:
        """The catalogue types as the settings name them (a check of the settings)."""
        return resolve_types(self.client, self.config, self.now().date())


def _info(change_id: str) -> str:
    return f"kitchentable/zgw-refusal/v1:{change_id}"
