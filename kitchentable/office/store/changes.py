"""Received changes: the office store's `changes`, `records` and `change_attachments` rows.

Owns every decision about a change's fate, each inside one transaction: idempotency by the
change's UUID (the same bytes again are a duplicate, other bytes under a used id are
refused), one sequence number per device, the device's right to the case (`rights`: a
refusal names no version), an attachment that must have arrived, the
version compare-and-set of the record (accepted, or a conflict kept beside the current
version), and the copies for the other devices on the case. Holds only metadata and the
sealed envelope. Never reads the clock: callers pass `now`, and nothing about a change's
fate depends on it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kitchentable.office.backends import Backend
from kitchentable.office.store import devices as device_rows
from kitchentable.office.store import rights
from kitchentable.office.store.common import Versions, iso
from kitchentable.office.store.devices import Visit
from kitchentable.office.store.lookups import ChangeRow, Lookups, Record
from kitchentable.office.store.writes import Writes
from kitchentable.sync.protocol import Change, ChangeResult, Status

log = logging.getLogger(__name__)

CHANGE_COLUMNS = (
    "id", "device_id", "seq", "entity", "entity_id", "case_ref", "base_version",
    "server_version", "status", "conflict_with", "envelope", "received_at",
)  # fmt: skip


def record_change(backend: Backend, index: int, change: Change, now: datetime) -> ChangeResult:
    """Store one verified change exactly once and decide its fate in one transaction.

    Rules: a known UUID is a duplicate (same bytes) or a reuse (different bytes →
    rejected); a sequence number is used once per device; base_version equal to the
    record's current version → accepted and the record moves on; anything else →
    conflict: kept beside the current version, which stays current until the office
    resolves it. Every stored change gets its own server version, so a pull cursor
    sees conflicts too.
    """
    with backend.transaction() as cur:
        versions, writes = Versions(cur, batched=False), Writes(cur, deferred=False)
        return _record(Lookups(cur), index, change, now, versions, writes)


@dataclass(frozen=True)
class Push:
    """One device's push as the store keeps it: its verified changes (with their place in
    the request), the moment, and the visit its activity row tells."""

    changes: Sequence[tuple[int, Change]]
    now: datetime
    visit: Visit | None = None


def record_changes(
    backend: Backend,
    changes: Sequence[tuple[int, Change]],
    now: datetime,
    visit: Visit | None = None,
) -> list[ChangeResult]:
    """Several verified changes in ONE transaction (one writer lock per push, not one
    per change): a change the database refuses is undone alone and answered
    `server_error`; the others are decided as `record_change` would. The push's visit (its
    counts so far) is noted in the same transaction, with the count of each answer given
    here added.

    First all at once (`record_pushes`); if the database fails on any, that try is rolled
    back whole and the changes go again, each in a savepoint of its own, reading as each
    decision asks."""
    push = Push(changes, now, visit)
    if changes:
        try:
            return record_pushes(backend, [push])[0]
        except Exception:
            log.warning("a push failed as a whole; its changes go again one by one")
    return _one_by_one(backend, push)


def record_pushes(backend: Backend, pushes: Sequence[Push]) -> list[list[ChangeResult]]:
    """Pushes decided in order in ONE transaction with the fewest round trips (the writer
    lock is held for them): every row the decisions read, sent together with the writer
    lock (`lookups`), the writes sent together with the commit (a `batched` transaction).
    Raises if the database fails on anything: then nothing of it was kept."""
    out = []
    with backend.transaction(batched=True) as cur:
        lookups = Lookups(cur, ahead=True)
        counted = lookups.read_ahead([change for push in pushes for _, change in push.changes])
        versions = Versions(cur, batched=True, now_at=counted)
        writes = Writes(cur, deferred=True)
        for push in pushes:
            results = [
                _record(lookups, index, change, push.now, versions, writes)
                for index, change in push.changes
            ]
            _note(writes, push, results)
            out.append(results)
        writes.flush()
        versions.close()
    return out


def _one_by_one(backend: Backend, push: Push) -> list[ChangeResult]:
    results = []
    with backend.transaction() as cur:
        lookups = Lookups(cur)
        versions, writes = Versions(cur, batched=False), Writes(cur, deferred=False)
        for index, change in push.changes:
            cur.execute("SAVEPOINT one_change")
            try:
                results.append(_record(lookups, index, change, push.now, versions, writes))
            except Exception:
                cur.execute("ROLLBACK TO SAVEPOINT one_change")
                results.append(ChangeResult.server_error(index, change.id))
            cur.execute("RELEASE SAVEPOINT one_change")
        _note(writes, push, results)
    return results


def _note(writes: Writes, push: Push, results: Sequence[ChangeResult]) -> None:
    """The push's visit, with the count of each answer given here added."""
    if push.visit is None:
        return
    detail = dict(push.visit.detail)
    for result in results:
        detail[result.status] = detail.get(result.status, 0) + 1
    visit = replace(push.visit, detail=detail)
    writes.visit(visit.device_id, iso(push.now), visit.action, device_rows.detail_text(visit))


