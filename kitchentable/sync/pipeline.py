"""The push as a pipeline across the two lanes, so the sync goes at the speed of the wire.

Owns how the push's stages overlap: changed cases are collected into the outbox (their
changes built in the same step) and waiting outbox entries are prepared (database lane, a
few per step, the two interleaved) while files upload (network lane, UPLOADS_AT_ONCE
requests at a time; a bundle's worth goes as soon as it is prepared, so a batch is ready to
push moments after its last entry) and earlier batches are pushed and settled. Stages hand
batches on through small queues, so the first file travels a moment after the sync starts,
not after every case has been read. The first failure stops every stage; a Cancel stops
them all at their next await. A first pass may leave signed plans not built yet for a
second pass after the pull (`hold_plans`, `only`: the office dates them in between,
seals.py); whether it does (`deciding`: the run asks the office, or dates them) is settled
while the changed cases are already being collected, so the first batch never waits for that
question. The steps themselves are push.py's; this module only runs them side by side.
Never imports Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from kitchentable.sync import push, uploads
from kitchentable.sync.model import Enrolment, Local, Phase, Progress, SyncReport
from kitchentable.sync.protocol import ChangeResult
from kitchentable.sync.transport import Transport

COLLECT_STEP = 20  # cases snapshotted per database step
PREPARE_STEP = 40  # outbox entries made ready per database step
AHEAD = 2  # batches a stage may run ahead of the next one


def _files(ready: list[push.Outgoing]) -> list[uploads.File]:
    return [f for o in ready for f in o.files]


@dataclass
class Batch:
    """Changes to push together: how many entries they stand for, those ready, and their
    files on their way to the office (started while the batch was still being prepared)."""

    count: int
    ready: list[push.Outgoing]
    files: list[asyncio.Task[None]] = field(default_factory=list)


class Lanes(Protocol):
    """What the pipeline needs of the run: database steps (one plainly, one that must
    happen even when the sync is cancelled meanwhile), the cancel check and progress."""

    def db[T](self, step: Callable[[Local], T]) -> Awaitable[T]: ...

    def db_shielded[T](self, step: Callable[[Local], T]) -> Awaitable[T]: ...

    def check(self) -> None: ...

    def progress(self, progress: Progress) -> None: ...


@dataclass
class PushPipeline:
    lanes: Lanes
    net: Transport
    enrolment: Enrolment
    report: SyncReport
    # Whether signed plans not built yet are left for a later pass (dated by the office
    # after the pull): `deciding` answers it (and may date plans first) beside the collect;
    # the answer is `hold_plans`. That pass names the only entries it sends (`only`: no case
    # is collected).
    deciding: Coroutine[Any, Any, bool] | None = None
    hold_plans: bool = False
    only: tuple[str, ...] | None = None
    stamps: dict[str, str] = field(default_factory=dict)  # change id → content stamp
    collected: set[str] = field(default_factory=set)  # changes the collect made ready
    # Set once every changed case is in the outbox (or the collect stopped).
    queued: asyncio.Event = field(default_factory=asyncio.Event)
    total: int = 0
    done: int = 0
    _group: asyncio.TaskGroup | None = None  # the stages and the files on their way
    _uploading: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(uploads.UPLOADS_AT_ONCE)
    )

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            if self.deciding is not None:
                self.deciding.close()  # never started (the push failed first): no warning

    async def _run(self) -> None:
        waiting = await self.lanes.db(lambda local: local.outbox.pending_ids())
        if self.only is not None:
            waiting, candidates = [i for i in waiting if i in self.only], []
        else:
            candidates = await self.lanes.db(push.candidates)
        # At most this much to send: what waits, and every case that may have changed.
        self.total = len(waiting) + len(candidates)
        self.lanes.progress(Progress(Phase.PUSH, 0, self.total))
        prepared: asyncio.Queue[Batch | None] = asyncio.Queue(AHEAD)
        uploaded: asyncio.Queue[Batch | None] = asyncio.Queue(AHEAD)
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                group.create_task(self._collect(candidates, self.queued, prepared))
                group.create_task(self._prepare(waiting, self.queued, prepared))
                group.create_task(self._upload(prepared, uploaded))
                group.create_task(self._push(uploaded))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _decide(self, waiting: list[str]) -> list[str]:
        """Whether plans are held for the later pass (asked now, beside the collect); what
        waits less those plans."""
        if self.deciding is None:
            return waiting
        deciding, self.deciding = self.deciding, None
        self.hold_plans = await deciding
        return await self._unheld(waiting)

    async def _unheld(self, waiting: list[str]) -> list[str]:
        """These waiting entries less the plans held for the later pass."""
        if not self.hold_plans:
            return waiting
        held = set(await self.lanes.db(push.unbuilt_plans))
        self.total -= sum(1 for change_id in waiting if change_id in held)
        return [change_id for change_id in waiting if change_id not in held]

    async def _collect(
        self, case_ids: list[str], finished: asyncio.Event, out: asyncio.Queue[Batch | None]
    ) -> None:
        """Changed cases into the outbox, a few per database step, each change built and
        kept there and then: batches of them go straight on to be sent."""
        try:
            unchanged, rest = 0, list(case_ids)
            ready: list[push.Outgoing] = []
            while rest:
                collected = await self.lanes.db(
                    partial(push.collect, case_ids=rest[:COLLECT_STEP], enrolment=self.enrolment)
                )
                self.stamps.update(collected.stamps)
                self.collected.update(o.entry.id for o in collected.ready)
                ready += collected.ready
                unchanged += collected.looked - len(collected.stamps)
                rest = rest[max(1, collected.looked) :]
                while len(ready) >= push.PUSH_BATCH:
                    batch, ready = ready[: push.PUSH_BATCH], ready[push.PUSH_BATCH :]
                    await out.put(Batch(len(batch), batch, self._send(_files(batch))))
            if ready:
                await out.put(Batch(len(ready), ready, self._send(_files(ready))))
            self.total -= unchanged
        finally:
            finished.set()

    async def _prepare(
        self, pending: list[str], collecting: asyncio.Event, out: asyncio.Queue[Batch | None]
    ) -> None:
        """What waited first (it may go while cases are still being read; plans once it is
        known whether they wait for the later pass), then what the collect added but could
        not build."""
        pending = await self._decide(pending)
        await self._prepare_all(pending, out)
        await collecting.wait()
        if self.only is None:
            seen = set(pending) | self.collected
            waiting = await self.lanes.db(lambda local: local.outbox.pending_ids())
            added = [i for i in waiting if i not in seen]
            await self._prepare_all(await self._unheld(added), out)
        await out.put(None)

    async def _prepare_all(self, ids: list[str], out: asyncio.Queue[Batch | None]) -> None:
        """Batch by batch, a few entries per database step; the files go as soon as a
        bundle's worth is ready, so when a batch is complete most of them are at the office."""
        for start in range(0, len(ids), push.PUSH_BATCH):
            chunk = ids[start : start + push.PUSH_BATCH]
            batch = Batch(len(chunk), [])
            files: list[uploads.File] = []  # prepared, not on their way yet
            rest = chunk
            while rest:
                prepared = await self.lanes.db(
                    partial(
                        push.prepare,
                        ids=rest[:PREPARE_STEP],
                        enrolment=self.enrolment,
                        report=self.report,
                    )
                )
                batch.ready += prepared.ready
                files += _files(prepared.ready)
                while (full := max(1, uploads.bundle_of(files))) < len(files):
                    batch.files += self._send(files[:full])
                    files = files[full:]
                rest = rest[max(1, prepared.done) :]
            batch.files += self._send(files)
            await out.put(batch)

    def _send(self, files: list[uploads.File]) -> list[asyncio.Task[None]]:
        """These files on their way (UPLOADS_AT_ONCE requests at a time in all)."""
        if not files:
            return []
        assert self._group is not None
        return [self._group.create_task(uploads.upload_all(self.net, files, self._uploading))]

    async def _upload(
        self, inbox: asyncio.Queue[Batch | None], out: asyncio.Queue[Batch | None]
    ) -> None:
        """A batch goes on to be pushed once its files are at the office."""
        while (item := await inbox.get()) is not None:
            self.lanes.check()
            for sending in item.files:
                await sending
            await out.put(item)
        await out.put(None)

    async def _push(self, inbox: asyncio.Queue[Batch | None]) -> None:
        while (item := await inbox.get()) is not None:
            count, batch = item.count, item.ready
            if batch:
                self.lanes.check()
                results = await push.push_batch(self.net, self.enrolment.device_id, batch)
                await self._settle(batch, results)
            self.done += count
            self.lanes.progress(Progress(Phase.PUSH, self.done, max(self.total, self.done)))

    async def _settle(self, batch: list[push.Outgoing], results: list[ChangeResult]) -> None:
        """Every answer recorded, in steps (shielded: even when Cancel comes meanwhile, for
        the office has these)."""
        while batch:
            settled = await self.lanes.db_shielded(
                partial(
                    push.settle,
                    batch=batch,
                    results=results,
                    report=self.report,
                    stamps=self.stamps,
                )
            )
            batch, results = batch[max(1, settled) :], results[max(1, settled) :]
