"""The words the sync parts share: enrolment, policy, report, status, progress, and the
storage handles a sync works on.

Owns the typed states (enums instead of bare strings), the values the parts hand each other
and the two seams to the rest of the app: `Local` (the unlocked profile's storage, built by
services) and `Host` (what sync asks of the app and must not do itself: import an assigned
case, lower the auto-lock, hand over and replace the seal certificate), and `Stamp` (the
app's PDF work that dates a plan with the office's time). Never does I/O itself, never
imports services or Qt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import sqlite_utils

from kitchentable.formengine.loader import FormRegistry
from kitchentable.storage.audit import AccessLog
from kitchentable.storage.crypto import b64, unb64
from kitchentable.storage.outbox import Outbox
from kitchentable.storage.repositories import Repository
from kitchentable.storage.sync_state import SyncStore
from kitchentable.sync.protocol import DeviceKeys
from kitchentable.sync.wire import ProtocolError

SYNCED_FORMS = "synced-forms"  # the profile's folder of forms the office sent


class Entity(StrEnum):
    """What an outbox change carries."""

    CASE = "case"  # a snapshot of the case (conversation, person, plan draft)
    PLAN = "plan"  # the signed plan, with its sealed PDF as an attachment


class Phase(StrEnum):
    PUSH = "push"
    PULL = "pull"


class Keep(StrEnum):
    """Which version a resolved conflict keeps."""

    MINE = "mine"
    THEIRS = "theirs"


class StateKey(StrEnum):
    """The keys of the `sync_state` table."""

    ENROLMENT = "enrolment"
    CURSOR = "cursor"
    POLICY = "policy"
    CATALOGUE = "catalogue"
    LAST_SYNC = "last_sync_at"
    LAST_CHECKIN = "last_checkin"
    LOG_SENT = "log_sent"  # the last access-log line the office confirmed: id and witness
    TRUST_ROOT = "trust_root"  # the office root (PEM) the laptop trusts, from enrolment
    REVOCATION = "revocation"  # the office's revocation lists, per issuing CA
    TSA = "tsa"  # whether the office time-stamps (an office without it is asked daily)


@dataclass
class Enrolment:
    server: str
    fingerprint: str | None
    device_id: str
    token: str
    consultant: str
    office_box_public: bytes
    office_sign_public: bytes
    keys: DeviceKeys

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "fingerprint": self.fingerprint,
            "device_id": self.device_id,
            "token": self.token,
            "consultant": self.consultant,
            "office_box_public": b64(self.office_box_public),
            "office_sign_public": b64(self.office_sign_public),
            "sign_private": b64(self.keys.sign_private),
            "sign_public": b64(self.keys.sign_public),
            "box_private": b64(self.keys.box_private),
            "box_public": b64(self.keys.box_public),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Enrolment:
        raw = {k: unb64(v) for k, v in data.items() if k.endswith(("_public", "_private"))}
        return cls(
            server=data["server"],
            fingerprint=data["fingerprint"],
            device_id=data["device_id"],
            token=data["token"],
            consultant=data["consultant"],
            office_box_public=raw["office_box_public"],
            office_sign_public=raw["office_sign_public"],
            keys=DeviceKeys(
                raw["sign_private"], raw["sign_public"], raw["box_private"], raw["box_public"]
            ),
        )


@dataclass(frozen=True)
class Policy:
    auto_lock_minutes: int | None = None
    retention_days: int | None = None
    offline_days: int | None = None
    issued_at: str = ""

    @classmethod
    def from_content(cls, content: dict[str, Any], issued_at: str) -> Policy:
        def number(key: str, low: int, high: int) -> int | None:
            value = content.get(key)
            if value is None:
                return None
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ProtocolError("malformed", f"The policy's {key} is out of range.")
            return value

        return cls(
            number("auto_lock_minutes", 1, 240),
            number("retention_days", 0, 3650),
            number("offline_days", 1, 365),
            issued_at,
        )


@dataclass
class SyncReport:
    """What one synchronisation did, for the status line and the CLI."""

    pushed: int = 0
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    quarantined: int = 0
    retry_later: int = 0
    pulled: int = 0
    assignments: int = 0
    forms: int = 0
    resynced: bool = False
    purged: int = 0
    log_lines: int = 0  # access-log lines sent to the office
    policy: Policy | None = None  # a newer office policy this sync brought
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    server: str
    waiting: int
    quarantined: int
    conflicts: int
    last_sync_at: str | None
    check_in_overdue: bool


@dataclass(frozen=True)
class Progress:
    phase: Phase
    done: int
    total: int


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class SealKeys:
    """The laptop's seal key and certificate (PEM) with the chain above it, as kept."""

    key_pem: bytes
    certificate: bytes
    chain: tuple[bytes, ...] = ()


# The office's time-stamping service, as the sync reaches it: a DER request in, the DER
# answer out; None when the office has no such service.
AskTsa = Callable[[bytes], Awaitable[bytes | None]]
# Dating a sealed plan (the app's PDF work): (pdf, ask, certificates up to the root, revocation
# lists) → the plan with the office's document time-stamp, or None when there is nothing to do.
Stamp = Callable[[bytes, AskTsa, Sequence[bytes], Sequence[bytes]], Awaitable[bytes | None]]


class Host(Protocol):
    """What sync needs from the app beyond storage (services implements it)."""

    def import_case(self, raw: dict[str, Any]) -> str:
        """Create a case the office assigned (the laptop's import rules); its new id."""
        ...

    def lower_auto_lock(self, minutes: int) -> None:
        """The office's auto-lock is a ceiling: apply it if it is lower than the setting."""
        ...

    def seal_keys(self) -> SealKeys | None:
        """The seal key and certificate the app seals plans with (None: none made yet)."""
        ...

    def renewed_seal_certificate(self, certificate: bytes, chain: tuple[bytes, ...]) -> None:
        """Seal plans with this certificate (for the same key) from now on."""
        ...


class DbLane(Protocol):
    """Runs one short step on the thread that owns the profile's database and hands back
    its result: the app's one database worker, a single thread for the CLI. Sync's network
    work never runs there, so an autosave waits at most one step."""

    def __call__[T](self, step: Callable[[Local], T], /) -> Future[T]: ...


@dataclass(frozen=True)
class Local:
    """One unlocked profile's storage as sync uses it; built by services, used only on the
    thread that runs the profile's database work."""

    db: sqlite_utils.Database
    repo: Repository
    outbox: Outbox
    access: AccessLog
    forms: FormRegistry
    state: SyncStore
    path: Path
    host: Host
    # True while other work waits for the database (an autosave): a long step ends early,
    # after the item in hand, and the rest comes in the next step.
    others_waiting: Callable[[], bool] = lambda: False

    def enrolment(self) -> Enrolment | None:
        data = self.state.get(StateKey.ENROLMENT)
        return None if data is None else Enrolment.from_dict(data)

    def cursor(self) -> int:
        return int(self.state.get(StateKey.CURSOR) or 0)

    def policy(self) -> Policy:
        data = self.state.get(StateKey.POLICY)
        return Policy(**data) if data else Policy()

    def catalogue(self) -> dict[str, Any] | None:
        data: dict[str, Any] | None = self.state.get(StateKey.CATALOGUE)
        return data
