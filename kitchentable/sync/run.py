"""One synchronisation, start to finish, on two lanes: the parts in their order.

Owns the order of a sync (the access log to the office beside all the rest; signed plans
dated by the office, beside the changed cases going already → the rest of the push pipeline
→ pull page by page, with the office's revocation
list → the seal certificate renewed when due → plans that had to wait for that list dated
and pushed → stamps, retention, the sync's own log line), which lane each step runs on,
cancelling, and what a revoked device does (wipe, then
say so). It runs as a coroutine on the network lane; every database
step is handed to the `DbLane` (the one database worker) in short pieces, so an autosave
never waits behind the network. Cancel is a `threading.Event`: checked between steps, and a
watcher cancels the transfer in flight within CANCEL_POLL; a cancelled sync is "not yet"
(the outbox and the office's idempotency make the next one send each change once). The
parts do the work; this module only sequences them. Never imports Qt.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx

from kitchentable.sync import logship, pull, push, retention, seals
from kitchentable.sync.errors import (
    DeviceRevoked,
    NotEnrolled,
    ResyncRequired,
    ServerAnswerUnreadable,
    SyncCancelled,
)
from kitchentable.sync.model import (
    DbLane,
    Enrolment,
    Local,
    Phase,
    Progress,
    ProgressFn,
    Stamp,
    StateKey,
    SyncReport,
)
from kitchentable.sync.pipeline import PushPipeline
from kitchentable.sync.protocol import RevocationList
from kitchentable.sync.transport import Transport

Clock = Callable[[], datetime]

CANCEL_POLL = 0.02  # s: how often the watcher looks at the cancel flag


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _together(*steps: Coroutine[Any, Any, None]) -> None:
    """Run the steps side by side; the first failure stops the others and is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            for step in steps:
                group.create_task(step)
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None


def _nothing(_progress: Progress) -> None:
    return None


