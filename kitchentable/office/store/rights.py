"""Who may work on a case: the office store's `case_rights` rows and the checks on a change.

Owns the rule a change must pass before its fate is decided: a device pushes only a case
assigned to its consultant, or one it created (its first change to an unknown case makes it
the owner); a record stays in the case it was first stored under; copies go only to devices
of the consultant on the case. A reassignment by the office moves the right to another
consultant (and takes it from a device that owned the case). Every check runs inside the
caller's transaction, so no change slips between a reassignment and its decision. A refusal
says why and never names a version or anything else about the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kitchentable.office.backends import Backend, Cursor
from kitchentable.office.errors import OfficeError
from kitchentable.office.store.common import Right, case_of, insert_item, iso
from kitchentable.sync.protocol import Change, FeedItem

if TYPE_CHECKING:
    from kitchentable.office.store.lookups import Lookups, Record

__all__ = [
    "NOT_YOURS",
    "Refusal",
    "Right",
    "case_of",
    "check",
    "delivered_to",
    "grant",
    "reassign",
    "right",
    "rights",
]

NOT_YOURS = (
    "This case is not assigned to this laptop's consultant; the office decides who works on "
    "it. The change was not stored."
)


@dataclass(frozen=True)
class Refusal:
    reason: str
    message: str


def grant(cur: Cursor, case_ref: str, consultant: str, now: datetime) -> None:
    """The office assigned a case: every device of `consultant` may push it."""
    cur.execute(
        "INSERT INTO case_rights (case_ref, consultant, device_id, created_at) "
        "VALUES (?, ?, NULL, ?)",
        [case_ref, consultant, iso(now)],
    )


def right(cur: Cursor, case_ref: str) -> Right | None:
    row = cur.execute(
        "SELECT consultant, device_id FROM case_rights WHERE case_ref = ?", [case_ref]
    ).fetchone()
    return None if row is None else Right(row[0], row[1])


def check(lookups: Lookups, change: Change, stored: Record | None) -> Refusal | Right:
    """The right this change pushes under (`new` for a new case, not yet stored), or why
    it is refused; `stored` is the row of the record it changes, as the caller read it."""
    case_ref = case_of(change)
    if change.entity == "case" and change.case_ref not in (None, change.entity_id):
        return Refusal("wrong_case", "A case snapshot must name its own case.")
    device = lookups.device(change.device_id)
    if device is None:
        return Refusal("not_your_case", NOT_YOURS)
    consultant = device.consultant
    held = lookups.right(case_ref)
    if held is None:
        held = Right(consultant, change.device_id, new=True)  # its creator owns a new case
    elif held.device_id not in (None, change.device_id) or held.consultant != consultant:
        return Refusal("not_your_case", NOT_YOURS)
    if stored is not None and stored.case_ref is not None and stored.case_ref != case_ref:
        return Refusal("wrong_case", "This record belongs to another case; it was not stored.")
    for recipient, _sealed in change.copies:
        named = lookups.device(recipient)
        if named is None or named.consultant != held.consultant:
            return Refusal(
                "foreign_copy",
                "A copy of this change is addressed to a device that does not work on this "
                "case; nothing was stored.",
            )
    return held


def delivered_to(lookups: Lookups, recipient: str) -> bool:
    """A copy reaches a device of the case's consultant only while it is not revoked."""
    device = lookups.device(recipient)
    return device is not None and not device.revoked


def reassign(
    backend: Backend,
    case_ref: str,
    consultant: str,
    now: datetime,
    items: Sequence[FeedItem] = (),
) -> Right:
    """Move the right to push a case to `consultant` (any of their devices) and publish
    `items` (the case for their laptops) in the same transaction; returns the right it had.
    The assignment, if any, moves with it."""
    with backend.transaction() as cur:
        held = right(cur, case_ref)
        if held is None:
            raise OfficeError(
                "unknown_case", f"The office knows no case {case_ref}. Nothing was changed.", 404
            )
        cur.execute(
            "UPDATE case_rights SET consultant = ?, device_id = NULL, moved_at = ? "
            "WHERE case_ref = ?",
            [consultant, iso(now), case_ref],
        )
        cur.execute(
            "UPDATE assignments SET consultant = ? WHERE case_id = ?", [consultant, case_ref]
        )
        for item in items:
            insert_item(cur, item, now)
    return held


def rights(backend: Backend) -> dict[str, Right]:
    """Every case's right (admin page, export, tests)."""
    with backend.transaction(write=False) as cur:
        rows = cur.execute("SELECT case_ref, consultant, device_id FROM case_rights").fetchall()
    return {row[0]: Right(row[1], row[2]) for row in rows}
