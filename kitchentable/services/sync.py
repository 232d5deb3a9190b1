"""The sync use cases the app and the CLI call: enrol, synchronise, status, conflicts,
catalogue.

Owns handing the sync parts what they need from a profile (its storage as `sync.Local`, the
app's own rules as `sync.Host`: importing an assigned case, the auto-lock ceiling, the seal
key and its renewed certificate; dating a plan with the office's time, which is PDF work)
and applying what they bring back (the seal certificate, office root and address at
enrolment), and what `verify` needs of a profile's trust (the office root, the revocation
lists). The
UI and the CLI reach sync only through here. The network work is a coroutine for the
caller's network lane (`*_on`), the database work goes in short steps to the lane that owns
the profile's database; the blocking forms (`enrol`, `synchronise`) give the CLI a thread
of its own for that. Never imports Qt, never touches the profile's database from the
network lane.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from kitchentable.services.profile import Profile
from kitchentable.storage.sync_state import SyncStore
from kitchentable.sync import conflicts, enrolment, retention, seals, status
from kitchentable.sync.conflict_views import ConflictView, VersionRow, conflict_view
from kitchentable.sync.errors import (
    AlreadyEnrolled,
    CheckInRequired,
    DeviceRevoked,
    NotEnrolled,
    Offline,
    SyncCancelled,
    SyncError,
)
from kitchentable.sync.model import (
    AskTsa,
    DbLane,
    Enrolment,
    Keep,
    Local,
    Phase,
    Policy,
    Progress,
    ProgressFn,
    SealKeys,
    StateKey,
    SyncReport,
    SyncStatus,
)
from kitchentable.sync.run import Clock, SyncRun, utc_now

# The app and the CLI name these through here: they never import the sync package itself.
__all__ = [
    "CheckInRequired",
    "ConflictView",
    "DeviceRevoked",
    "Keep",
    "NotEnrolled",
    "Offline",
    "Phase",
    "ProfileLane",
    "Progress",
    "Standing",
    "SyncCancelled",
    "SyncError",
    "SyncReport",
    "SyncStatus",
    "VersionRow",
    "catalogue",
    "check_in_overdue",
    "conflict_list",
    "conflict_views",
    "enrol",
    "enrol_on",
    "enrolment_of",
    "office_root",
    "policy",
    "profile_lane",
    "require_check_in",
    "resolve",
    "revocation_lists",
    "standing",
    "sync_status",
    "synchronise",
    "synchronise_on",
]


class ProfileHost:
    """The app's rules sync must follow but not own."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    def import_case(self, raw: dict[str, Any]) -> str:
        (case_id,) = self.profile.import_cases({"cases": [raw]})
        return case_id

    def lower_auto_lock(self, minutes: int) -> None:
        current = self.profile.settings.auto_lock_minutes
        self.profile.update_settings(auto_lock_minutes=min(current, minutes))

    def seal_keys(self) -> SealKeys | None:
        identity = self.profile.plans.stored_identity()
        if identity is None:
            return None
        return SealKeys(identity.key_pem, identity.cert_pem, identity.chain_pem)

    def renewed_seal_certificate(self, certificate: bytes, chain: tuple[bytes, ...]) -> None:
        self.profile.plans.recertify(certificate, chain)


async def _time_stamp(
    pdf: bytes, ask: AskTsa, chain: Sequence[bytes], crls: Sequence[bytes]
) -> bytes | None:
    """A plan dated by the office (render.timestamps: pyHanko, imported when first needed,
    not when the app starts)."""
    from kitchentable.render.timestamps import time_stamp

    return await time_stamp(pdf, ask, chain, crls)


def local(profile: Profile, others_waiting: Callable[[], bool] | None = None) -> Local:
    return Local(
        db=profile.db,
        repo=profile.repo,
        outbox=profile.outbox,
        access=profile.access,
        forms=profile.forms,
        state=SyncStore(profile.db, profile.keys),
        path=profile.path,
        host=ProfileHost(profile),
        others_waiting=others_waiting or (lambda: False),
    )


class ProfileLane(Protocol):
    """Runs a step on the thread that owns the profile's database (see sync.DbLane)."""

    def __call__[T](self, step: Callable[[Profile], T], /) -> Future[T]: ...


def _on_local(lane: ProfileLane, others_waiting: Callable[[], bool] | None = None) -> DbLane:
    def run[T](step: Callable[[Local], T]) -> Future[T]:
        return lane(lambda profile: step(local(profile, others_waiting)))

    return run


