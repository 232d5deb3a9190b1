"""A change is kept as how to make it again, and made again byte for byte — or not at all.

The vault keeps a few hundred bytes per change on its way (the seed, the fields, the digest),
not the change itself; a retry after a cut connection must still send the very bytes the
office may hold already, and must never send a different change under the same id."""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import replace
from typing import Any

import pytest

from kitchentable.services import Profile
from kitchentable.storage.outbox import OutboxEntry, OutboxState
from kitchentable.storage.sync_state import KeptChange, SyncStore
from kitchentable.sync import recipes
from kitchentable.sync.change import plaintext_seed
from kitchentable.sync.model import Enrolment
from kitchentable.sync.protocol import Change, DeviceKeys
from kitchentable.sync.wire import ProtocolError, canonical

OFFICE = DeviceKeys.generate()
COLLEAGUE = DeviceKeys.generate()
ENROLMENT = Enrolment(
    "https://office", None, str(uuid.uuid4()), "t", "anna", OFFICE.box_public, OFFICE.sign_public,
    DeviceKeys.generate(),
)  # fmt: skip


def _entry(entity: str, payload: dict[str, Any]) -> OutboxEntry:
    change_id = str(uuid.uuid4())
    return OutboxEntry(
        change_id, 7, entity, str(uuid.uuid4()), "case-1", 3, "2026-11-30T10:00:00",
        OutboxState.PENDING, 0, None, payload,
    )  # fmt: skip


CASE = {"snapshot": {"answers": [{"question": "q1", "answer": "Zwaantje é ✓"}]}, "digest": "d"}
PLAN = {"document_id": "doc-1", "plan": {"budget": 12.5, "strokes": [[0.1, 1e-05, 1.0]]}}


def _first(entry: OutboxEntry, pdf: bytes | None = None) -> tuple[Change, tuple[bytes, ...], Any]:
    return recipes.first(
        entry,
        ENROLMENT,
        cursor=41,
        office_case=str(uuid.uuid4()),
        copy_to=((str(uuid.uuid4()), COLLEAGUE.box_public),),
        plaintext=None if pdf is not None else canonical(entry.payload),
        pdf=pdf,
    )


def again_payload(payload: dict[str, Any], pdf: bytes) -> dict[str, Any]:
    return {**payload, "pdf": {"sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf)}}


@pytest.mark.parametrize(
    ("entity", "payload", "pdf"),
    [("case", CASE, None), ("plan", PLAN, b"%PDF-1.7 " + os.urandom(5000))],
)
def test_a_change_made_again_from_its_recipe_is_the_same_bytes(
    profile: Profile, entity: str, payload: dict[str, Any], pdf: bytes | None
) -> None:
    entry = _entry(entity, payload)
    change, files, recipe = _first(entry, pdf)
    # Kept in the vault, read back as a retry would.
    store = SyncStore(profile.db, profile.keys)
    store.put_wire(entry.id, recipe)
    kept = store.wire(entry.id)
    assert kept == recipe
    again, again_files = recipes.again(entry, kept, pdf, ENROLMENT.keys.sign_private)
    assert again.wire_bytes() == change.wire_bytes() and again_files == files
    # It is still the device's, and still opens for the office.
    again.verify(ENROLMENT.keys.sign_public)
    assert again.open(OFFICE.box_private) == (
        canonical(payload) if pdf is None else canonical(again_payload(payload, pdf))
    )
    # What the vault holds is the recipe, not the change: small, and no payload in it.
    (row,) = profile.db.execute("SELECT data FROM outbox_wire").fetchone()
    assert len(row) < 1000 < len(change.wire_bytes())


def test_an_entry_changed_since_is_never_sent_as_another_change_under_its_id() -> None:
    entry = _entry("case", CASE)
    _, _, recipe = _first(entry)
    # Someone with the vault's key edits the waiting entry: made again it would be another
    # change under the same id; it is held back instead.
    edited = replace(entry, payload={**CASE, "digest": "another"})
    with pytest.raises(ProtocolError, match="no longer the one first made"):
        recipes.again(edited, recipe, None, ENROLMENT.keys.sign_private)
    # A plan whose PDF was swapped says so.
    plan = _entry("plan", PLAN)
    _, _, kept = _first(plan, b"%PDF one")
    with pytest.raises(ProtocolError, match="not the one it names"):
        recipes.again(plan, kept, b"%PDF two", ENROLMENT.keys.sign_private)
    with pytest.raises(ProtocolError, match="not here any more"):
        recipes.again(plan, kept, None, ENROLMENT.keys.sign_private)


def test_one_seed_never_seals_two_plaintexts_alike() -> None:
    # The payload's info names the change, not its content: the seed is bound to the
    # plaintext, so another plaintext under the same seed gets another key and nonce.
    seed = os.urandom(32)
    assert plaintext_seed(seed, b"one") != plaintext_seed(seed, b"two")
    fields = dict(
        id=str(uuid.uuid4()), device_id="d", seq=1, entity="case", entity_id="e",
        case_ref=None, base_version=0, last_seen_server_version=0,
        office_box_public=OFFICE.box_public, sign_private=ENROLMENT.keys.sign_private,
        seed=seed,
    )  # fmt: skip
    one = Change.create(plaintext=b'{"a":1}', **fields)
    two = Change.create(plaintext=b'{"a":2}', **fields)
    assert one.payload.ephemeral != two.payload.ephemeral
    assert Change.create(plaintext=b'{"a":1}', **fields).wire_bytes() == one.wire_bytes()


def test_a_change_kept_whole_by_an_earlier_version_goes_again_as_kept() -> None:
    entry = _entry("case", CASE)
    change, _, _ = _first(entry)
    kept = KeptChange(change.to_wire())
    again, files = recipes.again(entry, kept, None, ENROLMENT.keys.sign_private)
    assert again.wire_bytes() == change.wire_bytes() and files == ()
