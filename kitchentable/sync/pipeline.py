"""The push as a pipeline across the two lanes, so the sync goes at the speed of the wire.

Owns how the push's stages overlap: changed cases are collected into the outbox and outbox
entries are prepared (database lane, a few per step, the two interleaved) while the files of
an earlier batch upload (network lane, UPLOADS_AT_ONCE at a time) and the batch before that
is pushed and settled. Stages hand batches on through small queues, so the first file
travels a moment after the sync starts, not after every case has been read. The first
failure stops every stage; a Cancel stops them all at their next await. The steps
themselves are push.py's; this module only runs them side by side. Never imports Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from kitchentable.storage.outbox import OutboxEntry
from kitchentable.sync import push
from kitchentable.sync.model import Enrolment, Local, Phase, Progress, SyncReport
from kitchentable.sync.transport import Transport

COLLECT_STEP = 20  # cases snapshotted per database step
PREPARE_STEP = 10  # outbox entries made ready per database step
AHEAD = 2  # batches a stage may run ahead of the next one

Batch = tuple[list[OutboxEntry], list[push.Outgoing]]


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
    stamps: dict[str, str] = field(default_factory=dict)  # change id → content stamp
    total: int = 0
    done: int = 0

    async def run(self) -> None:
        pending = await self.lanes.db(lambda local: local.outbox.pending())
        candidates = await self.lanes.db(push.candidates)
        # At most this much to send: what waits, and every case that may have changed.
        self.total = len(pending) + len(candidates)
        self.lanes.progress(Progress(Phase.PUSH, 0, self.total))
        prepared: asyncio.Queue[Batch | None] = asyncio.Queue(AHEAD)
        uploaded: asyncio.Queue[Batch | None] = asyncio.Queue(AHEAD)
        collecting = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._collect(candidates, collecting))
                group.create_task(self._prepare(pending, collecting, prepared))
                group.create_task(self._upload(prepared, uploaded))
                group.create_task(self._push(uploaded))
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _collect(self, case_ids: list[str], finished: asyncio.Event) -> None:
        """Changed cases into the outbox, a few per database step."""
        try:
            unchanged = 0
            for start in range(0, len(case_ids), COLLECT_STEP):
                chunk = case_ids[start : start + COLLECT_STEP]
                collected = await self.lanes.db(partial(push.collect, case_ids=chunk))
                self.stamps.update(collected.stamps)
                unchanged += len(chunk) - len(collected.stamps)
            self.total -= unchanged
        finally:
            finished.set()

    async def _prepare(
        self,
        pending: list[OutboxEntry],
        collecting: asyncio.Event,
        out: asyncio.Queue[Batch | None],
    ) -> None:
        """What waited first (it may go while cases are still being read), then what the
        collect added."""
        await self._prepare_all(pending, out)
        await collecting.wait()
        seen = {entry.id for entry in pending}
        added = await self.lanes.db(lambda local: local.outbox.pending())
        await self._prepare_all([entry for entry in added if entry.id not in seen], out)
        await out.put(None)

    async def _prepare_all(
        self, entries: list[OutboxEntry], out: asyncio.Queue[Batch | None]
    ) -> None:
        """Batch by batch, a few entries per database step."""
        for start in range(0, len(entries), push.PUSH_BATCH):
            chunk = entries[start : start + push.PUSH_BATCH]
            batch: list[push.Outgoing] = []
            for first in range(0, len(chunk), PREPARE_STEP):
                batch += await self.lanes.db(
                    partial(
                        push.prepare_batch,
                        entries=chunk[first : first + PREPARE_STEP],
                        enrolment=self.enrolment,
                        report=self.report,
                    )
                )
            await out.put((chunk, batch))

    async def _upload(
        self, inbox: asyncio.Queue[Batch | None], out: asyncio.Queue[Batch | None]
    ) -> None:
        while (item := await inbox.get()) is not None:
            self.lanes.check()
            await push.upload_all(self.net, [f for o in item[1] for f in o.attachments])
            await out.put(item)
        await out.put(None)

    async def _push(self, inbox: asyncio.Queue[Batch | None]) -> None:
        while (item := await inbox.get()) is not None:
            entries, batch = item
            if batch:
                self.lanes.check()
                results = await push.push_batch(self.net, self.enrolment.device_id, batch)
                # Settled even when Cancel comes meanwhile: the office has these.
                await self.lanes.db_shielded(
                    partial(
                        push.settle,
                        batch=batch,
                        results=results,
                        report=self.report,
                        stamps=self.stamps,
                    )
                )
            self.done += len(entries)
            self.lanes.progress(Progress(Phase.PUSH, self.done, max(self.total, self.done)))
