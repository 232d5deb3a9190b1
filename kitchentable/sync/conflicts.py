"""Two devices changed one case: keep both versions until the consultant chooses.

Owns the decision on a colleague's version that arrives in the pull feed (a clean update
applies, anything else becomes a conflict), recording a conflict from either side (the
office answered `conflict` to a push, or a parallel version arrived), listing the open
ones, and resolving one: keep mine (it goes to the office as the next version) or take
theirs (it replaces the local answers). The case open on screen is never changed under the
consultant's hands. Never drops a version, never decides by wall clock, never imports Qt.
"""

from __future__ import annotations

import json
from typing import Any

from kitchentable.storage.crypto import unb64
from kitchentable.storage.database import now_iso
from kitchentable.storage.sync_state import CaseSyncState, StoredConflict, SyncCase
from kitchentable.sync.errors import ServerRefused
from kitchentable.sync.model import Enrolment, Entity, Keep, Local
from kitchentable.sync.protocol import PullEntry
from kitchentable.sync.snapshots import (
    Snapshot,
    apply_snapshot,
    current_digest,
    digest,
    snapshot,
)
from kitchentable.sync.wire import ProtocolError


def record_conflict(
    local: Local,
    case_id: str,
    *,
    conflict_id: str,
    mine: Snapshot | None,
    theirs: Snapshot | None,
    theirs_from: str | None,
    current_version: int,
) -> None:
    """Open a conflict, or add what just arrived to the one already open. Caller holds
    atomic()."""
    existing = local.state.open_conflict(case_id)
    if existing is not None:
        local.state.save_conflict(
            StoredConflict(
                id=existing.id,
                case_id=case_id,
                created_at=existing.created_at,
                mine=existing.mine if existing.mine is not None else mine,
                theirs=theirs if theirs is not None else existing.theirs,
                theirs_from=theirs_from if theirs is not None else existing.theirs_from,
                current_version=max(existing.current_version, current_version),
            )
        )
        return
    local.state.save_conflict(
        StoredConflict(conflict_id, case_id, now_iso(), mine, theirs, theirs_from, current_version)
    )
    local.repo.set_sync_state(case_id, CaseSyncState.CONFLICT)
    local.access.record("sync.conflict", "case", case_id)


def apply_peer_change(
    local: Local,
    enrolment: Enrolment,
    entry: PullEntry,
    keep_as_is: frozenset[str],
) -> bool:
    """A colleague's version of a shared case: applied when this laptop did not change the
    case (and it is not on screen), else kept as a conflict. True when it became one.
    Caller holds atomic()."""
    change = entry.change
    assert change is not None
    if change.entity != Entity.CASE:
        return False
    case_id = local.state.local_case(change.entity_id)
    if case_id is None:
        return False
    state = local.state.case(case_id)
    assert state is not None
    author = next((r for r in state.recipients if r["device_id"] == change.device_id), None)
    if author is None:
        raise ProtocolError("unknown_author", "a version from a device the office never named")
    change.verify(unb64(author["sign_public"]))
    theirs = json.loads(change.open_copy(enrolment.device_id, enrolment.keys.box_private))
    received: Snapshot = theirs["snapshot"]
    version = entry.server_version or 0
    mine = snapshot(local, case_id)  # built once: digest, comparison and conflict use it
    untouched = (
        state.pushed_digest == digest(mine)
        and not local.outbox.has_pending(case_id, Entity.CASE)
        and case_id not in keep_as_is
    )
    if (
        entry.status == "accepted"
        and untouched
        and local.state.open_conflict(case_id) is None
        and version > state.base_version
    ):
        # A clean update by a colleague on a case this laptop did not change.
        apply_snapshot(local, case_id, received)
        state.base_version = version
        state.pushed_digest = current_digest(local, case_id)
        local.state.save_case(case_id, state)
        local.repo.set_sync_state(case_id, CaseSyncState.SYNCED)
        return False
    if {**mine, "office_case_id": received.get("office_case_id")} == received:
        return False
    record_conflict(
        local,
        case_id,
        conflict_id=change.id,
        mine=mine,
        theirs=received,
        theirs_from=author.get("label") or author.get("consultant") or change.device_id,
        current_version=version if entry.status == "accepted" else state.base_version,
    )
    return True


def resolve(local: Local, conflict_id: str, keep: Keep) -> None:
    """Close a conflict. MINE: this laptop's version goes to the office as the next
    version; THEIRS: the other device's version replaces the local one."""
    keep = Keep(keep)
    conflict = next((c for c in local.state.conflicts() if c.id == conflict_id), None)
    if conflict is None:
        raise ServerRefused(message="this conflict is not open (any more).")
    case_id = conflict.case_id
    with local.db.atomic():
        state = local.state.case(case_id) or SyncCase(case_id)
        state.base_version = conflict.current_version
        if keep == Keep.THEIRS:
            if conflict.theirs is None:
                raise ServerRefused(
                    message="the other version has not arrived yet; synchronise first."
                )
            apply_snapshot(local, case_id, conflict.theirs)
            state.pushed_digest = current_digest(local, case_id)
            local.state.save_case(case_id, state)
            local.repo.set_sync_state(case_id, CaseSyncState.SYNCED)
        else:
            # Mine becomes a clean update on top of the version it lost against.
            state.pushed_digest = None
            local.state.save_case(case_id, state)
            local.repo.set_sync_state(case_id, CaseSyncState.PENDING)
        local.state.resolve_conflict(conflict_id)
        local.access.record("sync.resolve", "case", case_id, detail={"keep": keep.value})


def listing(local: Local) -> list[dict[str, Any]]:
    """Open conflicts with both versions, as plain data (the CLI prints it as JSON)."""
    return [
        {
            "id": c.id,
            "case_id": c.case_id,
            "created_at": c.created_at,
            "mine": c.mine,
            "theirs": c.theirs,
            "theirs_from": c.theirs_from,
            "current_version": c.current_version,
        }
        for c in local.state.conflicts()
    ]
