"""The access logs laptops send at every sync (an addition to protocol version 1).

Owns receiving a report (`POST /api/v1/log`): it must come from the device its token
belongs to, be signed with that device's key and be sealed to this office's key; then it is
kept as received and the answer names the last line the office now holds. The serving
process checks and stores; it never opens the sealed lines (the administrator's
`kitchentable-office log` does, under the office passphrase) and never judges a report.
An office without this route answers 404 and laptops carry on without it. Never logs a
line's content.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kitchentable.office.api_base import Clock, Requests
from kitchentable.office.errors import OfficeError
from kitchentable.office.keys import OfficePublicKeys
from kitchentable.office.store import Store, Visit
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import LogAnswer, LogReport
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)


class LogApi:
    def __init__(
        self, requests: Requests, store: Store, office: OfficePublicKeys, clock: Clock
    ) -> None:
        self.requests = requests
        self.store = store
        self.office = office
        self.clock = clock

    async def report(self, request: Request) -> Response:
        device = await self.requests.authenticate(request)
        body = await self.requests.json(request)
        try:
            report = LogReport.from_wire(body)
            if report.device_id != device.id:
                raise OfficeError("wrong_device", "This log names another device.", 403)
            report.verify(unb64(device.sign_public))
            if report.lines.recipient != self.office.box_public:
                raise ProtocolError(
                    "wrong_recipient", "The log lines are not sealed to this office's key."
                )
        except ProtocolError as exc:
            raise OfficeError(
                exc.code, exc.message, 413 if exc.code == "too_large" else 400
            ) from exc
        now = self.clock()
        held = await run_in_threadpool(self.store.keep_log_report, report, now)
        if report.head.broken_at is not None:
            log.warning(
                "device %s reports its access log broken from line %d",
                device.id,
                report.head.broken_at,
            )
        visit = Visit(device.id, "log", {"lines": report.count, "head": report.head.id})
        await run_in_threadpool(self.store.seen, visit, now)
        return JSONResponse(LogAnswer(held).to_wire())
