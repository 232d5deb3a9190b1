"""What the office sends: signed items (assignments, forms, catalogue, policy) and other
devices' versions of shared cases, in pages after a cursor.

Owns the feed item (clear content for public office documents, a payload sealed to one
device for assignments; signed with the office's Ed25519 key), a pull entry (an item, or a
colleague's change with the server's bookkeeping) and the pull answer (entries in order,
the next cursor, and — only for a laptop that asks — the office's revocation list). Strict
readers; never does I/O, never imports Qt.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

from kitchentable.sync.change import Change, Status, status_of
from kitchentable.sync.envelope import (
    PROTOCOL_VERSION,
    SIGNATURE_BYTES,
    TAG_FEED,
    SealedPayload,
    check_version,
    sign,
    verify,
)
from kitchentable.sync.trust_messages import RevocationList
from kitchentable.sync.wire import (
    IDENT,
    NAME,
    ProtocolError,
    as_object,
    b64,
    exact_keys,
    fail,
    get_bytes,
    get_int,
    get_str,
    get_uuid,
)

MAX_PULL_ITEMS = 200
FEED_KINDS = ("assignment", "withdrawal", "form", "catalogue", "policy")


# --- pull ---------------------------------------------------------------------------------


def feed_info(device_id: str, kind: str, item_id: str) -> str:
    return f"kitchentable/feed/v1:{device_id}:{kind}:{item_id}"


@dataclass(frozen=True)
class FeedItem:
    """Something the office sends, signed with the office's Ed25519 key.

    `content` is clear (public office documents: a form's or catalogue's hash, policy);
    `payload` is sealed to one device (assignments: personal data). `issued_at` orders
    items of one kind for the laptop (a replayed old policy is ignored); it never decides
    the fate of a change.
    """

    kind: str
    item_id: str
    device_id: str | None
    issued_at: str
    content: dict[str, Any] | None = None
    payload: SealedPayload | None = None
    signature: bytes = b""

    @classmethod
    def create(
        cls,
        *,
        kind: str,
        item_id: str,
        issued_at: str,
        office_sign_private: bytes,
        device_id: str | None = None,
        device_box_public: bytes | None = None,
        content: dict[str, Any] | None = None,
        plaintext: bytes | None = None,
    ) -> FeedItem:
        payload = None
        if plaintext is not None:
            if device_id is None or device_box_public is None:
                raise ValueError("a sealed feed item needs its device")
            payload = SealedPayload.seal(
                device_box_public, plaintext, feed_info(device_id, kind, item_id)
            )
        unsigned = cls(kind, item_id, device_id, issued_at, content, payload)
        return replace(unsigned, signature=sign(office_sign_private, TAG_FEED, unsigned.body()))

    def body(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "kind": self.kind,
            "item_id": self.item_id,
            "device_id": self.device_id,
            "issued_at": self.issued_at,
            "content": self.content,
            "payload": None if self.payload is None else self.payload.to_wire(),
        }

    def to_wire(self) -> dict[str, Any]:
        return {**self.body(), "signature": b64(self.signature)}

    def verify(self, office_sign_public: bytes) -> None:
        verify(office_sign_public, TAG_FEED, self.body(), self.signature)

    def open(self, device_id: str, device_box_private: bytes) -> bytes:
        if self.payload is None or self.device_id != device_id:
            raise ProtocolError("no_payload", "This item carries nothing sealed for this device.")
        return self.payload.open(device_box_private, feed_info(device_id, self.kind, self.item_id))

    @classmethod
    def from_wire(cls, value: object) -> FeedItem:
        what = "office item"
        obj = as_object(value, what)
        keys = {"v", "kind", "item_id", "device_id", "issued_at", "content", "payload"}
        exact_keys(obj, what, keys | {"signature"})
        check_version(obj, what)
        kind = get_str(obj, "kind", what, NAME)
        if kind not in FEED_KINDS:
            fail(f"The office item has an unknown kind '{kind}'.")
        content = obj["content"]
        if content is not None and not isinstance(content, dict):
            fail("The content of the office item must be an object.")
        return cls(
            kind=kind,
            item_id=get_str(obj, "item_id", what, IDENT),
            device_id=None if obj["device_id"] is None else get_uuid(obj, "device_id", what),
            issued_at=get_str(obj, "issued_at", what, max_len=40),
            content=content,
            payload=None if obj["payload"] is None else SealedPayload.from_wire(obj["payload"]),
            signature=get_bytes(obj, "signature", what, size=SIGNATURE_BYTES),
        )


@dataclass(frozen=True)
class PullEntry:
    """One entry of a pull answer: an office item, or another device's change to a case
    this device works on (`status` and `server_version` are the server's bookkeeping)."""

    version: int
    item: FeedItem | None = None
    change: Change | None = None
    status: Status | None = None
    server_version: int | None = None

    def to_wire(self) -> dict[str, Any]:
        if self.item is not None:
            return {"version": self.version, "item": self.item.to_wire()}
        assert self.change is not None
        return {
            "version": self.version,
            "change": self.change.to_wire(),
            "status": self.status,
            "server_version": self.server_version,
        }

    @classmethod
    def from_wire(cls, value: object) -> PullEntry:
        what = "pull entry"
        obj = as_object(value, what)
        version = get_int(obj, "version", what, minimum=1)
        if "item" in obj:
            exact_keys(obj, what, {"version", "item"})
            return cls(version, item=FeedItem.from_wire(obj["item"]))
        exact_keys(obj, what, {"version", "change", "status", "server_version"})
        return cls(
            version,
            change=Change.from_wire(obj["change"]),
            status=status_of(obj["status"]),
            server_version=get_int(obj, "server_version", what, minimum=1),
        )


@dataclass(frozen=True)
class PullResponse:
    cursor: int
    more: bool
    entries: list[PullEntry] = field(default_factory=list)
    # An addition to version 1, sent only when the laptop asks (`crl=1`): an older laptop
    # refuses unknown fields, so it never gets one.
    crl: RevocationList | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "v": PROTOCOL_VERSION,
            "cursor": self.cursor,
            "more": self.more,
            "entries": [entry.to_wire() for entry in self.entries],
        }
        if self.crl is not None:
            wire["crl"] = self.crl.to_wire()
        return wire

    @classmethod
    def from_wire(cls, value: object) -> PullResponse:
        what = "pull answer"
        obj = as_object(value, what)
        exact_keys(obj, what, {"v", "cursor", "more", "entries"}, frozenset({"crl"}))
        check_version(obj, what)
        if not isinstance(obj["more"], bool):
            fail("The field 'more' of the pull answer must be true or false.")
        entries = obj["entries"]
        if not isinstance(entries, list) or len(entries) > MAX_PULL_ITEMS:
            fail(f"The pull answer must list at most {MAX_PULL_ITEMS} entries.")
        parsed = [PullEntry.from_wire(entry) for entry in entries]
        cursor = get_int(obj, "cursor", what)
        if any(entry.version > cursor for entry in parsed) or any(
            a.version >= b.version for a, b in itertools.pairwise(parsed)
        ):
            fail("The pull answer's entries are out of order.")
        crl = None if obj.get("crl") is None else RevocationList.from_wire(obj["crl"])
        return cls(cursor, obj["more"], parsed, crl)
