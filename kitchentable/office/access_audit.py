"""Checking the access logs laptops sent, for the administrator's `kitchentable-office log`.

Owns opening every report a device sent (this runs under the office passphrase: the lines
are sealed to the office key), checking each against the device's signature and the head it
signed, and keeping the office's picture of that device's log: every line the office ever
received, marked when the laptop's log no longer holds it as it was. Each report's lines are
compared with what the office had after the same anchor, by content and witness
(`sync.log_messages`): a line the office had that the laptop no longer sends is *removed*
(cut off the end: *truncated*), one that reads differently is *changed* (a detail taken
away shows here), lines that appear before lines the office already had are *inserted*. An
anchor that does not match what the office holds means the laptop's older lines changed
without the laptop sending them again; the office can say that, not which line. Every head
the laptop signed binds it: its lines must lead to the head's witness, in the same report
or, when a report stops before its head (a long log's first part, a dropped connection),
in the reports after it; a log that falls back below a head it signed shows too.

What this cannot see: lines written and removed between two syncs (the office never had
them), and a laptop that stops syncing. Never writes anything; never prints a secret.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from kitchentable.office.store import Device, Store
from kitchentable.office.store.access_logs import StoredReport
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import AuditLine, LogHead, LogReport, witnesses
from kitchentable.sync.wire import ProtocolError, canonical, parse_json


class Kind(StrEnum):
    SIGNATURE = "signature"  # a stored report the device did not sign (the store was altered)
    UNREADABLE = "unreadable"  # a report that cannot be opened or read
    HEAD = "head"  # the lines do not lead to the head the laptop signed
    GAP = "gap"  # line numbers skipped in the laptop's log
    REWRITTEN = "rewritten"  # the laptop's older lines are not what the office received
    REMOVED = "removed"  # lines the office received are gone from the middle of the log
    TRUNCATED = "truncated"  # lines the office received are cut off the end
    CHANGED = "changed"  # a line the office received reads differently now
    INSERTED = "inserted"  # lines appeared before lines the office already had
    BROKEN = "broken"  # the laptop's own check of its log fails
    DETAIL = "detail"  # a line's sealed detail does not open on the laptop (moved, damaged)


class Mark(StrEnum):
    HELD = ""
    REMOVED = "removed from the laptop's log"
    CHANGED = "changed on the laptop since"
    INSERTED = "appeared later, before lines the office had"


@dataclass(frozen=True)
class Problem:
    kind: Kind
    line: int | None
    found_at: str  # when the report that showed it arrived
    message: str


@dataclass
class Entry:
    """A line as the office keeps it: the version it first received, and what became of it."""

    line: AuditLine
    received_at: str
    mark: Mark = Mark.HELD
    now: AuditLine | None = None  # the laptop's version, when it changed


@dataclass
class DeviceLog:
    device: Device
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reports: int = 0
    head: LogHead | None = None
    head_received_at: str | None = None

    def note(self, problem: Problem) -> None:
        if not any((p.kind, p.line) == (problem.kind, problem.line) for p in self.problems):
            self.problems.append(problem)


@dataclass
class _Held:
    """One line of the office's current picture of the laptop's log."""

    line: AuditLine
    witness: str
    entry: Entry


def _content(line: AuditLine) -> bytes:
    """A line without its number: what stays the same when later lines are renumbered."""
    body = line.witnessed()
    del body["id"]
    return canonical(body)


def _identity(line: AuditLine) -> tuple[str, str, str, str, str | None]:
    return (line.at, line.actor, line.action, line.target, line.case_id)


def _what(line: AuditLine) -> str:
    return f"line {line.id} ({line.action} {line.target}, {line.at})"


def difference(old: AuditLine, new: AuditLine) -> str:
    """How a line the office received differs from the laptop's version of it now."""
    if old.sealed_detail and not new.sealed_detail:
        return "its detail was removed"
    if new.sealed_detail and new.detail is None:
        return "its detail no longer opens (moved from another line, or damaged)"
    if old.detail != new.detail:
        return "its detail differs"
    return "it reads differently"


