"""The sync use cases the app and the CLI call: enrol, synchronise, status, conflicts,
catalogue.

Owns handing the sync parts what they need from a profile (its storage as `sync.Local`, the
app's own rules as `sync.Host`: importing an assigned case, the auto-lock ceiling) and
applying what they bring back (the seal certificate and office address at enrolment). The
UI and the CLI reach sync only through here. Synchronous and Qt-free; database work for one
profile happens on one thread at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from kitchentable.services.profile import Profile
from kitchentable.storage.sync_state import SyncStore
from kitchentable.sync import conflicts, enrolment, retention, status
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
    Enrolment,
    Keep,
    Local,
    Phase,
    Policy,
    Progress,
    ProgressFn,
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
    "enrolment_of",
    "policy",
    "require_check_in",
    "resolve",
    "standing",
    "sync_status",
    "synchronise",
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


def local(profile: Profile) -> Local:
    return Local(
        db=profile.db,
        repo=profile.repo,
        outbox=profile.outbox,
        access=profile.access,
        forms=profile.forms,
        state=SyncStore(profile.db, profile.keys),
        path=profile.path,
        host=ProfileHost(profile),
    )


# --- enrolment -----------------------------------------------------------------------------


def enrol(
    profile: Profile,
    server: str,
    code: str,
    label: str,
    fingerprint: str | None = None,
    *,
    inner: httpx.BaseTransport | None = None,
    clock: Clock = utc_now,
) -> Enrolment:
    """Connect this profile to the office with a one-time code; stores everything in one
    transaction (from now on plans are sealed with the certificate the office CA issued)."""
    here = local(profile)
    existing = here.enrolment()
    if existing is not None:
        raise AlreadyEnrolled(server=existing.server)
    identity = profile.plans.identity()
    enrolled = enrolment.enrol(
        server,
        code,
        label,
        fingerprint,
        enrolment.public_pem_of_key(identity.key_pem),
        inner=inner,
    )
    result = enrolled.enrolment
    with profile.db.atomic():
        if enrolled.certificate is not None:
            # Loaded here, not at import: the PDF libraries take a second to import.
            from kitchentable.render.seal import SealIdentity

            profile.plans.store_identity(
                SealIdentity(identity.key_pem, enrolled.certificate, enrolled.chain)
            )
        here.state.put(StateKey.ENROLMENT, result.to_dict())
        here.state.put(StateKey.CURSOR, 0)
        here.state.put(StateKey.LAST_CHECKIN, clock().isoformat())
        profile.update_settings(office_url=result.server)
        profile.access.record("sync.enrol", "profile", detail={"device": result.device_id})
    return result


def enrolment_of(profile: Profile) -> Enrolment | None:
    return local(profile).enrolment()


# --- synchronising -------------------------------------------------------------------------


def synchronise(
    profile: Profile,
    *,
    inner: httpx.BaseTransport | None = None,
    progress: ProgressFn | None = None,
    clock: Clock = utc_now,
    keep_as_is: frozenset[str] = frozenset(),
) -> SyncReport:
    """Send what waits, fetch what the office has. A revoked laptop is wiped (and closed)
    before DeviceRevoked is raised."""
    run = SyncRun(local(profile), inner=inner, clock=clock, keep_as_is=keep_as_is)
    if progress is not None:
        run.progress = progress
    return run.run()


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
