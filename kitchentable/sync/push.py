"""Push: local work → outbox → the office, each change exactly once.

Owns the four steps of sending, each on its own lane:
- collect (database): every case whose content differs from what the office last accepted,
  with no change on its way and no open conflict, becomes one outbox change; its snapshot
  is built here, once, its change built and kept from it in the same step (never read back
  and encoded again), and its content stamp remembered so the answer can be settled
  without building it again;
- prepare (database, crypto): an outbox entry becomes a signed `Change` (payload sealed to
  the office, copies to the colleagues on the case, a plan's PDF sealed as an attachment),
  its recipe kept so a retry after a cut connection sends the same bytes again: a
  duplicate, never a second record (recipes.py);
- send (network): attachments uploaded (uploads.py), then the batch pushed;
- settle (database): each change marked by the office's answer.
Also which signed plans were never built (`unbuilt_plans`: they may still be dated by the
office before they go). Never lets one bad change stop the rest (it is quarantined with its reason), never marks a
change sent before the office said so, never imports Qt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from kitchentable.domain.case import CaseStatus, transition
from kitchentable.errors import KitchentableError
from kitchentable.storage.crypto import unb64
from kitchentable.storage.database import now_iso
from kitchentable.storage.outbox import OutboxEntry, OutboxState
from kitchentable.storage.sync_state import CaseSyncState, KeptChange, KeptRecipe, SyncCase
from kitchentable.sync import recipes
from kitchentable.sync.conflicts import record_conflict
from kitchentable.sync.errors import ServerAnswerUnreadable
from kitchentable.sync.model import Enrolment, Entity, Local, SyncReport
from kitchentable.sync.protocol import (
    SERVER_ERROR,
    Change,
    ChangeResult,
    PushRequest,
    PushResponse,
)
from kitchentable.sync.snapshots import Snapshot, encoded_digest, payload_bytes, snapshot
from kitchentable.sync.transport import Transport
from kitchentable.sync.wire import ProtocolError

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
    state: SyncCase | None = None  # as read when the digests were compared
    parts: dict[str, bytes] = field(default_factory=dict)  # the snapshot encoded (wire.joined)
    position: int = 0  # among the cases asked for


@dataclass
class Collected:
    unreadable: int = 0  # cases that could not be read; they wait
    stamps: dict[str, str] = field(default_factory=dict)  # change id → content stamp
    looked: int = 0  # how many of the cases asked for were looked at (the rest: next step)
    ready: list[Outgoing] = field(default_factory=list)  # built and kept in the same step


@dataclass(frozen=True)
class Outgoing:
    """An outbox entry made ready to send: the change as first built and its files."""

    entry: OutboxEntry
    change: Change
    attachments: tuple[bytes, ...] = ()

    @property
    def files(self) -> list[tuple[str, bytes]]:
        """Each attachment with the SHA-256 the change names for it (made from these bytes
        when the change was built, or checked against them when it goes again)."""
        return list(zip(self.change.attachments, self.attachments, strict=True))


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
        parts, value = encoded_digest(built)
        state = local.state.case(case_id)
        if state is None or state.pushed_digest != value:
            dirty.append(Dirty(case_id, built, value, stamp, state, parts, looked - 1))
        else:
            local.repo.set_sync_state(case_id, CaseSyncState.SYNCED)
    return dirty, unreadable, looked


def collect(
    local: Local, case_ids: list[str] | None = None, enrolment: Enrolment | None = None
) -> Collected:
    """Changed cases into the outbox (these, or all candidates), in one transaction. The
    run calls it on a few cases at a time, so the database is never held for long. With
    the enrolment, each new change is also built from the snapshot in hand and kept in the
    same transaction (`ready`): it never has to be read back, opened and encoded again —
    unless other work waits meanwhile: then the change in hand waits in the outbox to be
    prepared later, and the cases after it are looked at again in the next step (`looked`
    says where that starts), so an autosave waits for one case, not for the step."""
    dirty, unreadable, looked = dirty_cases(local, case_ids, yielding=True)
    collected = Collected(unreadable, looked=looked)
    if not dirty:
        return collected
    cursor = local.cursor()
    with local.db.atomic():
        for index, item in enumerate(dirty):
            if index and local.others_waiting():
                collected.looked = item.position
                break
            state = item.state
            if state is None:
                state = SyncCase(office_case_id=item.case_id)
                local.state.save_case(item.case_id, state)
            item.snapshot["office_case_id"] = state.office_case_id
            # The payload's canonical bytes, from the snapshot's parts: kept in the outbox
            # and sealed to the office as they are (the snapshot is not encoded again).
            plaintext = payload_bytes(item.parts, item.digest, state.office_case_id)
            entry = local.outbox.add(
                Entity.CASE,
                state.office_case_id,
                {"snapshot": item.snapshot, "digest": item.digest},
                case_id=item.case_id,
                base_version=state.base_version,
                encoded=plaintext,
            )
            local.repo.set_sync_state(item.case_id, CaseSyncState.PENDING)
            collected.stamps[entry.id] = item.stamp
            # Built now from the bytes in hand, unless other work waits for the database
            # (an autosave): then it waits in the outbox and is prepared in a later step.
            if enrolment is not None and not local.others_waiting():
                copy_to = _copy_to(state, enrolment)
                material = Material(entry, None, None, state.office_case_id, copy_to, plaintext)
                try:
                    built = build(material, enrolment, cursor, local.state.seal_wire)
                except (KitchentableError, ProtocolError, KeyError, ValueError):
                    continue  # it waits in the outbox; preparing it says why
                assert built.sealed_wire is not None
                local.state.put_sealed_wire(entry.id, built.sealed_wire)
                collected.ready.append(built.outgoing)
    return collected


# --- prepare (database, crypto in the same step) -------------------------------------------


@dataclass(frozen=True)
class Material:
    """What the database gives for building one change."""

    entry: OutboxEntry
    kept: KeptChange | KeptRecipe | None = None  # built before (a retry): goes again as it was
    pdf: bytes | None = None  # a plan's sealed PDF, to seal to the office as an attachment
    office_case: str | None = None
    copy_to: tuple[tuple[str, bytes], ...] = ()
    plaintext: bytes | None = None  # the payload's canonical bytes, when made already


@dataclass(frozen=True)
class Built:
    outgoing: Outgoing
    sealed_wire: bytes | None  # the kept change, sealed; None when it was kept before


@dataclass
class Prepared:
    ready: list[Outgoing] = field(default_factory=list)
    done: int = 0  # entries handled (ready, skipped, or quarantined); the rest: next step


def prepare(local: Local, ids: list[str], enrolment: Enrolment, report: SyncReport) -> Prepared:
    """Make these outbox entries ready to send, in one transaction that ends early when
    other work waits: each read, built (sealed and signed: a fraction of a millisecond, the
    PDF's sealing the most) and kept before any of them is sent. An entry that cannot be
    prepared is quarantined, one no longer waiting (settled meanwhile) is skipped."""
    prepared = Prepared()
    cursor = local.cursor()
    with local.db.atomic():
        for change_id in ids:
            if prepared.done and local.others_waiting():
                break
            prepared.done += 1
            (entry,) = local.outbox.entries([change_id]) or (None,)
            if entry is None or entry.state != OutboxState.PENDING:
                continue
            try:
                # No savepoint per entry (each costs a statement journal): the kept change
                # is one statement, and all that may be written before a failure is the
                # case's office id (_material), which the collect would write the same.
                built = build(
                    _material(local, entry, enrolment), enrolment, cursor, local.state.seal_wire
                )
                if built.sealed_wire is not None:
                    local.state.put_sealed_wire(entry.id, built.sealed_wire)
            except (KitchentableError, ProtocolError, KeyError, ValueError) as exc:
                _quarantine(local, entry, exc, report)
                continue
            prepared.ready.append(built.outgoing)
    return prepared


def _material(local: Local, entry: OutboxEntry, enrolment: Enrolment) -> Material:
    kept = local.state.wire(entry.id)
    pdf = None
    if entry.entity == Entity.PLAN and (kept is None or kept.seed is not None):
        pdf = local.repo.get_document(entry.payload["document_id"])
    if kept is not None and kept.device_id == enrolment.device_id:
        return Material(entry, kept, pdf)
    if not entry.case_id:
        return Material(entry, pdf=pdf)
    state = local.state.case(entry.case_id)
    if state is None:
        # A local case's plan prepared before the case itself was collected (they run side
        # by side): the case gets its office id now, as the collect would give it.
        state = SyncCase(office_case_id=entry.case_id)
        local.state.save_case(entry.case_id, state)
    return Material(entry, None, pdf, state.office_case_id, _copy_to(state, enrolment))


def _copy_to(state: SyncCase, enrolment: Enrolment) -> tuple[tuple[str, bytes], ...]:
    """The other devices on the case, whose copies the change carries."""
    return tuple(
        (r["device_id"], unb64(r["box_public"]))
        for r in state.recipients
        if r["device_id"] != enrolment.device_id
    )


def build(
    material: Material,
    enrolment: Enrolment,
    cursor: int,
    seal_wire: Callable[[str, KeptRecipe], bytes],
) -> Built:
    """The change for an outbox entry, signed and sealed, and its recipe sealed for the
    vault (recipes.py): crypto only, no database."""
    entry = material.entry
    if material.kept is not None:
        change, files = recipes.again(
            entry, material.kept, material.pdf, enrolment.keys.sign_private
        )
        return Built(Outgoing(entry, change, files), None)
    change, files, recipe = recipes.first(
        entry,
        enrolment,
        cursor=cursor,
        office_case=material.office_case,
        copy_to=material.copy_to,
        plaintext=material.plaintext,
        pdf=material.pdf,
    )
    return Built(Outgoing(entry, change, files), seal_wire(entry.id, recipe))


def _quarantine(local: Local, entry: OutboxEntry, exc: Exception, report: SyncReport) -> None:
    local.outbox.mark(entry.id, OutboxState.QUARANTINED, f"cannot be prepared: {exc}")
    report.quarantined += 1


# --- send (network) -----------------------------------------------------------------------


async def push_batch(net: Transport, device_id: str, batch: list[Outgoing]) -> list[ChangeResult]:
    """Push the batch's changes (their files are up already); the office's answer per
    change, checked to be in order and complete."""
    body = PushRequest.encode(device_id, [o.change for o in batch])
    answer = await net.json(
        "POST", "/api/v1/push", content=body, headers={"Content-Type": "application/json"}
    )
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
    if entry.entity == Entity.CASE:
        version, digest = result.server_version or 0, entry.payload.get("digest")
        local.state.settle_case(entry.case_id, now_iso(), (version, digest))
        # 'synced' when nothing changed since the snapshot was built (same content stamp);
        # otherwise the case stays 'pending' and the next look compares digests.
        if stamp is not None and local.repo.content_stamp(entry.case_id) == stamp:
            local.repo.set_sync_state(entry.case_id, CaseSyncState.SYNCED)
    elif entry.entity == Entity.PLAN:
        status = local.repo.status(entry.case_id)
        if status == CaseStatus.SIGNED:
            local.repo.set_status(entry.case_id, transition(status, CaseStatus.SYNCED))
        local.state.settle_case(entry.case_id, now_iso())
