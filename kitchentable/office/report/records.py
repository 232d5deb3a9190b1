"""One record per case, from what the office received: the facts the monitoring reads.

Owns opening, with the office key, the latest accepted version of each case (its snapshot:
case, person, conversation) and of its signed plan (`export.open_change`; a change that does
not open is counted and left out, never guessed at), a chunk of envelopes at a time, the office's own copy of each
assignment (a melding the office assigned counts before any laptop sent it), and reading
from them, by the plan's own vocabulary (plan paths such as `checks.client_support_informed`,
`consents.survey`; results with their step, category and leveringsvorm), the facts of one
case. Everything came from a device, so every value is type-checked: a wrong type is treated
as not given. A case's team is its plan's `header.team`, else the team its consultant named
in their latest signed plan. Never writes anything and never keeps a payload longer than it
takes to read its facts (of a plan only the entries the report reads).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from kitchentable.office.export import open_change
from kitchentable.office.keys import OfficePrivateKeys
from kitchentable.office.store import Store
from kitchentable.sync.protocol import SealedPayload
from kitchentable.sync.wire import ProtocolError, parse_json

TERM = timedelta(weeks=6)  # Wmo 2015 art. 2.3.2 lid 1; the Jeugdwet forms keep the same term
DECISION_LEVELS = ("maatwerkvoorziening", "individuele_voorziening")
NO_TEAM = "Onbekend"
CHUNK = 500  # envelopes read at a time
# What the report reads of a plan's entries and a person: nothing else is kept.
ENTRIES = (
    "checks.client_support_informed", "checks.client_support_involved",
    "checks.personal_plan_informed", "checks.personal_plan_received",
    "checks.family_plan_offered", "checks.family_plan_wish", "consents.survey",
    "consents.survey_channel", "consents.survey_email", "consents.survey_phone",
    "consents.survey_name", "header.team", "term.extended_until",
)  # fmt: skip
PERSON = ("name", "bsn", "email", "phone", "address")


@dataclass(frozen=True)
class Result:
    level: str
    category: str = ""
    delivery: str = ""  # zin | pgb
    product: str = ""
    start: str = ""
    end: str = ""
    volume: float | None = None
    unit: str = ""
    frequency: str = ""
    budget: float | None = None

    @property
    def needs_decision(self) -> bool:
        return self.level in DECISION_LEVELS


@dataclass(frozen=True)
class Plan:
    """A signed plan's facts."""

    signed: date
    entries: Mapping[str, Any]
    results: tuple[Result, ...]
    application: bool
    extended_until: date | None
    team: str

    def flag(self, path: str) -> bool | None:
        value = self.entries.get(path)
        return value if isinstance(value, bool) else None

    def text(self, path: str) -> str:
        value = self.entries.get(path)
        return value.strip() if isinstance(value, str) else ""


@dataclass
class Case:
    key: str  # the office case id
    reference: str = ""
    law: str = "wmo"
    melding: date | None = None
    conversation: date | None = None
    consultant: str = ""
    team: str = NO_TEAM
    person: Mapping[str, Any] = field(default_factory=dict)
    plan: Plan | None = None

    @property
    def term_end(self) -> date | None:
        """The last day of the investigation term: six weeks, or the agreed extension."""
        if self.melding is None:
            return None
        end = self.melding + TERM
        extended = self.plan.extended_until if self.plan else None
        return max(end, extended) if extended else end


@dataclass
class Collected:
    cases: list[Case]
    unreadable: int = 0  # changes or office copies that did not open (left out, counted)


def collect(store: Store, private: OfficePrivateKeys) -> Collected:
    """Every case the office knows, with the facts of its latest versions; the envelopes are
    read CHUNK at a time and each payload is dropped once its facts are read."""
    consultants = {d.id: d.consultant for d in store.devices()}
    found = Collected([])
    cases: dict[str, Case] = {}
    for case_id, document in _assignments(store, private, found):
        cases[case_id] = _from_assignment(case_id, document)
    versions = store.latest_accepted(("case", "plan"))
    for first in range(0, len(versions), CHUNK):
        for meta in store.changes_at(versions[first : first + CHUNK]):
            opened = open_change(meta, private)
            if opened is None:
                found.unreadable += 1
                continue
            key = str(meta["case_ref"])
            case = cases.setdefault(key, Case(key))
            if meta["entity"] == "case":
                _take_snapshot(case, opened[1].get("snapshot"))
                case.consultant = consultants.get(meta["device_id"], case.consultant)
            else:
                case.plan = _plan(opened[1].get("plan"), str(meta.get("received_at", "")))
    _teams(cases.values())
    found.cases = sorted(cases.values(), key=lambda c: (c.melding or date.min, c.reference))
    return found


