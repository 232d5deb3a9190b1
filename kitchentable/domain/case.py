"""A case (*melding*) and its inhabitant: frozen dataclasses and the status rules.

Owns the statuses and which transitions are allowed, and the six-week term of the
investigation (Wmo 2015 art. 2.3.2 lid 1). Knows nothing of storage or sealing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from kitchentable.errors import InvalidTransition

INVESTIGATION_TERM = timedelta(weeks=6)


class CaseStatus(StrEnum):
    NEW = "new"
    IN_CONVERSATION = "in_conversation"
    PLAN_DRAFTED = "plan_drafted"
    SIGNED = "signed"
    SYNCED = "synced"


# A drafted plan can go back to the conversation (the inhabitant adds something); a signed
# plan cannot: a change after signing means a new conversation and a new signature.
ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset({CaseStatus.IN_CONVERSATION}),
    CaseStatus.IN_CONVERSATION: frozenset({CaseStatus.PLAN_DRAFTED}),
    CaseStatus.PLAN_DRAFTED: frozenset({CaseStatus.IN_CONVERSATION, CaseStatus.SIGNED}),
    CaseStatus.SIGNED: frozenset({CaseStatus.SYNCED}),
    CaseStatus.SYNCED: frozenset(),
}


def transition(current: CaseStatus, target: CaseStatus) -> CaseStatus:
    if current == target:
        return current
    if target not in ALLOWED[current]:
        raise InvalidTransition(current=current.value, target=target.value)
    return target


def deadline_for(melding_date: date) -> date:
    return melding_date + INVESTIGATION_TERM


class BsnSource(StrEnum):
    """Where a BSN came from: the office (population register, verified) or typed here."""

    OFFICE = "office"
    TYPED = "typed"


@dataclass(frozen=True)
class Address:
    street: str = ""
    postcode: str = ""
    city: str = ""

    def one_line(self) -> str:
        return ", ".join(p for p in (self.street, f"{self.postcode} {self.city}".strip()) if p)


@dataclass(frozen=True)
class Person:
    name: str
    bsn: str = ""
    bsn_source: BsnSource = BsnSource.TYPED
    birth_date: str = ""
    phone: str = ""
    email: str = ""
    address: Address = field(default_factory=Address)


@dataclass(frozen=True)
class Case:
    id: str
    external_id: str
    melding_date: date
    deadline: date
    status: CaseStatus
    form_id: str
    form_version: str
    origin: str
    created_at: str
    updated_at: str
    version: int
    sync_state: str
    person: Person
    notes: str = ""
    kind: str = ""

    def days_left(self, today: date | None = None) -> int:
        return (self.deadline - (today or date.today())).days
