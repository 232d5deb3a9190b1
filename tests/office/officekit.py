"""Helpers for office tests: a settable clock, a protocol-speaking laptop, an office."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from kitchentable.office.store import Store
from kitchentable.sync.protocol import Change, DeviceKeys, EnrolRequest, EnrolResponse

OFFICE_PASSPHRASE = "office horse battery staple"


def uid(name: str) -> str:
    """A stable canonical UUID for a readable test name ("case-1" → the same UUID every
    time): the server accepts only canonical UUIDs for ids that become file names."""
    try:
        return str(uuid.UUID(name)) if str(uuid.UUID(name)) == name else _named(name)
    except ValueError:
        return _named(name)


def _named(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kitchentable-test:{name}"))


class Clock:
    """A settable clock: enrolment codes expire by it; change decisions must not use it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Laptop:
    """Just enough of a laptop to speak the protocol: keys, enrolment, a sequence."""

    keys: DeviceKeys
    enrolment: EnrolResponse
    seq: int = 0
    seen: int = 0
    sent: list[Change] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.enrolment.token}"}

    def change(self, entity_id: str, plaintext: bytes, base_version: int = 0, **kw: Any) -> Change:
        """A signed change; readable test names for the record and its case ("a-1",
        "case-1") become their UUIDs (`uid`)."""
        self.seq += 1
        if kw.get("case_ref") is not None:
            kw["case_ref"] = uid(kw["case_ref"])
        fields: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "device_id": self.enrolment.device_id,
            "seq": self.seq,
            "entity": "answer",
            "entity_id": uid(entity_id),
            "case_ref": uid("case-1"),
            "base_version": base_version,
            "last_seen_server_version": self.seen,
            "plaintext": plaintext,
            "office_box_public": self.enrolment.office_box_public,
            "sign_private": self.keys.sign_private,
        }
        fields.update(kw)
        return Change.create(**fields)

    def push_body(self, changes: list[Any]) -> dict[str, Any]:
        wire = [c.to_wire() if isinstance(c, Change) else c for c in changes]
        return {"v": 1, "device_id": self.enrolment.device_id, "changes": wire}


@dataclass
class Office:
    data: Path
    store: Store
    client: TestClient
    clock: Clock

    def assign(self, case: str = "case-1", consultant: str = "anna") -> str:
        """The office assigns a case (by its test name) to a consultant: every one of their
        laptops may push it. Returns its id."""
        self.store.assign(uid(case), consultant, case, None, "{}", [], self.clock())
        return uid(case)

    def enrol(self, consultant: str = "anna") -> Laptop:
        code = self.store.create_code(consultant, self.clock())
        device = DeviceKeys.generate()
        answer = self.client.post(
            "/api/v1/enrol", json=EnrolRequest.create(code, "laptop", device).to_wire()
        )
        assert answer.status_code == 200, answer.text
        return Laptop(device, EnrolResponse.from_wire(answer.json()))

    def push(self, laptop: Laptop, changes: list[Any]) -> list[dict[str, Any]]:
        answer = self.client.post(
            "/api/v1/push", json=laptop.push_body(changes), headers=laptop.auth
        )
        assert answer.status_code == 200, answer.text
        results: list[dict[str, Any]] = answer.json()["results"]
        return results
