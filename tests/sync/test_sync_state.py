"""The sync bookkeeping at rest: a change kept exactly as built (also in the form an earlier
version kept it), sealed like every other row."""

from __future__ import annotations

import os

import pytest

from kitchentable.errors import TamperedRecord
from kitchentable.services import Profile
from kitchentable.storage.crypto import b64
from kitchentable.storage.sync_state import KeptChange, SyncStore

CHANGE = {"id": "c1", "payload": {"sealed": "AAAA"}, "seq": 3}


def test_a_kept_change_comes_back_byte_for_byte(profile: Profile) -> None:
    store = SyncStore(profile.db, profile.keys)
    files = (os.urandom(100_000), b"", os.urandom(7))
    store.put_wire("c1", KeptChange(CHANGE, files))
    kept = store.wire("c1")
    assert kept == KeptChange(CHANGE, files)
    raw = profile.db.execute("SELECT data FROM outbox_wire").fetchone()[0]
    assert files[0][:64] not in raw and b"payload" not in raw  # sealed, not plain
    store.drop_wire("c1")
    assert store.wire("c1") is None


def test_a_change_kept_by_an_earlier_version_still_reads(profile: Profile) -> None:
    store = SyncStore(profile.db, profile.keys)
    pdf = os.urandom(5000)
    old = profile.keys.seal("outbox_wire", "c1", 1, {"change": CHANGE, "attachments": [b64(pdf)]})
    profile.db.execute("INSERT INTO outbox_wire(change_id, data) VALUES ('c1', ?)", [old])
    assert store.wire("c1") == KeptChange(CHANGE, (pdf,))


def test_a_change_kept_with_the_seed_of_its_files_holds_no_copy_of_them(profile: Profile) -> None:
    store = SyncStore(profile.db, profile.keys)
    seed = os.urandom(32)
    store.put_wire("c1", KeptChange(CHANGE, seed=seed))
    assert store.wire("c1") == KeptChange(CHANGE, seed=seed)
    raw = profile.db.execute("SELECT data FROM outbox_wire").fetchone()[0]
    assert seed not in raw and len(raw) < 200
    with pytest.raises(ValueError):
        KeptChange(CHANGE, (b"file",), seed=seed).frame()


def test_a_kept_change_moved_to_another_row_does_not_open(profile: Profile) -> None:
    store = SyncStore(profile.db, profile.keys)
    store.put_wire("c1", KeptChange(CHANGE))
    profile.db.execute("UPDATE outbox_wire SET change_id = 'c2'")
    with pytest.raises(TamperedRecord):
        store.wire("c2")


def _enrolled(profile: Profile) -> None:
    from kitchentable.sync.model import Enrolment
    from kitchentable.sync.protocol import DeviceKeys

    keys = DeviceKeys.generate()
    enrolment = Enrolment("http://127.0.0.1:9", None, "d", "t", "anna", bytes(32), bytes(32), keys)
    with profile.db.atomic():
        SyncStore(profile.db, profile.keys).put("enrolment", enrolment.to_dict())


def test_the_status_reads_few_cases_and_counts_many_without_opening_them(
    profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from kitchentable.services import sync as sync_service
    from kitchentable.sync import push, status
    from tests.core.helpers import case_document

    _enrolled(profile)
    for i in range(status.LOOK_AT_MOST + 5):
        profile.import_cases(case_document(f"M-2026-{i:04d}"))
    opened: list[str] = []
    real = push.snapshot
    monkeypatch.setattr(
        push, "snapshot", lambda local, case_id: opened.append(case_id) or real(local, case_id)
    )
    many = sync_service.sync_status(profile)
    assert many.waiting == status.LOOK_AT_MOST + 5 and opened == []
    for case in profile.case_summaries()[:10]:
        profile.repo.delete_case(case.id)
    few = status.status(sync_service.local(profile), datetime.now(UTC))
    assert few.waiting == status.LOOK_AT_MOST - 5 and len(opened) == status.LOOK_AT_MOST - 5


def test_an_accepted_change_settles_the_columns_and_keeps_the_sealed_recipients(
    profile: Profile,
) -> None:
    from kitchentable.storage.sync_state import SyncCase
    from tests.core.helpers import case_document

    for ref in ("M-2026-0001", "M-2026-0002"):
        profile.import_cases(case_document(ref))
    first, second = (case.id for case in profile.case_summaries())
    store = SyncStore(profile.db, profile.keys)
    recipients = [{"device_id": "d2", "box_public": b64(bytes(32))}]
    with profile.db.atomic():
        store.save_case(first, SyncCase("office-1", 3, "old", None, recipients))
        sealed = profile.db.execute("SELECT data FROM sync_cases").fetchone()[0]
        store.settle_case(first, "2026-11-30T10:00:00", (4, "new"))
        store.settle_case(second, "2026-11-30T10:00:01")  # no row yet: made, its own id
    assert store.case(first) == SyncCase("office-1", 4, "new", "2026-11-30T10:00:00", recipients)
    assert (
        profile.db.execute("SELECT data FROM sync_cases WHERE case_id = ?", [first]).fetchone()[0]
        == sealed
    )  # the sealed part untouched
    assert store.case(second) == SyncCase(second, 0, None, "2026-11-30T10:00:01")
    with profile.db.atomic():
        store.settle_case(second, "2026-11-30T10:00:02")  # a plan: only the time
    assert store.case(second) == SyncCase(second, 0, None, "2026-11-30T10:00:02")
