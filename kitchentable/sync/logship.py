"""Sending the access log to the office at every sync (NEN 7513): the signed head and the
lines the office does not have yet.

Owns reading the log in one short database step (every line as stored, the sealed head,
what the office confirmed last time, the office's ids of the cases), building the reports
off the database lane (each line's detail opened, the witness chain, the laptop's own check
of its HMAC chain for the head), sending them (a long log in several, each with the head)
and remembering what the office confirmed. Which lines go: those after the line the office
confirmed last — unless that line is no longer what it was (its witness differs: a line
before it was changed or removed, or the log re-chained) or no longer there (lines cut off
the end): then the whole log goes again, so the office can tell which lines changed. An
office without this addition to version 1 (404/405) is left alone. Never sends anything
about an inhabitant (lines hold ids and verbs; details ids and counts); never imports Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kitchentable.errors import TamperedRecord
from kitchentable.storage.audit import Head, LogRow, verify_rows
from kitchentable.sync.errors import ServerAnswerUnreadable
from kitchentable.sync.model import Enrolment, Local, StateKey
from kitchentable.sync.protocol import (
    GENESIS,
    MAX_LOG_LINES,
    Anchor,
    AuditLine,
    LogAnswer,
    LogHead,
    LogReport,
    witnesses,
)
from kitchentable.sync.transport import Transport, read_json
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)

LOG_PATH = "/api/v1/log"
NOT_OFFERED = (404, 405)  # an office from before this addition


@dataclass(frozen=True)
class LogRead:
    """What one database step gives for building the reports."""

    rows: list[LogRow]
    recorded: Head | None
    sent: Anchor | None
    case_refs: dict[str, str]
    log_key: bytes
    open_detail: Callable[[LogRow], dict[str, Any] | None]


def read(local: Local) -> LogRead:
    rows, recorded = local.access.snapshot()
    sent = local.state.get(StateKey.LOG_SENT)
    return LogRead(
        rows,
        recorded,
        None if sent is None else Anchor(int(sent["id"]), str(sent["witness"])),
        local.state.office_case_ids(),
        local.access.keys.log_key,
        local.access.open_detail,
    )


def _plain(value: Any) -> Any:
    """A detail as the protocol carries it (whole numbers and text: a float becomes text)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line(row: LogRow, found: LogRead) -> AuditLine:
    try:
        detail = found.open_detail(row)
    except TamperedRecord:
        detail = None  # sealed_detail without a detail: the office sees it does not open
    line = row.line
    return AuditLine(
        id=line.id,
        at=line.at,
        actor=line.actor,
        action=line.action,
        target=line.object,
        case_id=line.case_id,
        case_ref=found.case_refs.get(line.case_id, line.case_id) if line.case_id else None,
        result=line.result,
        origin=line.origin,
        detail=None if detail is None else _plain(detail),
        sealed_detail=row.detail is not None,
    )


def build(found: LogRead, enrolment: Enrolment, now: datetime) -> tuple[list[LogReport], Anchor]:
    """The reports to send (at least one: the head goes at every sync) and where the office
    will be once it has them. Crypto only: runs beside the database lane."""
    lines = [_line(row, found) for row in found.rows]
    chain = witnesses(GENESIS, lines)
    by_id = {line.id: w for line, w in zip(lines, chain, strict=True)}
    head = LogHead(
        id=lines[-1].id if lines else 0,
        chain=found.rows[-1].chain if found.rows else GENESIS,
        witness=chain[-1] if chain else GENESIS,
        broken_at=verify_rows(found.rows, found.recorded, found.log_key),
        at=now.isoformat(timespec="seconds"),
    )
    anchor = Anchor(0, GENESIS)
    sent = found.sent
    if sent is not None and sent.id > 0 and by_id.get(sent.id) == sent.witness:
        anchor = sent
    elif sent is not None and sent.id > 0:
        log.warning("the access log changed below line %d since the office had it", sent.id)
    rest = [(line, w) for line, w in zip(lines, chain, strict=True) if line.id > anchor.id]
    reports = []
    while True:
        part, rest = rest[:MAX_LOG_LINES], rest[MAX_LOG_LINES:]
        reports.append(
            LogReport.create(
                device_id=enrolment.device_id,
                head=head,
                anchor=anchor,
                lines=[line for line, _ in part],
                office_box_public=enrolment.office_box_public,
                sign_private=enrolment.keys.sign_private,
            )
        )
        if part:
            anchor = Anchor(part[-1][0].id, part[-1][1])
        if not rest:
            return reports, anchor


async def send(net: Transport, reports: list[LogReport]) -> bool:
    """Send each report; False when the office does not keep access logs (older office)."""
    for report in reports:
        response = await net.request("POST", LOG_PATH, json=report.to_wire(), passed=NOT_OFFERED)
        if response.status_code in NOT_OFFERED:
            return False
        try:
            held = LogAnswer.from_wire(read_json(response)).held
        except ProtocolError as exc:
            raise ServerAnswerUnreadable(reason=exc.message) from exc
        if held != report.last:
            raise ServerAnswerUnreadable(reason="the office kept other log lines than were sent")
    return True


def confirm(local: Local, last: Anchor) -> None:
    """The office holds the log up to `last`: the next sync sends what follows it."""
    with local.db.atomic():
        local.state.put(StateKey.LOG_SENT, {"id": last.id, "witness": last.witness})
