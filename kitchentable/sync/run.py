"""One synchronisation, start to finish: the parts in their order.

Owns the order of a sync (collect → prepare/send/settle per batch → pull page by page →
stamps, retention, access log), the progress reports, and what a revoked device does (wipe,
then say so). The parts do the work; this module only sequences them. Never imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from kitchentable.sync import pull, push, retention
from kitchentable.sync.errors import (
    DeviceRevoked,
    NotEnrolled,
    ResyncRequired,
    ServerAnswerUnreadable,
)
from kitchentable.sync.model import (
    Enrolment,
    Local,
    Phase,
    Progress,
    ProgressFn,
    StateKey,
    SyncReport,
)
from kitchentable.sync.transport import Transport

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncRun:
    local: Local
    inner: httpx.BaseTransport | None = None
    progress: ProgressFn = lambda _p: None
    clock: Clock = utc_now
    # Cases open on screen: another device's version of one becomes a conflict to look at,
    # never a silent change under the consultant's hands.
    keep_as_is: frozenset[str] = frozenset()

    def run(self) -> SyncReport:
        local = self.local
        enrolment = local.enrolment()
        if enrolment is None:
            raise NotEnrolled()
        report = SyncReport()
        net = Transport(enrolment.server, enrolment.fingerprint, enrolment.token, inner=self.inner)
        try:
            with net.open():
                collected = push.collect(local)
                self._push(net, enrolment, report, collected)
                self._pull(net, enrolment, report)
        except DeviceRevoked:
            retention.wipe(local)
            raise
        with local.db.atomic():
            stamp = self.clock().isoformat()
            local.state.put(StateKey.LAST_SYNC, stamp)
            local.state.put(StateKey.LAST_CHECKIN, stamp)
            report.purged = retention.purge(local, self.clock())
            local.access.record(
                "sync.run", "profile", detail={"pushed": report.pushed, "pulled": report.pulled}
            )
        return report

    def _push(
        self, net: Transport, enrolment: Enrolment, report: SyncReport, collected: push.Collected
    ) -> None:
        pending = self.local.outbox.pending()
        total = len(pending)
        self.progress(Progress(Phase.PUSH, 0, total))
        done = 0
        for start in range(0, total, push.PUSH_BATCH):
            entries = pending[start : start + push.PUSH_BATCH]
            batch = push.prepare_batch(self.local, entries, enrolment, report)
            if batch:
                results = push.send(net, enrolment.device_id, batch)
                push.settle(self.local, batch, results, report, collected.stamps)
                done += len(entries)
                self.progress(Progress(Phase.PUSH, done, total))

    def _pull(self, net: Transport, enrolment: Enrolment, report: SyncReport) -> None:
        resync = False
        pages = 0
        while True:
            try:
                answer = pull.fetch_page(net, self.local.cursor(), resync)
            except ResyncRequired as exc:
                if resync:
                    raise ServerAnswerUnreadable(
                        reason="the server keeps asking for a resync"
                    ) from exc
                # Start over from the beginning; applying is idempotent and never
                # overwrites local work (assignments for known cases are skipped).
                resync = report.resynced = True
                continue
            page = pull.Page(answer, resync)
            shas = pull.wanted_files(answer, pull.known_files(self.local))
            if shas:
                pull.fetch_files(net, page, shas, pull.file_kinds(answer))
            pull.apply_page(self.local, enrolment, page, report, self.keep_as_is)
            pages += 1
            self.progress(Progress(Phase.PULL, pages, pages + (1 if answer.more else 0)))
            resync = False
            if not answer.more:
                return
