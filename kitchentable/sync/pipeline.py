"""The push as a pipeline across the two lanes, so the sync goes at the speed of the wire.

Owns how the push's stages overlap: changed cases are collected into the outbox (their
changes built in the same step) and waiting outbox entries are prepared (database lane, a
few per step, the two interleaved) while the files of an earlier batch upload (network lane,
UPLOADS_AT_ONCE at a time) and the batch before that is pushed and settled. Stages hand
batches on through small queues, so the first file travels a moment after the sync starts,
not after every case has been read. The first failure stops every stage; a Cancel stops
them all at their next await. A first pass may leave signed plans not built yet for a
second pass after the pull (`hold_plans`, `only`: the office dates them in between,
seals.py). The steps themselves are push.py's; this module only runs them side by side.
Never imports Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from kitchentable.sync import push, uploads
from kitchentable.sync.model import Enrolment, Local, Phase, Progress, SyncReport
from kitchentable.sync.protocol import ChangeResult
from kitchentable.sync.transport import Transport

COLLECT_STEP = 20  # cases snapshotted per database step
PREPARE_STEP = 10  # outbox entries made ready per database step
AHEAD = 2  # batches a stage may run ahead of the next one

Batch = tuple[int, list[push.Outgoing]]  # how many entries it stood for, those ready


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
    # Leave signed plans not built yet for a later pass (dated by the office after the
    # pull); that pass names the only entries it sends (`only`: no case is collected).
    hold_plans: bool = False
    only: tuple[str, ...] | None = None
    stamps: dict[str, str] = field(default_factory=dict)  # change id → content stamp
    collected: set[str] = field(default_factory=set)  # changes the collect made ready
    # Set once every changed case is in the outbox (or the collect stopped).
    queued: asyncio.Event = field(default_factory=asyncio.Event)
    total: int = 0
    done: int = 0

    async def run(self) -> None:
        waiting = await self._waiting()
        if self.only is not None:
            pending, candidates = [i for i in waiting if i in self.only], []
        else:
            pending, candidates = waiting, await self.lanes.db(push.candidates)
        # At most this much to send: what waits, and every case that may have changed.
        self.total = len(pending) + len(candidates)
        self.lanes.progress(Progress(Phase.PUSH, 0, self.total))
        prepared: asyncio.Queue[Batch | None] = asyncio.Queue(AHEAD)
        uploaded: asyncio.Queue[Batch | None] = asyncio.Queue(AHEAD)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._collect(candidates, self.queued, prepared))
                group.create_task(self._prepare(pending, self.queued, prepared))
                group.create_task(self._upload(prepared, uploaded))
                group.create_task(self._push(uploaded))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _waiting(self) -> list[str]:
        """What waits in the outbox, less the plans held for the later pass."""
        waiting = await self.lanes.db(lambda local: local.outbox.pending_ids())
        if not self.hold_plans:
            return waiting
        held = set(await self.lanes.db(push.unbuilt_plans))
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
                    await out.put((len(batch), batch))
            if ready:
                await out.put((len(ready), ready))
            self.total -= unchanged
        finally:
            finished.set()

    async def _prepare(
        self, pending: list[str], collecting: asyncio.Event, out: asyncio.Queue[Batch | None]
    ) -> None:
        """What waited first (it may go while cases are still being read), then what the
        collect added but could not build."""
        await self._prepare_all(pending, out)
        await collecting.wait()
        if self.only is None:
            seen = set(pending) | self.collected
            added = await self._waiting()
            await self._prepare_all([i for i in added if i not in seen], out)
        await out.put(None)

    async def _prepare_all(self, ids: list[str], out: asyncio.Queue[Batch | None]) -> None:
        """Batch by batch, a few entries per database step."""
        for start in range(0, len(ids), push.PUSH_BATCH):
            chunk = ids[start : start + push.PUSH_BATCH]
            batch: list[push.Outgoing] = []
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
                batch += prepared.ready
                rest = rest[max(1, prepared.done) :]
            await out.put((len(chunk), batch))

    async def _upload(
        self, inbox: asyncio.Queue[Batch | None], out: asyncio.Queue[Batch | None]
    ) -> None:
        while (item := await inbox.get()) is not None:
            self.lanes.check()
            await uploads.upload_all(self.net, [f for o in item[1] for f in o.attachments])
            await out.put(item)
        await out.put(None)

    async def _push(self, inbox: asyncio.Queue[Batch | None]) -> None:
        while (item := await inbox.get()) is not None:
            count, batch = item
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