class _Audit:
    def __init__(self, device: Device, box_private: bytes) -> None:
        self.result = DeviceLog(device)
        self.box_private = box_private
        self.current: list[_Held] = []
        self.waiting: list[tuple[LogHead, str]] = []  # signed heads the lines have not reached

    def report(self, stored: StoredReport) -> None:
        found = stored.received_at
        try:
            report = LogReport.from_wire(parse_json(stored.envelope))
            report.verify(unb64(self.result.device.sign_public))
        except ProtocolError:
            self.result.note(
                Problem(
                    Kind.SIGNATURE,
                    None,
                    found,
                    "a stored report does not carry the device's signature: the office's own "
                    "store was changed",
                )
            )
            return
        try:
            lines = report.open(self.box_private)
        except ProtocolError as exc:
            self.result.note(Problem(Kind.UNREADABLE, None, found, f"a report: {exc.message}"))
            return
        self.result.reports += 1
        self.result.head, self.result.head_received_at = report.head, found
        base = self._base(report, found)
        chain = witnesses(report.anchor.witness, lines)
        self._compare(base, lines, chain, found)
        self._gaps(report, lines, found)
        for line in lines:
            if line.sealed_detail and line.detail is None:
                self.result.note(
                    Problem(
                        Kind.DETAIL,
                        line.id,
                        found,
                        f"{_what(line)} has a sealed detail that does not open on the laptop: "
                        "it was moved there from another line, or damaged",
                    )
                )
        end = chain[-1] if chain else report.anchor.witness
        if report.last == report.head.id and end != report.head.witness:
            self.result.note(
                Problem(
                    Kind.HEAD,
                    report.head.id,
                    found,
                    "the lines sent do not lead to the head the laptop signed",
                )
            )
        self._pending(report, found)
        if report.head.broken_at is not None:
            self.result.note(
                Problem(
                    Kind.BROKEN,
                    report.head.broken_at,
                    found,
                    f"the laptop's own check finds its log broken from line "
                    f"{report.head.broken_at} (a line edited, removed or stripped of its "
                    "detail with another tool)",
                )
            )

    def _pending(self, report: LogReport, found: str) -> None:
        """Hold the laptop to every head it signed: a report that stops before its head (the
        first part of a long log, or one whose connection dropped) is owed the rest, and
        the line that later arrives at the head's place must lead to the head's witness."""
        waiting = []
        for head, signed_at in self.waiting:
            reached = bool(self.current) and self.current[-1].line.id >= head.id
            if not reached and report.head.id >= head.id:
                waiting.append((head, signed_at))
                continue
            held = next((h for h in self.current if h.line.id == head.id), None)
            if held is None or held.witness != head.witness:
                self.result.note(
                    Problem(
                        Kind.HEAD,
                        head.id,
                        found,
                        f"the lines sent since do not lead to the head the laptop signed at "
                        f"the sync of {signed_at} (line {head.id})",
                    )
                )
        if report.last < report.head.id:
            waiting.append((report.head, found))
        self.waiting = waiting

    def _base(self, report: LogReport, found: str) -> int:
        """How many lines of the current picture the report continues after."""
        anchor = report.anchor
        if anchor.id == 0:
            return 0
        for index, held in enumerate(self.current):
            if held.line.id == anchor.id:
                if held.witness != anchor.witness:
                    self.result.note(
                        Problem(
                            Kind.REWRITTEN,
                            anchor.id,
                            found,
                            f"the laptop's log up to line {anchor.id} is not what the office "
                            "received: lines before it were changed, removed or re-chained",
                        )
                    )
                return index + 1
        self.result.note(
            Problem(
                Kind.GAP,
                anchor.id,
                found,
                f"the laptop continued after line {anchor.id}, which the office never received",
            )
        )
        return len(self.current)

    def _compare(self, base: int, lines: list[AuditLine], chain: list[str], found: str) -> None:
        """Line up the report's lines with what the office had after the same anchor."""
        old = self.current[base:]
        matcher = difflib.SequenceMatcher(
            a=[_content(h.line) for h in old], b=[_content(line) for line in lines], autojunk=False
        )
        self.current = self.current[:base]
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op == "equal":
                self.current += [
                    _Held(lines[b], chain[b], old[a].entry)
                    for a, b in zip(range(a1, a2), range(b1, b2), strict=True)
                ]
                continue
            # A line that kept its time, actor, action and object but reads differently has
            # changed; other lines the office had are gone, other new lines are new.
            same = 0
            while (
                op == "replace"
                and same < min(a2 - a1, b2 - b1)
                and _identity(old[a1 + same].line) == _identity(lines[b1 + same])
            ):
                same += 1
            for i in range(same):
                self._changed(old[a1 + i], lines[b1 + i], chain[b1 + i], found)
            if a2 > a1 + same:
                self._gone(old[a1 + same : a2], at_end=a2 == len(old), found=found)
            if b2 > b1 + same:
                self._new(lines, chain, b1 + same, b2, before_end=a2 < len(old), found=found)

    def _new(
        self,
        lines: list[AuditLine],
        chain: list[str],
        start: int,
        stop: int,
        before_end: bool,
        found: str,
    ) -> None:
        for index in range(start, stop):
            entry = Entry(lines[index], found, Mark.INSERTED if before_end else Mark.HELD)
            self.result.entries.append(entry)
            self.current.append(_Held(lines[index], chain[index], entry))
        if before_end:
            self.result.note(
                Problem(
                    Kind.INSERTED,
                    lines[start].id,
                    found,
                    f"{_what(lines[start])}: lines appeared in the laptop's log before lines "
                    "the office had already received",
                )
            )

    def _gone(self, held: Sequence[_Held], at_end: bool, found: str) -> None:
        for item in held:
            if item.entry.mark == Mark.HELD:
                item.entry.mark = Mark.REMOVED
        first = held[0].line
        if len(held) > 1:
            what = f"{_what(first)} and the {len(held) - 1} line(s) after it were received and are"
        else:
            what = f"{_what(first)} was received and is"
        if at_end:
            kind, message = Kind.TRUNCATED, f"{what} cut off the end of the laptop's log since"
        else:
            kind, message = (
                Kind.REMOVED,
                f"{what} no longer in the laptop's log; the lines after it were renumbered "
                "and re-chained",
            )
        self.result.note(Problem(kind, first.id, found, message))

    def _changed(self, held: _Held, line: AuditLine, witness: str, found: str) -> None:
        held.entry.mark, held.entry.now = Mark.CHANGED, line
        self.current.append(_Held(line, witness, held.entry))
        self.result.note(
            Problem(
                Kind.CHANGED,
                held.line.id,
                found,
                f"{_what(held.line)} was received and has changed on the laptop since: "
                f"{difference(held.line, line)}",
            )
        )

    def _gaps(self, report: LogReport, lines: list[AuditLine], found: str) -> None:
        previous = report.anchor.id
        for line in lines:
            if line.id != previous + 1:
                self.result.note(
                    Problem(
                        Kind.GAP,
                        previous + 1,
                        found,
                        f"lines {previous + 1}–{line.id - 1} are missing from the laptop's log",
                    )
                )
            previous = line.id


def audit_device(device: Device, stored: Sequence[StoredReport], box_private: bytes) -> DeviceLog:
    """The office's picture of one device's access log, from every report it sent."""
    checked = _Audit(device, box_private)
    for report in stored:
        checked.report(report)
    return checked.result


def audit(store: Store, box_private: bytes, device_id: str | None = None) -> list[DeviceLog]:
    """Every device's log (or one device's), checked."""
    devices = [d for d in store.devices() if device_id in (None, d.id)]
    return [audit_device(d, store.log_reports(d.id), box_private) for d in devices]


def concerns(case_ids: set[str]) -> Callable[[Entry], bool]:
    """Whether a kept line is about one of these cases (the office's or the laptop's id)."""

    def match(entry: Entry) -> bool:
        line = entry.line
        return bool({line.case_ref, line.case_id} & case_ids)

    return match