def _assignments(
    store: Store, private: OfficePrivateKeys, found: Collected
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The office's own copy of each case it assigned: the melding as the office knew it."""
    for assignment in store.assignments():
        case_id = str(assignment["case_id"])
        copy = store.office_copy(case_id)
        if copy is None:
            continue
        try:
            sealed = SealedPayload.from_wire(parse_json(copy))
            document = json.loads(sealed.open(private.box_private, _copy_info(case_id)))
        except (ProtocolError, ValueError):
            found.unreadable += 1
            continue
        case = document.get("case") if isinstance(document, dict) else None
        if isinstance(case, dict):
            yield case_id, case


def _copy_info(case_id: str) -> str:
    return f"kitchentable/assignment/v1:{case_id}"  # office.publish seals it so


def _from_assignment(case_id: str, case: Mapping[str, Any]) -> Case:
    person = case.get("person")
    form = _text(case.get("form"))
    return Case(
        case_id,
        reference=_text(case.get("external_id")),
        law="jeugd" if "jeugd" in form else "wmo",
        melding=_date(case.get("melding_date")),
        person={k: person[k] for k in PERSON if k in person} if isinstance(person, dict) else {},
    )


def _take_snapshot(case: Case, snapshot: object) -> None:
    if not isinstance(snapshot, dict):
        return
    details = _dict(snapshot.get("case"))
    case.reference = _text(details.get("external_id")) or case.reference
    case.melding = _date(details.get("melding_date")) or case.melding
    person = snapshot.get("person")
    if isinstance(person, dict):
        case.person = {k: person[k] for k in PERSON if k in person}
    form = _dict(snapshot.get("form"))
    draft = _dict(snapshot.get("plan"))
    case.law = _text(draft.get("kind")) or ("jeugd" if "jeugd" in _text(form.get("id")) else "wmo")
    entries = _dict(draft.get("entries"))
    conversation = snapshot.get("conversation")
    started = conversation.get("started_at") if isinstance(conversation, dict) else None
    case.conversation = _date(entries.get("header.conversation_date")) or _date(
        str(started)[:10] if isinstance(started, str) else None
    )
    team = _text(entries.get("header.team"))
    if team:
        case.team = team


def _plan(plan: object, received_at: str) -> Plan | None:
    if not isinstance(plan, dict):
        return None
    entries = _dict(plan.get("entries"))
    signatures = _list(plan.get("signatures"))
    dates = [d for s in signatures if isinstance(s, dict) and (d := _date(s.get("date")))]
    signed = max(dates) if dates else _date(received_at[:10])
    if signed is None:
        return None
    raw = _list(plan.get("results"))
    results = tuple(
        _result(r) for r in raw if isinstance(r, dict) and isinstance(r.get("level"), str)
    )
    return Plan(
        signed=signed,
        entries={k: entries[k] for k in ENTRIES if k in entries},
        results=results,
        application=plan.get("application") is True,
        extended_until=_date(entries.get("term.extended_until")),
        team=_text(entries.get("header.team")),
    )


def _result(raw: Mapping[str, Any]) -> Result:
    return Result(
        level=str(raw["level"]),
        category=_text(raw.get("category")),
        delivery=_text(raw.get("delivery")),
        product=_text(raw.get("product")),
        start=_text(raw.get("start_date")),
        end=_text(raw.get("end_date")),
        volume=_number(raw.get("volume")),
        unit=_text(raw.get("unit")),
        frequency=_text(raw.get("frequency")),
        budget=_number(raw.get("budget")),
    )


def _teams(cases: Iterable[Case]) -> None:
    """The plan's team; else the team the consultant named in their latest signed plan."""
    by_consultant: dict[str, tuple[date, str]] = {}
    for case in cases:
        if case.plan and case.plan.team:
            case.team = case.plan.team
            known = by_consultant.get(case.consultant)
            if known is None or known[0] <= case.plan.signed:
                by_consultant[case.consultant] = (case.plan.signed, case.plan.team)
    for case in cases:
        if case.team == NO_TEAM and case.consultant in by_consultant:
            case.team = by_consultant[case.consultant][1]


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
