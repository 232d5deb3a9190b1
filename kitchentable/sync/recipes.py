"""A change made so it can be made again byte for byte, and made again.

Owns how a change is first made from its outbox entry (`first`: its payload, the copies for
colleagues and a plan's PDF sealed from one fresh seed, the whole signed) and what is kept
of it (`KeptRecipe`: the seed, the fields besides the plaintext and the digest of the bytes —
a few hundred bytes, where the change itself is as large as its payload), and how a retry
makes it again (`again`: from the recipe and the entry, checked against the digest; or a
change an earlier version kept whole). A retry after a cut connection therefore sends the
very bytes the office may have received already: a duplicate, never a second record.
Crypto only: never touches the database or the network, never imports Qt.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from kitchentable.storage.crypto import SEED_BYTES, b64, unb64
from kitchentable.storage.outbox import OutboxEntry
from kitchentable.storage.sync_state import KeptChange, KeptRecipe
from kitchentable.sync.model import Enrolment, Entity
from kitchentable.sync.protocol import Change, SealedPayload, attachment_info
from kitchentable.sync.wire import ProtocolError, canonical

Made = tuple[Change, tuple[bytes, ...]]  # the change and its files (a plan's sealed PDF)


def first(
    entry: OutboxEntry,
    enrolment: Enrolment,
    *,
    cursor: int,
    office_case: str | None,
    copy_to: tuple[tuple[str, bytes], ...],
    plaintext: bytes | None = None,
    pdf: bytes | None = None,
) -> tuple[Change, tuple[bytes, ...], KeptRecipe]:
    """The change for an outbox entry, made for the first time, and its recipe.
    `plaintext`: the payload's canonical bytes when the caller has them; else made from the
    entry (with a plan's PDF named in it)."""
    seed = os.urandom(SEED_BYTES)
    fields: dict[str, Any] = {
        "device_id": enrolment.device_id,
        "seq": entry.seq,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "case_ref": office_case,
        "base_version": entry.base_version,
        "last_seen": cursor,
        "office": b64(enrolment.office_box_public),
        "copies": [[device, b64(box)] for device, box in copy_to],
    }
    change, files = _make(entry, fields, enrolment.keys.sign_private, seed, plaintext, pdf)
    fields["attachments"] = list(change.attachments)
    digest = hashlib.sha256(change.wire_bytes()).hexdigest()
    return change, files, KeptRecipe(seed, fields, digest)


def again(
    entry: OutboxEntry, kept: KeptChange | KeptRecipe, pdf: bytes | None, sign_private: bytes
) -> Made:
    """A change built before, with its files, exactly as then: made again from its recipe
    (checked against the digest of the bytes first made), or kept whole by an earlier
    version (its files kept, or sealed again from their seed and checked against the hashes
    the change names)."""
    if isinstance(kept, KeptRecipe):
        if entry.entity == Entity.PLAN and pdf is None:
            raise ProtocolError("kept_changed", "The file of this change is not here any more.")
        made = _make(entry, kept.fields, sign_private, kept.seed, None, pdf)
        if list(made[0].attachments) != kept.fields.get("attachments", []):
            raise ProtocolError("kept_changed", "The file of this change is not the one it names.")
        if hashlib.sha256(made[0].wire_bytes()).hexdigest() != kept.digest:
            raise ProtocolError("kept_changed", "This change is no longer the one first made.")
        return made
    change = Change.from_wire(kept.change)
    files = kept.attachments
    if kept.seed is not None:
        if pdf is None:
            raise ProtocolError("kept_changed", "The file of this change is not here any more.")
        info = attachment_info(hashlib.sha256(pdf).hexdigest())
        files = (SealedPayload.seal_to_wire(change.payload.recipient, pdf, info, seed=kept.seed),)
    if tuple(hashlib.sha256(f).hexdigest() for f in files) != change.attachments:
        raise ProtocolError("kept_changed", "The file of this change is not the one it names.")
    return change, files


def _make(
    entry: OutboxEntry,
    fields: dict[str, Any],
    sign_private: bytes,
    seed: bytes,
    plaintext: bytes | None,
    pdf: bytes | None,
) -> Made:
    office = unb64(fields["office"])
    files: tuple[bytes, ...] = ()
    payload = entry.payload
    if pdf is not None:
        # The PDF is sealed from the seed under its own hash: a retry seals it again to the
        # same bytes, so the vault never holds a second copy of it.
        plain = hashlib.sha256(pdf).hexdigest()
        files = (SealedPayload.seal_to_wire(office, pdf, attachment_info(plain), seed=seed),)
        payload = {**payload, "pdf": {"sha256": plain, "size": len(pdf)}}
    change = Change.create(
        id=entry.id,
        device_id=fields["device_id"],
        seq=fields["seq"],
        entity=fields["entity"],
        entity_id=fields["entity_id"],
        case_ref=fields["case_ref"],
        base_version=fields["base_version"],
        last_seen_server_version=fields["last_seen"],
        plaintext=plaintext or canonical(payload),
        office_box_public=office,
        sign_private=sign_private,
        attachments=tuple(hashlib.sha256(f).hexdigest() for f in files),
        copy_to=tuple((device, unb64(box)) for device, box in fields["copies"]),
        seed=seed,
    )
    return change, files
