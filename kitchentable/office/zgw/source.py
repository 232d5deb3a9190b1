"""The received signed plans a delivery takes, opened the way the export opens them.

Owns choosing which stored changes are deliverable (accepted plans, in the order the office
received them) and pairing each with its case: the latest accepted snapshot of the case the
plan belongs to, and the sealed PDF checked against the hash the plan names
(`export.open_change`, `export.plan_pdf`). A plan whose case has not arrived, or that
does not open, waits and is counted; it is never guessed at. Never writes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kitchentable.office.export import open_change, plan_pdf
from kitchentable.office.keys import OfficePrivateKeys
from kitchentable.office.store import Store


@dataclass(frozen=True)
class SignedPlan:
    change_id: str
    received_at: str  # when the office accepted the plan (ISO, UTC)
    consultant: str  # who the device that sent it belongs to
    snapshot: dict[str, Any]  # the case: case, person, form, answers (labelled), plan
    plan: dict[str, Any]  # the plan as signed: entries, results, signatures
    pdf: bytes  # the sealed PDF, byte for byte as the laptop made it

    @property
    def reference(self) -> str:
        return str(self.snapshot.get("case", {}).get("external_id") or self.change_id)


@dataclass
class Waiting:
    """Plans not offered this round, by reason (counts only: no plan data)."""

    no_case: int = 0
    unreadable: int = 0
    ids: list[str] = field(default_factory=list)


def signed_plans(
    store: Store, private: OfficePrivateKeys, skip: set[str], waiting: Waiting
) -> Iterator[SignedPlan]:
    """Accepted plans not in `skip`, oldest first, each with its case's latest snapshot."""
    changes = store.changes()
    consultants = {d.id: d.consultant for d in store.devices()}
    latest_case: dict[str, dict[str, Any]] = {}
    for meta in changes:
        if meta["entity"] == "case" and meta["status"] == "accepted" and meta["case_ref"]:
            latest_case[meta["case_ref"]] = meta  # in server order: the last one wins
    for meta in changes:
        if meta["entity"] != "plan" or meta["status"] != "accepted" or meta["id"] in skip:
            continue
        case_meta = latest_case.get(meta["case_ref"] or "")
        if case_meta is None:
            waiting.no_case += 1
            waiting.ids.append(meta["id"])
            continue
        opened_plan = open_change(meta, private)
        opened_case = open_change(case_meta, private)
        pdf = None if opened_plan is None else plan_pdf(store, private, meta["id"], opened_plan[1])
        if opened_plan is None or opened_case is None or pdf is None:
            waiting.unreadable += 1
            waiting.ids.append(meta["id"])
            continue
        payload = opened_plan[1]
        yield SignedPlan(
            change_id=meta["id"],
            received_at=meta["received_at"],
            consultant=consultants.get(meta["device_id"], ""),
            snapshot=dict(opened_case[1].get("snapshot") or {}),
            plan=dict(payload.get("plan") or {}),
            pdf=pdf,
        )