def changes(backend: Backend) -> list[dict[str, Any]]:
    """Every stored change's metadata, in server order (export, admin page, tests)."""
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            f"SELECT {', '.join(CHANGE_COLUMNS)} FROM changes ORDER BY server_version"  # noqa: S608
        ).fetchall()
    return [dict(zip(CHANGE_COLUMNS, row, strict=True)) for row in rows]


def attachments_of(backend: Backend, change_id: str) -> list[str]:
    with backend.transaction(write=False) as cur:
        rows = cur.execute(
            "SELECT sha256 FROM change_attachments WHERE change_id = ? ORDER BY sha256",
            [change_id],
        ).fetchall()
    return [row[0] for row in rows]


def _record(
    lookups: Lookups,
    index: int,
    change: Change,
    now: datetime,
    versions: Versions,
    writes: Writes,
) -> ChangeResult:
    """record_change's decision, inside the caller's transaction."""
    digest = hashlib.sha256(change.signed_bytes() + change.signature).hexdigest()
    known, seq_taken = lookups.change(change)
    stored = lookups.record(change.entity, change.entity_id)
    if known is not None:
        return _again(lookups, index, change, digest, known, stored)
    if seq_taken:
        return _rejected(
            index, change.id, "seq_reused", "This sequence number was already used by this device."
        )
    held = _admissible(lookups, index, change, stored)
    if isinstance(held, ChangeResult):
        return held
    return _store(lookups, writes, index, change, held, stored, digest, now, versions)


def _again(
    lookups: Lookups,
    index: int,
    change: Change,
    digest: str,
    known: ChangeRow,
    stored: Record | None,
) -> ChangeResult:
    """A change id the office has seen: a duplicate of the same bytes, else refused."""
    if known[1] != digest or known[4] != change.device_id:
        return _rejected(
            index, change.id, "id_reused", "This change id was already used for other content."
        )
    # The record's version now, only for a device that still works on the case.
    allowed = isinstance(rights.check(lookups, change, stored), rights.Right)
    current = (0 if stored is None else stored.server_version) if allowed else None
    return ChangeResult(index, change.id, "duplicate", known[3], current, first_status=known[2])


def _admissible(
    lookups: Lookups, index: int, change: Change, stored: Record | None
) -> rights.Right | ChangeResult:
    """The right a new change is stored under, or the refusal it is answered with."""
    held = rights.check(lookups, change, stored)
    if isinstance(held, rights.Refusal):
        return _rejected(index, change.id, held.reason, held.message)
    for sha in change.attachments:
        arrived = lookups.cur.execute(
            "SELECT 1 FROM blobs WHERE sha256 = ? AND kind = 'attachment' AND device_id = ?",
            [sha, change.device_id],
        ).fetchone()
        if arrived is None:
            return _rejected(
                index,
                change.id,
                "attachment_missing",
                "An attachment this record names has not arrived; upload it first.",
            )
    return held


def _store(
    lookups: Lookups,
    writes: Writes,
    index: int,
    change: Change,
    held: rights.Right,
    stored: Record | None,
    digest: str,
    now: datetime,
    versions: Versions,
) -> ChangeResult:
    """Keep an admissible change: accepted on the current version, else a conflict."""
    current, holder = (0, None) if stored is None else (stored.server_version, stored.change_id)
    version = versions.next()
    status: Status = "accepted" if change.base_version == current else "conflict"
    at = iso(now)
    writes.change(
        (
            change.id,
            change.device_id,
            change.seq,
            change.entity,
            change.entity_id,
            change.case_ref,
            change.base_version,
            change.last_seen_server_version,
            version,
            status,
            holder if status == "conflict" else None,
            digest,
            change.wire_bytes().decode("ascii"),  # canonical(change.to_wire())
            at,
        )
    )
    lookups.kept_change(change, (change.id, digest, status, version, change.device_id))
    case_ref = rights.case_of(change)
    if held.new:  # a new case: its creator's device owns it from now on
        writes.right(case_ref, held.consultant, held.device_id, at)
        lookups.kept_right(case_ref, held)
    for sha in change.attachments:
        writes.attachment(change.id, sha)
    # The other devices on this case see this version (theirs to open: the copy).
    for recipient, _sealed in change.copies:
        if recipient == change.device_id or not rights.delivered_to(lookups, recipient):
            continue
        writes.peer_item(versions.next(), recipient, change.id, at)
    if status == "conflict":
        return ChangeResult(index, change.id, "conflict", version, current)
    writes.record(change.entity, change.entity_id, version, change.id, case_ref)
    lookups.kept_record(change.entity, change.entity_id, Record(case_ref, version, change.id))
    return ChangeResult(index, change.id, "accepted", version, version)


def _rejected(index: int, change_id: str, reason: str, message: str) -> ChangeResult:
    return ChangeResult(index, change_id, "rejected", reason=reason, message=message)