@dataclass
class SyncRun:
    lane: DbLane
    inner: httpx.AsyncBaseTransport | None = None
    progress: ProgressFn = _nothing
    clock: Clock = utc_now
    cancel: threading.Event = field(default_factory=threading.Event)
    # Cases open on screen: another device's version of one becomes a conflict to look at,
    # never a silent change under the consultant's hands.
    keep_as_is: frozenset[str] = frozenset()
    # Run in the wipe's own database step (the app forgets the closed profile there).
    after_wipe: Callable[[], None] = lambda: None
    # Dating signed plans with the office's time before they go (the app's PDF work);
    # None: plans go as sealed.
    stamp: Stamp | None = None
    # The office's revocation list as this sync's pull brought it (None: none offered).
    offered_crl: RevocationList | None = None

    async def db[T](self, step: Callable[[Local], T]) -> T:
        self.check()
        return await asyncio.wrap_future(self.lane(step))

    async def db_shielded[T](self, step: Callable[[Local], T]) -> T:
        """A step that must happen once asked for, even if Cancel comes while it waits."""
        return await asyncio.shield(asyncio.wrap_future(self.lane(step)))

    def check(self) -> None:
        if self.cancel.is_set():
            raise SyncCancelled()

    async def run(self) -> SyncReport:
        task = asyncio.current_task()
        assert task is not None
        watcher = asyncio.create_task(self._watch(task))
        # A sync makes many objects that live a while (log lines, changes, snapshots): each
        # full collection they set off would walk the app's own long-lived objects (forms,
        # widgets, libraries) again. Those stay out of the collector's sight until the end.
        gc.freeze()
        try:
            return await self._run()
        except asyncio.CancelledError:
            if not self.cancel.is_set():
                raise
            task.uncancel()
            raise SyncCancelled() from None
        finally:
            gc.unfreeze()
            watcher.cancel()

    async def _watch(self, task: asyncio.Task[SyncReport]) -> None:
        while not self.cancel.is_set():
            await asyncio.sleep(CANCEL_POLL)
        task.cancel()

    async def _run(self) -> SyncReport:
        enrolment = await self.db(lambda local: local.enrolment())
        if enrolment is None:
            raise NotEnrolled()
        report = SyncReport()
        net = Transport(enrolment.server, enrolment.fingerprint, enrolment.token, inner=self.inner)
        try:
            async with net.open():
                # The access log goes beside everything else (in short steps on the database
                # lane between the push's): the line this sync writes at its end goes with
                # the next one.
                first = PushPipeline(self, net, enrolment, report)
                await _together(
                    self._ship_log(net, enrolment, report),
                    self._exchange(net, enrolment, report, first),
                )
        except DeviceRevoked:
            await self.db_shielded(self._wipe)
            raise
        await self.db(lambda local: self._finish(local, report))
        return report

    async def _exchange(
        self, net: Transport, enrolment: Enrolment, report: SyncReport, first: PushPipeline
    ) -> None:
        """Push, pull, renew; signed plans are dated before they go, and when that needs the
        revocation list the pull brings (a first sync at an office that time-stamps), they
        go in a second push after it."""
        first.deciding = self._date_plans(net, early=True)  # beside the collect
        await first.run()
        await self._pull(net, enrolment, report)
        await self._renew(net, enrolment)
        if first.hold_plans:
            await self._date_plans(net, early=False)
            held = await self.db(push.unbuilt_plans)
            await PushPipeline(self, net, enrolment, report, only=tuple(held)).run()

    def _wipe(self, local: Local) -> None:
        retention.wipe(local)
        self.after_wipe()

    def _finish(self, local: Local, report: SyncReport) -> None:
        with local.db.atomic():
            stamp = self.clock().isoformat()
            local.state.put(StateKey.LAST_SYNC, stamp)
            local.state.put(StateKey.LAST_CHECKIN, stamp)
            report.purged = retention.purge(local, self.clock())
            local.access.record(
                "sync.run", "profile", detail={"pushed": report.pushed, "pulled": report.pulled}
            )

    # -- seals: renewal, dating plans ------------------------------------------------------
    async def _renew(self, net: Transport, enrolment: Enrolment) -> None:
        office_ca = self.offered_crl.issuer if self.offered_crl else None
        keys = await self.db(partial(seals.renewal_due, now=self.clock(), office_ca=office_ca))
        if keys is None:
            return
        issued = await seals.ask_certificate(net, enrolment, keys)
        if issued is not None:
            await self.db(partial(seals.keep_certificate, keys=keys, issued=issued))

    async def _date_plans(self, net: Transport, *, early: bool) -> bool:
        """Date the signed plans not built yet with the office's time-stamp (and their
        validation data). Early, before the push, only with a revocation list that has not run
        out: True when plans must wait for the pull's list. An office without the service is
        remembered for a day, and its plans go as sealed."""
        held = await self.db(push.unbuilt_plans)
        if self.stamp is None or not held:
            return False
        now = self.clock()
        can = await self.db(partial(seals.dating, now=now))
        if can.tsa_absent:
            return False
        if early and not can.current_list:
            if can.tsa is None:  # not known yet: asked with a request that dates nothing
                offered = await seals.tsa_offered(net)
                await self.db(partial(seals.note_tsa, offered=offered, now=now))
                return offered
            return True
        tsa = seals.OfficeTsa(net)
        for change_id in held:
            if not tsa.offered:
                break
            found = await self.db(partial(seals.to_stamp, change_id=change_id))
            if found is None:
                continue
            try:
                stamped = await self.stamp(found.pdf, tsa, found.certificates, found.crls)
            except ValueError as exc:  # the office's answer does not check out
                raise ServerAnswerUnreadable(reason="a time-stamp that does not check out") from exc
            if stamped is not None:
                await self.db(
                    partial(seals.keep_stamped, document_id=found.document_id, pdf=stamped)
                )
        if not tsa.offered:
            await self.db(partial(seals.note_tsa, offered=False, now=now))
        return False

    # -- the access log ------------------------------------------------------------------
    async def _ship_log(self, net: Transport, enrolment: Enrolment, report: SyncReport) -> None:
        """The signed head and the lines the office lacks (logship): read, checked and made
        into reports in short steps on the database lane beside the push, each report sent
        once made (in order: each continues where the one before ends)."""
        work = await self.db(partial(logship.begin, enrolment=enrolment, now=self.clock()))
        while not await self.db(partial(logship.read_part, work=work)):
            pass
        sent = 0
        while (part := await self.db(lambda _local: logship.next_report(work))) is not None:
            if not await logship.send(net, part):
                return  # an office without access logs
            sent += part.count
        await self.db(partial(logship.confirm, last=work.last))
        report.log_lines = sent

    # -- pull ---------------------------------------------------------------------------
    async def _pull(self, net: Transport, enrolment: Enrolment, report: SyncReport) -> None:
        resync = False
        pages = 0
        while True:
            cursor = await self.db(lambda local: local.cursor())
            try:
                # The first page brings the revocation list too (asked for: an office that
                # does not know the question sends none).
                answer = await pull.fetch_page(net, cursor, resync, crl=pages == 0)
            except ResyncRequired as exc:
                if resync:
                    raise ServerAnswerUnreadable(
                        reason="the server keeps asking for a resync"
                    ) from exc
                # Start over from the beginning; applying is idempotent and never
                # overwrites local work (assignments for known cases are skipped).
                resync = report.resynced = True
                continue
            if answer.crl is not None and self.offered_crl is None:
                self.offered_crl = answer.crl
                await self.db(partial(seals.keep_revocation, offered=answer.crl))
            page = pull.Page(answer, resync)
            known = await self.db(pull.known_files)
            shas = pull.wanted_files(answer, known)
            if shas:
                await pull.fetch_files(net, page, shas, pull.file_kinds(answer))
            await self.db(
                partial(
                    pull.apply_page,
                    enrolment=enrolment,
                    page=page,
                    report=report,
                    keep_as_is=self.keep_as_is,
                )
            )
            pages += 1
            self.progress(Progress(Phase.PULL, pages, pages + (1 if answer.more else 0)))
            resync = False
            if not answer.more:
                return
