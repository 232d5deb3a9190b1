"""Push: local work → outbox → the office, each change exactly once.

Owns the four steps of sending, each on its own lane:
- collect (database): every case whose content differs from what the office last accepted,
  with no change on its way and no open conflict, becomes one outbox change; its snapshot
  is built here, once, and its content stamp remembered so the answer can be settled
  without building it again;
- prepare (database, crypto): an outbox entry becomes a signed `Change` (payload sealed to
  the office, copies to the colleagues on the case, a plan's PDF sealed as an attachment),
  kept as first built so a retry after a cut connection is a duplicate, never a second
  record;
- send (network): attachments uploaded (uploads.py), then the batch pushed;
- settle (database): each change marked by the office's answer.
Also which signed plans were never built (`unbuilt_plans`: they may still be dated by the
office before they go). Never lets one bad change stop the rest (it is quarantined with its reason), never marks a
change sent before the office said so, never imports Qt.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kitchentable.domain.case import CaseStatus, transition
from kitchentable.errors import KitchentableError
from kitchentable.storage.crypto import unb64
from kitchentable.storage.database import now_iso
from kitchentable.storage.outbox import OutboxEntry, OutboxState
from kitchentable.storage.sync_state import CaseSyncState, KeptChange, SyncCase
from kitchentable.sync.conflicts import record_conflict
from kitchentable.sync.errors import ServerAnswerUnreadable
from kitchentable.sync.model import Enrolment, Entity, Local, SyncReport
from kitchentable.sync.protocol import (
    SERVER_ERROR,
    Change,
    ChangeResult,
    PushRequest,
    PushResponse,
    SealedPayload,
    attachment_info,
)
from kitchentable.sync.snapshots import Snapshot, digest, snapshot
from kitchentable.sync.transport import Transport
from kitchentable.sync.wire import ProtocolError, canonical

log = logging.getLogger(__name__)

PUSH_BATCH = 100  # changes per push (the office takes up to MAX_CHANGES_PER_PUSH)
# Answers that mean "not now": the change stays pending and goes again next time.
RETRY_LATER = (SERVER_ERROR, "attachment_missing")


@dataclass(frozen=True)
class Dirty:
    case_id: str
    snapshot: Snapshot
    digest: str
    stamp: str  # Repository.content_stamp when the snapshot was built


@dataclass
class Collected:
    unreadable: int = 0  # cases that could not be read; they wait
    stamps: dict[str, str] = field(default_factory=dict)  # change id → content stamp
    looked: int = 0  # how many of the cases asked for were looked at (the rest: next step)


@dataclass(frozen=True)
class Outgoing:
    """An outbox entry made ready to send: the change as first built and its files."""

    entry: OutboxEntry
    change: Change
    attachments: tuple[bytes, ...] = ()


# --- collect (database) -------------------------------------------------------------------


def candidates(local: Local) -> list[str]:
    """Cases that may hold work to send: changed since 'synced' or never sent, with no
    change on the way and no open conflict (cheap: no case is opened)."""
    busy = local.outbox.pending_case_ids(Entity.CASE) | local.state.conflicted_case_ids()
    return [c for c in local.state.candidate_case_ids() if c not in busy]


def unbuilt_plans(local: Local) -> list[str]:
    """Signed plans waiting to be sent and never built: they may still be dated by the
    office (seals.py) before they go; a built one goes again exactly as built."""
    kept = local.state.kept_ids()
    return [i for i in local.outbox.pending_ids(Entity.PLAN) if i not in kept]


def dirty_cases(
    local: Local, case_ids: list[str] | None = None, *, yielding: bool = False
) -> tuple[list[Dirty], int, int]:
    """Of these cases (default: all candidates), those with content the office does not
    have; how many could not be read; how many were looked at (fewer than asked when
    `yielding` and other work waits). A case that was touched but holds what the office has
    (opened and saved again) is marked synced on the way."""
    dirty, unreadable, looked = [], 0, 0
    for case_id in candidates(local) if case_ids is None else case_ids:
        if yielding and looked and local.others_waiting():
            break
        looked += 1
        stamp = local.repo.content_stamp(case_id)
        try:
            built = snapshot(local, case_id)
        except KitchentableError as exc:
            # One case that cannot be read (say, its form version is missing) waits; the
            # others go.
            log.warning("case %s not queued for sync: %s", case_id, exc.code)
            unreadable += 1
            continue
        value = digest(built)
        state = local.state.case(case_id)
        if state is None or state.pushed_digest != value:
            dirty.append(Dirty(case_id, built, value, stamp))
        else:
            local.repo.set_sync_state(case_id, CaseSyncState.SYNCED)
    return dirty, unreadable, looked


def collect(local: Local, case_ids: list[str] | None = None) -> Collected:
    """Changed cases into the outbox (these, or all candidates), in one transaction. The
    run calls it on a few cases at a time, so the database is never held for long."""
    dirty, unreadable, looked = dirty_cases(local, case_ids, yielding=True)
    collected = Collected(unreadable, looked=looked)
    with local.db.atomic():
        for item in dirty:
            state = local.state.case(item.case_id)
            if state is None:
                state = SyncCase(office_case_id=item.case_id)
                local.state.save_case(item.case_id, state)
            item.snapshot["office_case_id"] = state.office_case_id
            change_id = local.outbox.enqueue(
                Entity.CASE,
                state.office_case_id,
                {"snapshot": item.snapshot, "digest": item.digest},
                case_id=item.case_id,
                base_version=state.base_version,
            )
            local.repo.set_sync_state(item.case_id, CaseSyncState.PENDING)
            collected.stamps[change_id] = item.stamp
    return collected


# --- prepare (database, then crypto off the database lane, then database) -----------------


@dataclass(frozen=True)
class Material:
    """What the database gives for building one change."""

    entry: OutboxEntry
    kept: KeptChange | None = None  # built before (a retry): goes again as it is
    pdf: bytes | None = None  # a plan's sealed PDF, to seal to the office as an attachment
    office_case: str | None = None
    copy_to: tuple[tuple[str, bytes], ...] = ()


@dataclass
class Gathered:
    materials: list[Material]
    cursor: int
    seal_wire: Callable[[str, KeptChange], bytes]  # seals a kept change for the vault
    done: int = 0  # entries handled (gathered, skipped, or quarantined); the rest: next step


@dataclass(frozen=True)
class Built:
    outgoing: Outgoing
    sealed_wire: bytes | None  # the kept change, sealed; None when it was kept before


def gather(local: Local, ids: list[str], enrolment: Enrolment, report: SyncReport) -> Gathered:
    """Read what building these outbox entries needs (a database step, ending early when
    other work waits); an entry that cannot be read is quarantined, one no longer waiting
    (settled meanwhile) is skipped."""
    entries = {e.id: e for e in local.outbox.entries(ids) if e.state == OutboxState.PENDING}
    gathered = Gathered([], local.cursor(), local.state.seal_wire)
    with local.db.atomic():
        for change_id in ids:
            entry = entries.get(change_id)
            if entry is not None and gathered.done and local.others_waiting():
                break
            gathered.done += 1
            if entry is None:
                continue
            try:
                with local.db.atomic():
                    gathered.materials.append(_material(local, entry, enrolment))
            except (KitchentableError, ProtocolError, KeyError, ValueError) as exc:
                _quarantine(local, entry, exc, report)
    return gathered


def _material(local: Local, entry: OutboxEntry, enrolment: Enrolment) -> Material:
    kept = local.state.wire(entry.id)
    if kept is not None and kept.change.get("device_id") == enrolment.device_id:
        return Material(entry, kept)
    pdf = None
    if entry.entity == Entity.PLAN:
        pdf = local.repo.get_document(entry.payload["document_id"])
    if not entry.case_id:
        return Material(entry, pdf=pdf)
    state = local.state.case(entry.case_id)
    if state is None:
        # A local case's plan prepared before the case itself was collected (they run side
        # by side): the case gets its office id now, as the collect would give it.
        state = SyncCase(office_case_id=entry.case_id)
        local.state.save_case(entry.case_id, state)
    copy_to = tuple(
        (r["device_id"], unb64(r["box_public"]))
        for r in state.recipients
        if r["device_id"] != enrolment.device_id
    )
    return Material(entry, None, pdf, state.office_case_id, copy_to)


def build(material: Material, enrolment: Enrolment, gathered: Gathered) -> Built:
    """The change for an outbox entry, signed and sealed, and its kept form sealed for the
    vault: crypto only, no database (runs beside the database lane)."""
    entry = material.entry
    if material.kept is not None:
        change = Change.from_wire(material.kept.change)
        return Built(Outgoing(entry, change, material.kept.attachments), None)
    attachments: list[bytes] = []
    payload = dict(entry.payload)
    if material.pdf is not None:
        plain_sha = hashlib.sha256(material.pdf).hexdigest()
        attachments.append(
            SealedPayload.seal_to_wire(
                enrolment.office_box_public, material.pdf, attachment_info(plain_sha)
            )
        )
        payload["pdf"] = {"sha256": plain_sha, "size": len(material.pdf)}
    change = Change.create(
        id=entry.id,
        device_id=enrolment.device_id,
        seq=entry.seq,
        entity=entry.entity,
        entity_id=entry.entity_id,
        case_ref=material.office_case,
        base_version=entry.base_version,
        last_seen_server_version=gathered.cursor,
        plaintext=canonical(payload),
        office_box_public=enrolment.office_box_public,
        sign_private=enrolment.keys.sign_private,
        attachments=tuple(hashlib.sha256(a).hexdigest() for a in attachments),
        copy_to=material.copy_to,
    )
    kept = KeptChange(change.to_wire(), tuple(attachments))
    return Built(Outgoing(entry, change, tuple(attachments)), gathered.seal_wire(entry.id, kept))


def build_all(
    gathered: Gathered, enrolment: Enrolment
) -> tuple[list[Built], list[tuple[OutboxEntry, Exception]]]:
    built: list[Built] = []
    failed: list[tuple[OutboxEntry, Exception]] = []
    for material in gathered.materials:
        try:
            built.append(build(material, enrolment, gathered))
        except (KitchentableError, ProtocolError, KeyError, ValueError) as exc:
            failed.append((material.entry, exc))
    return built, failed


def keep(
    local: Local,
    built: list[Built],
    failed: list[tuple[OutboxEntry, Exception]],
    report: SyncReport,
) -> None:
    """Keep the new changes as built (one transaction, before any of them is sent)."""
    with local.db.atomic():
        for item in built:
            if item.sealed_wire is not None:
                local.state.put_sealed_wire(item.outgoing.entry.id, item.sealed_wire)
        for entry, exc in failed:
            _quarantine(local, entry, exc, report)


def _quarantine(local: Local, entry: OutboxEntry, exc: Exception, report: SyncReport) -> None:
    local.outbox.mark(entry.id, OutboxState.QUARANTINED, f"cannot be prepared: {exc}")
    report.quarantined += 1


# --- send (network) -----------------------------------------------------------------------


async def push_batch(net: Transport, device_id: str, batch: list[Outgoing]) -> list[ChangeResult]:
    """Push the batch's changes (their files are up already); the office's answer per
    change, checked to be in order and complete."""
    body = PushRequest.of(device_id, [o.change for o in batch]).to_wire()
    answer = await net.json("POST", "/api/v1/push", json=body)
    try:
        results = PushResponse.from_wire(answer).results
        if len(results) != len(batch):
            raise ProtocolError("malformed", "the answer lists another number of changes")
        for index, (outgoing, result) in enumerate(zip(batch, results, strict=True)):
            if result.index != index or result.id not in (None, outgoing.change.id):
                raise ProtocolError("malformed", "the answers are out of order")
    except ProtocolError as exc:
        raise ServerAnswerUnreadable(reason=exc.message) from exc
    return results


# --- settle (database) ----------------------------------------------------------------------


def settle(
    local: Local,
    batch: list[Outgoing],
    results: list[ChangeResult],
    report: SyncReport,
    stamps: dict[str, str],
) -> int:
    """Mark each change by the office's answer, in one transaction; ends early when other
    work waits. How many were settled (the caller settles the rest next)."""
    settled = 0
    with local.db.atomic():
        for outgoing, result in zip(batch, results, strict=True):
            if settled and local.others_waiting():
                break
            _settle_one(local, outgoing.entry, result, report, stamps.get(outgoing.entry.id))
            settled += 1
        report.pushed += settled
    return settled


def _settle_one(
    local: Local,
    entry: OutboxEntry,
    result: ChangeResult,
    report: SyncReport,
    stamp: str | None,
) -> None:
    status = result.status
    if status == "duplicate":
        report.duplicates += 1
        status = result.first_status or "accepted"
    if not (status == "rejected" and result.reason in RETRY_LATER):
        local.state.drop_wire(entry.id)  # decided: never sent again
    if status == "accepted":
        report.accepted += 1
        local.outbox.mark(entry.id, OutboxState.SENT)
        _accepted(local, entry, result, stamp)
    elif status == "conflict":
        report.conflicts += 1
        local.outbox.mark(entry.id, OutboxState.CONFLICT, "another device changed this case first")
        if entry.entity == Entity.CASE and entry.case_id is not None:
            record_conflict(
                local,
                entry.case_id,
                conflict_id=entry.id,
                mine=entry.payload.get("snapshot"),
                theirs=None,
                theirs_from=None,
                current_version=result.current_version or 0,
            )
    elif result.reason in RETRY_LATER:
        report.retry_later += 1
        local.outbox.mark(entry.id, OutboxState.PENDING, result.reason)
    else:
        report.quarantined += 1
        local.outbox.mark(entry.id, OutboxState.QUARANTINED, f"{result.reason}: {result.message}")
        report.problems.append(f"{entry.entity} {entry.entity_id}: {result.message}")


def _accepted(local: Local, entry: OutboxEntry, result: ChangeResult, stamp: str | None) -> None:
    if entry.case_id is None:
        return
    state = local.state.case(entry.case_id) or SyncCase(office_case_id=entry.case_id)
    state.synced_at = now_iso()
    if entry.entity == Entity.CASE:
        state.base_version = result.server_version or 0
        state.pushed_digest = entry.payload.get("digest")
        local.state.save_case(entry.case_id, state)
        # 'synced' when nothing changed since the snapshot was built (same content stamp);
        # otherwise the case stays 'pending' and the next look compares digests.
        if stamp is not None and local.repo.content_stamp(entry.case_id) == stamp:
            local.repo.set_sync_state(entry.case_id, CaseSyncState.SYNCED)
    elif entry.entity == Entity.PLAN:
        case = local.repo.get_case(entry.case_id)
        if case.status == CaseStatus.SIGNED:
            local.repo.set_status(entry.case_id, transition(case.status, CaseStatus.SYNCED))
        local.state.save_case(entry.case_id, state)
