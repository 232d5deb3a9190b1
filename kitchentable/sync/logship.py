"""Sending the access log to the office at every sync (NEN 7513): the signed head and the
lines the office does not have yet.

Owns going through the log a part per database step (`LogPass`: up to READ_PART lines as
stored, fewer when an autosave waits, each line's detail opened, the witness chain and the
laptop's own check of its HMAC chain carried from part to part; the sealed head read with
the last part, so the lines and the head are one consistent picture however long the log),
making the reports (a long log in several, each with the head; one per step), sending
them and remembering what the office confirmed. All of its work runs on the database lane in short steps: a log of a year never
holds the lane for long, and no second Python thread competes with the lane for the
interpreter. Which lines go: those after the line the office confirmed last — unless that
line is no longer what it was (its witness differs: a line before it was changed or
removed, or the log re-chained) or no longer there (lines cut off the end): then the whole
log goes again, so the office can tell which lines changed. An office without this addition
to version 1 (404/405) is left alone. Never sends anything about an inhabitant (lines hold
ids and verbs; details ids and counts); never imports Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kitchentable.errors import TamperedRecord
from kitchentable.storage.audit import ChainCheck, LogRow
from kitchentable.sync.errors import ServerAnswerUnreadable
from kitchentable.sync.model import Enrolment, Local, StateKey
from kitchentable.sync.protocol import (
    GENESIS,
    MAX_LOG_LINES,
    Anchor,
    LogAnswer,
    LogHead,
    LogReport,
    encoded,
    witness_of,
)
from kitchentable.sync.transport import Transport, read_json
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)

LOG_PATH = "/api/v1/log"
NOT_OFFERED = (404, 405)  # an office from before this addition
READ_PART = 2_000  # lines read, opened, witnessed and checked per database step, at most
READ_CHUNK = 250  # lines between two looks at whether other work waits for the database


def _plain(value: Any) -> Any:
    """A detail as the protocol carries it (whole numbers and text: a float becomes text)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _line(
    row: LogRow,
    case_refs: dict[str, str],
    open_detail: Callable[[LogRow], dict[str, Any] | None],
) -> tuple[bytes, bytes]:
    """A stored line as the office receives it, in its canonical bytes: as the witness
    covers them and as a report carries them (log_messages.encoded)."""
    try:
        detail = open_detail(row)
    except TamperedRecord:
        detail = None  # sealed_detail without a detail: the office sees it does not open
    case_id = row.case_id
    return encoded(
        row.id,
        row.at,
        row.actor,
        row.action,
        row.object,
        case_id,
        case_refs.get(case_id, case_id) if case_id else None,
        row.result,
        row.origin,
        None if detail is None else _plain(detail),
        row.detail is not None,
    )


@dataclass
class LogPass:
    """One sync's way through the access log: `begin`, `read_part` until it says the log
    is read, then `next_report` until it gives None; `last` is where the office will be
    once it holds them all."""

    enrolment: Enrolment
    now: datetime
    sent: Anchor | None  # what the office confirmed last time
    case_refs: dict[str, str]  # laptop case id → the office's
    check: ChainCheck
    # Each line read: its id, its canonical bytes as a report carries them, its witness.
    lines: list[tuple[int, bytes, str]] = field(default_factory=list)
    chain: str = GENESIS  # the HMAC link of the last line read
    head: LogHead | None = None  # once the whole log is read
    last: Anchor = field(default_factory=lambda: Anchor(0, GENESIS))
    reports_made: int = 0
    _rest: list[tuple[int, bytes, str]] = field(default_factory=list)


def begin(local: Local, enrolment: Enrolment, now: datetime) -> LogPass:
    """What the office confirmed and the office's case ids (no line read yet)."""
    sent = local.state.get(StateKey.LOG_SENT)
    return LogPass(
        enrolment,
        now,
        None if sent is None else Anchor(int(sent["id"]), str(sent["witness"])),
        local.state.office_case_ids(),
        ChainCheck(local.access.keys.log_key),
    )


def read_part(local: Local, work: LogPass) -> bool:
    """The next lines, up to READ_PART, a few hundred at a time (a database step; it ends
    early when other work waits for the database, an autosave first); True once the whole
    log is read. The last lines are read with the sealed head in the same step: lines are
    only added at the end, so the parts before and these are the log as it was then."""
    done = 0
    lines, case_refs, open_detail = work.lines, work.case_refs, local.access.open_detail
    while True:
        after = lines[-1][0] if lines else 0
        rows = local.access.rows_after(after, READ_CHUNK)
        recorded = local.access.head_recorded() if len(rows) < READ_CHUNK else None
        work.check.feed(rows)
        previous = lines[-1][2] if lines else GENESIS
        for row in rows:
            witnessed, wire = _line(row, case_refs, open_detail)
            previous = witness_of(previous, witnessed)
            lines.append((row.id, wire, previous))
            work.chain = row.chain
        if len(rows) < READ_CHUNK:
            _finish(work, work.check.result(recorded))
            return True
        done += len(rows)
        if done >= READ_PART or local.others_waiting():
            return False


def _finish(work: LogPass, broken_at: int | None) -> None:
    """The head every report carries, and the lines the office does not hold yet."""
    lines = work.lines
    work.head = LogHead(
        id=lines[-1][0] if lines else 0,
        chain=work.chain,
        witness=lines[-1][2] if lines else GENESIS,
        broken_at=broken_at,
        at=work.now.isoformat(timespec="seconds"),
    )
    anchor, sent = Anchor(0, GENESIS), work.sent
    if sent is not None and sent.id > 0:
        held = next((w for line_id, _, w in lines if line_id == sent.id), None)
        if held == sent.witness:
            anchor = sent
        else:
            log.warning("the access log changed below line %d since the office had it", sent.id)
    work.last = anchor
    work._rest = [line for line in lines if line[0] > anchor.id]


def next_report(work: LogPass) -> LogReport | None:
    """The next report to send (a step of its own: sealing and signing up to
    MAX_LOG_LINES lines); at least one, for the head goes at every sync; None after the
    last."""
    assert work.head is not None, "read_part until the log is read"
    if work.reports_made and not work._rest:
        return None
    part, work._rest = work._rest[:MAX_LOG_LINES], work._rest[MAX_LOG_LINES:]
    report = LogReport.of_encoded(
        device_id=work.enrolment.device_id,
        head=work.head,
        anchor=work.last,
        last=part[-1][0] if part else work.last.id,
        lines=[wire for _, wire, _ in part],
        office_box_public=work.enrolment.office_box_public,
        sign_private=work.enrolment.keys.sign_private,
    )
    if part:
        work.last = Anchor(part[-1][0], part[-1][2])
    work.reports_made += 1
    return report


async def send(net: Transport, report: LogReport) -> bool:
    """Send a report; False when the office does not keep access logs (older office)."""
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