@contextmanager
def profile_lane(profile: Profile) -> Iterator[ProfileLane]:
    """A lane of one thread of its own, for callers without a database worker (the CLI,
    scripts, tests): network steps then run on the caller's thread, database steps there."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kitchentable-db") as pool:

        def run[T](step: Callable[[Profile], T]) -> Future[T]:
            return pool.submit(step, profile)

        yield run


async def _step[T](lane: ProfileLane, step: Callable[[Profile], T]) -> T:
    return await asyncio.wrap_future(lane(step))


# --- enrolment -----------------------------------------------------------------------------


def _seal_key(profile: Profile) -> bytes:
    existing = local(profile).enrolment()
    if existing is not None:
        raise AlreadyEnrolled(server=existing.server)
    return profile.plans.identity().key_pem


def _store_enrolment(
    profile: Profile, key_pem: bytes, enrolled: enrolment.Enrolled, clock: Clock
) -> Enrolment:
    here, result = local(profile), enrolled.enrolment
    with profile.db.atomic():
        if enrolled.certificate is not None:
            # Loaded here, not at import: the PDF libraries take a second to import.
            from kitchentable.render.seal import SealIdentity

            # From now on plans are sealed with the certificate the office CA issued.
            profile.plans.store_identity(
                SealIdentity(key_pem, enrolled.certificate, enrolled.chain)
            )
            root = seals.root_of(enrolled.chain)
            if root is not None:  # what `verify` trusts on this laptop from now on
                here.state.put(StateKey.TRUST_ROOT, seals.pem(root).decode("ascii"))
        here.state.put(StateKey.ENROLMENT, result.to_dict())
        here.state.put(StateKey.CURSOR, 0)
        here.state.put(StateKey.LAST_CHECKIN, clock().isoformat())
        profile.update_settings(office_url=result.server)
        profile.access.record("sync.enrol", "profile", detail={"device": result.device_id})
    return result


async def enrol_on(
    lane: ProfileLane,
    server: str,
    code: str,
    label: str,
    fingerprint: str | None = None,
    *,
    inner: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utc_now,
) -> Enrolment:
    """Connect this profile to the office with a one-time code: the network on the caller's
    lane, what was learnt stored in one transaction on the database lane."""
    key_pem = await _step(lane, _seal_key)
    enrolled = await enrolment.enrol(
        server, code, label, fingerprint, enrolment.public_pem_of_key(key_pem), inner=inner
    )
    return await _step(lane, lambda p: _store_enrolment(p, key_pem, enrolled, clock))


def enrol(
    profile: Profile,
    server: str,
    code: str,
    label: str,
    fingerprint: str | None = None,
    *,
    inner: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utc_now,
) -> Enrolment:
    """enrol_on, blocking (the CLI)."""
    with profile_lane(profile) as lane:
        return asyncio.run(
            enrol_on(lane, server, code, label, fingerprint, inner=inner, clock=clock)
        )


def enrolment_of(profile: Profile) -> Enrolment | None:
    return local(profile).enrolment()


def office_root(profile: Profile) -> bytes | None:
    """The office root this laptop trusts (PEM), when it is enrolled at an office with one."""
    root = seals.trust_root(local(profile))
    return None if root is None else seals.pem(root)


def revocation_lists(profile: Profile) -> list[bytes]:
    """The office's revocation lists (DER) as the last sync brought them."""
    return seals.revocation_lists(local(profile))


# --- synchronising -------------------------------------------------------------------------


async def synchronise_on(
    lane: ProfileLane,
    *,
    inner: httpx.AsyncBaseTransport | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    clock: Clock = utc_now,
    keep_as_is: frozenset[str] = frozenset(),
    after_wipe: Callable[[], None] | None = None,
    others_waiting: Callable[[], bool] | None = None,
) -> SyncReport:
    """Send what waits, fetch what the office has; network on the caller's (network) lane,
    database work in short steps on `lane` (shorter still while `others_waiting()`: an
    autosave waits at most for the item in hand). `cancel` set → SyncCancelled within a
    fraction of a second. A revoked laptop is wiped (and closed; then `after_wipe`, in the
    same database step) before DeviceRevoked is raised."""
    run = SyncRun(
        _on_local(lane, others_waiting),
        inner=inner,
        clock=clock,
        keep_as_is=keep_as_is,
        stamp=_time_stamp,
    )
    if progress is not None:
        run.progress = progress
    if cancel is not None:
        run.cancel = cancel
    if after_wipe is not None:
        run.after_wipe = after_wipe
    return await run.run()


def synchronise(
    profile: Profile,
    *,
    inner: httpx.AsyncBaseTransport | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    clock: Clock = utc_now,
    keep_as_is: frozenset[str] = frozenset(),
) -> SyncReport:
    """synchronise_on, blocking (the CLI, scripts): the database on a thread of its own."""
    with profile_lane(profile) as lane:
        return asyncio.run(
            synchronise_on(
                lane,
                inner=inner,
                progress=progress,
                cancel=cancel,
                clock=clock,
                keep_as_is=keep_as_is,
            )
        )


@dataclass(frozen=True)
class Standing:
    """The sync status plus what the app needs to word the check-in rule."""

    status: SyncStatus
    check_in: CheckInRequired | None = None  # when overdue
    auto_lock_minutes: int | None = None  # after the office's policy (a ceiling)


def sync_status(profile: Profile, clock: Clock = utc_now) -> SyncStatus:
    return status.status(local(profile), clock())


def standing(profile: Profile, clock: Clock = utc_now) -> Standing:
    current = sync_status(profile, clock)
    if not current.enrolled:
        return Standing(current)
    check_in = None
    if current.check_in_overdue:
        check_in = CheckInRequired(days=policy(profile).offline_days or 0)
    return Standing(current, check_in, profile.settings.auto_lock_minutes)


def check_in_overdue(profile: Profile, clock: Clock = utc_now) -> bool:
    return retention.check_in_overdue(local(profile), clock())


def require_check_in(profile: Profile, clock: Clock = utc_now) -> None:
    """CheckInRequired when the laptop has been out of touch longer than the policy allows."""
    if check_in_overdue(profile, clock):
        raise CheckInRequired(days=policy(profile).offline_days)


def policy(profile: Profile) -> Policy:
    return local(profile).policy()


def catalogue(profile: Profile) -> dict[str, Any] | None:
    """The sociale kaart the office sent (None before the first sync that brought one)."""
    return local(profile).catalogue()


# --- conflicts -----------------------------------------------------------------------------


def conflict_list(profile: Profile) -> list[dict[str, Any]]:
    return conflicts.listing(local(profile))


def conflict_views(profile: Profile) -> list[ConflictView]:
    here = local(profile)
    return [conflict_view(c, profile.forms) for c in here.state.conflicts()]


def resolve(profile: Profile, conflict_id: str, keep: Keep | str) -> None:
    conflicts.resolve(local(profile), conflict_id, Keep(keep))
