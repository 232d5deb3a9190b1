"""The access log on the wire: what a laptop tells the office about its log at every sync.

Owns the log line as the office receives it (ids and verbs, and the opened detail), the
**witness** chain the office can recompute without any key of the laptop's (SHA-256 over a
line and its predecessor's witness; the laptop's own HMAC links need the vault key, which
the office never has, and change at every `passwd --rekey`, so the office could check
nothing with them), the **head** the device signs (its newest line and HMAC link, the
witness over its whole log as it is now, and where its own check of the log fails), and
the **report**: the lines after an anchor (a line id and its witness, as the laptop holds
that line now), sealed to the office key, with the head, signed by the device. Because the
anchor is recomputed from the laptop's log at every sync, a laptop whose older lines were
changed, removed or re-chained cannot present an anchor that matches what the office keeps.

Strict readers; never does I/O, never imports Qt.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kitchentable.storage.audit import json_word
from kitchentable.sync.envelope import (
    PROTOCOL_VERSION,
    SHA256_HEX,
    SIGNATURE_BYTES,
    SealedPayload,
    check_version,
    sign,
    verify,
)
from kitchentable.sync.wire import (
    MAX_INT,
    as_object,
    b64,
    canonical,
    exact_keys,
    fail,
    get_bytes,
    get_int,
    get_str,
    get_uuid,
    parse_json,
)

TAG_LOG = b"kitchentable/access-log/v1\n"
GENESIS = "0" * 64  # the witness (and link) before the first line
MAX_LOG_LINES = 1000  # lines per report; a longer log goes in several, each with the head
MAX_TEXT = 200  # characters of one plaintext field of a line
LINE_KEYS = frozenset(
    {"id", "at", "actor", "action", "object", "case_id", "case_ref", "result", "origin"}
    | {"detail", "sealed_detail"}
)


def _text(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        fail(f"The field '{key}' of the {what} must be text of at most {MAX_TEXT} characters.")
    return value


def _optional_text(obj: dict[str, Any], key: str, what: str) -> str | None:
    return None if obj.get(key) is None else _text(obj, key, what)


@dataclass(frozen=True)
class AuditLine:
    """One line of a laptop's access log as the office receives it.

    `case_id` is the laptop's id of the case, `case_ref` the office's (the same for a case
    the laptop made; the assignment's id for an assigned one), where the laptop knows it.
    `detail` is the line's detail, opened on the laptop (ids, counts and codes; never about
    the inhabitant); `sealed_detail` says the line holds a sealed detail there, so a detail
    that no longer opens shows as `sealed_detail` without `detail`."""

    id: int
    at: str
    actor: str
    action: str
    target: str  # the log's `object` column: what was acted on (case, plan, profile)
    case_id: str | None
    case_ref: str | None
    result: str
    origin: str
    detail: dict[str, Any] | None = None
    sealed_detail: bool = False

    def canonical(self, *, witnessed: bool = False) -> bytes:
        """canonical(self.to_wire()), or of `witnessed()`, byte for byte, written directly:
        a log has thousands of lines, each encoded twice at every sync (the general encoder
        sorts the keys of each line again; the two differ only by `case_ref`, so the rest is
        written once). A line with a field of another type than its own takes the general
        way."""
        if "_parts" not in self.__dict__:
            self.__dict__["_parts"] = self._parts()  # a frozen line: made once
        parts: tuple[bytes, bytes] | None = self.__dict__["_parts"]
        if parts is None:
            return canonical(self.witnessed() if witnessed else self.to_wire())
        head, tail = parts
        if witnessed:
            return head + tail
        return b'%s,"case_ref":%s%s' % (head, _nullable(self.case_ref).encode("ascii"), tail)

    def _parts(self) -> tuple[bytes, bytes] | None:
        """The canonical text before and after where `case_ref` goes; None when a field
        has another type than its own."""
        return _parts_of(
            (
                self.id,
                self.at,
                self.actor,
                self.action,
                self.target,
                self.case_id,
                self.case_ref,
                self.result,
                self.origin,
                self.detail,
                self.sealed_detail,
            )
        )

    def witnessed(self) -> dict[str, Any]:
        """What the witness covers: everything the laptop itself keeps, not `case_ref` (the
        office's id, which the laptop learns later and may forget with the case)."""
        wire = self.to_wire()
        del wire["case_ref"]
        return wire

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "object": self.target,
            "case_id": self.case_id,
            "case_ref": self.case_ref,
            "result": self.result,
            "origin": self.origin,
            "detail": self.detail,
            "sealed_detail": self.sealed_detail,
        }

    @classmethod
    def from_wire(cls, value: object) -> AuditLine:
        what = "log line"
        obj = as_object(value, what)
        exact_keys(obj, what, set(LINE_KEYS))
        detail = obj["detail"]
        if detail is not None and not isinstance(detail, dict):
            fail("The detail of a log line must be an object.")
        if not isinstance(obj["sealed_detail"], bool):
            fail("The field 'sealed_detail' of a log line must be true or false.")
        return cls(
            id=get_int(obj, "id", what, minimum=1),
            at=_text(obj, "at", what),
            actor=_text(obj, "actor", what),
            action=_text(obj, "action", what),
            target=_text(obj, "object", what),
            case_id=_optional_text(obj, "case_id", what),
            case_ref=_optional_text(obj, "case_ref", what),
            result=_text(obj, "result", what),
            origin=_text(obj, "origin", what),
            detail=detail,
            sealed_detail=obj["sealed_detail"],
        )


# A string as canonical() writes it (json's own C routine, ASCII escapes).
_ascii = json.encoder.encode_basestring_ascii


def _nullable(value: str | None) -> str:
    return "null" if value is None else str(_ascii(value))


def witness(previous: str, line: AuditLine) -> str:
    """The witness of a line: SHA-256 over its predecessor's witness and the line."""
    return witness_of(previous, line.canonical(witnessed=True))


def witness_of(previous: str, witnessed: bytes) -> str:
    """`witness`, of a line's canonical bytes without `case_ref` (`encoded`)."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + witnessed).hexdigest()


def encoded(
    id: int,
    at: str,
    actor: str,
    action: str,
    target: str,
    case_id: str | None,
    case_ref: str | None,
    result: str,
    origin: str,
    detail: dict[str, Any] | None,
    sealed_detail: bool,
) -> tuple[bytes, bytes]:
    """A line's canonical bytes as the witness covers them and as a report carries them,
    made from its fields without an AuditLine (a log of a year is read at every sync):
    `AuditLine(...).canonical(witnessed=True)` and `.canonical()`, byte for byte."""
    fields = (id, at, actor, action, target, case_id, case_ref, result, origin, detail)
    parts = _parts_of((*fields, sealed_detail))
    if parts is None:
        line = AuditLine(*fields, sealed_detail)
        return line.canonical(witnessed=True), line.canonical()
    head, tail = parts
    return head + tail, b'%s,"case_ref":%s%s' % (head, _nullable(case_ref).encode("ascii"), tail)


def _parts_of(fields: tuple[Any, ...]) -> tuple[bytes, bytes] | None:
    """AuditLine._parts of a line's fields, in AuditLine's order."""
    id, at, actor, action, target, case_id, case_ref, result, origin, detail, sealed = fields
    if not (
        type(id) is int
        and type(sealed) is bool
        and type(at) is str
        and type(actor) is str
        and type(action) is str
        and type(target) is str
        and type(result) is str
        and type(origin) is str
        and (case_id is None or type(case_id) is str)
        and (case_ref is None or type(case_ref) is str)
        and (detail is None or type(detail) is dict)
    ):
        return None
    head = (
        f'{{"action":{json_word(action)},"actor":{json_word(actor)},'
        f'"at":{_ascii(at)},"case_id":{_nullable(case_id)}'
    )
    tail = (
        f',"detail":{"null" if detail is None else canonical(detail).decode("ascii")},'
        f'"id":{id},"object":{json_word(target)},"origin":{json_word(origin)},'
        f'"result":{json_word(result)},'
        f'"sealed_detail":{"true" if sealed else "false"}}}'
    )
    return head.encode("ascii"), tail.encode("ascii")


def witnesses(start: str, lines: Iterable[AuditLine]) -> list[str]:
    """The witness of each line in turn, starting after `start`."""
    found, previous = [], start
    for line in lines:
        previous = witness(previous, line)
        found.append(previous)
    return found


@dataclass(frozen=True)
class LogHead:
    """The laptop's log as it is when the report is made: its newest line (`id`, 0 for an
    empty log) and that line's HMAC link, the witness over every line, the first line its
    own check finds broken (None: intact), and the laptop's clock (for people only)."""

    id: int
    chain: str
    witness: str
    broken_at: int | None
    at: str

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "chain": self.chain,
            "witness": self.witness,
            "broken_at": self.broken_at,
            "at": self.at,
        }

    @classmethod
    def from_wire(cls, value: object) -> LogHead:
        what = "log head"
        obj = as_object(value, what)
        exact_keys(obj, what, {"id", "chain", "witness", "broken_at", "at"})
        return cls(
            id=get_int(obj, "id", what),
            chain=get_str(obj, "chain", what, SHA256_HEX, max_len=64),
            witness=get_str(obj, "witness", what, SHA256_HEX, max_len=64),
            broken_at=None if obj["broken_at"] is None else get_int(obj, "broken_at", what, 1),
            at=get_str(obj, "at", what, max_len=40),
        )


@dataclass(frozen=True)
class Anchor:
    """Where a report's lines continue: a line id and its witness as the laptop holds that
    line now (0 and GENESIS: from the beginning)."""

    id: int
    witness: str


def log_info(device_id: str, anchor: int, last: int) -> str:
    return f"kitchentable/access-log/v1:{device_id}:{anchor}:{last}"


@dataclass(frozen=True)
class LogReport:
    """The lines after `anchor` up to `last` (sealed to the office), with the head, signed
    by the device. `count` says how many lines the sealed part holds (ids may skip, when
    the laptop's log lost a line without being re-chained: the office sees the gap)."""

    device_id: str
    head: LogHead
    anchor: Anchor
    last: int
    count: int
    lines: SealedPayload
    signature: bytes = b""

    @classmethod
    def create(
        cls,
        *,
        device_id: str,
        head: LogHead,
        anchor: Anchor,
        lines: Sequence[AuditLine],
        office_box_public: bytes,
        sign_private: bytes,
    ) -> LogReport:
        return cls.of_encoded(
            device_id=device_id,
            head=head,
            anchor=anchor,
            last=lines[-1].id if lines else anchor.id,
            lines=[line.canonical() for line in lines],
            office_box_public=office_box_public,
            sign_private=sign_private,
        )

    @classmethod
    def of_encoded(
        cls,
        *,
        device_id: str,
        head: LogHead,
        anchor: Anchor,
        last: int,
        lines: Sequence[bytes],
        office_box_public: bytes,
        sign_private: bytes,
    ) -> LogReport:
        """`create`, of lines in their canonical bytes already (`encoded`), the last `last`."""
        if len(lines) > MAX_LOG_LINES:
            raise ValueError(f"a report holds at most {MAX_LOG_LINES} lines")
        # canonical({"lines": [line.to_wire() for line in lines]}), from each line's own
        plaintext = b'{"lines":[%s]}' % b",".join(lines)
        sealed = SealedPayload.seal(
            office_box_public, plaintext, log_info(device_id, anchor.id, last)
        )
        unsigned = cls(device_id, head, anchor, last, len(lines), sealed)
        return replace(unsigned, signature=sign(sign_private, TAG_LOG, unsigned.body()))

    def body(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "device_id": self.device_id,
            "head": self.head.to_wire(),
            "anchor": {"id": self.anchor.id, "witness": self.anchor.witness},
            "last": self.last,
            "count": self.count,
            "lines": self.lines.to_wire(),
        }

    def to_wire(self) -> dict[str, Any]:
        return {**self.body(), "signature": b64(self.signature)}

    def verify(self, device_sign_public: bytes) -> None:
        verify(device_sign_public, TAG_LOG, self.body(), self.signature)

    def open(self, office_box_private: bytes) -> list[AuditLine]:
        """The lines, checked against what the report says of them."""
        data = self.lines.open(
            office_box_private, log_info(self.device_id, self.anchor.id, self.last)
        )
        obj = parse_json(data)
        exact_keys(obj, "log lines", {"lines"})
        raw = obj["lines"]
        if not isinstance(raw, list) or len(raw) != self.count:
            fail("The report holds another number of lines than it says.")
        lines = [AuditLine.from_wire(item) for item in raw]
        ids = [self.anchor.id, *(line.id for line in lines)]
        if any(a >= b for a, b in itertools.pairwise(ids)) or ids[-1] != self.last:
            fail("The report's lines are not in order after its anchor.")
        return lines

    @classmethod
    def from_wire(cls, value: object) -> LogReport:
        what = "log report"
        obj = as_object(value, what)
        exact_keys(
            obj,
            what,
            {"v", "device_id", "head", "anchor", "last", "count", "lines"} | {"signature"},
        )
        check_version(obj, what)
        anchor = as_object(obj["anchor"], "log anchor")
        exact_keys(anchor, "log anchor", {"id", "witness"})
        head = LogHead.from_wire(obj["head"])
        report = cls(
            device_id=get_uuid(obj, "device_id", what),
            head=head,
            anchor=Anchor(
                get_int(anchor, "id", "log anchor"),
                get_str(anchor, "witness", "log anchor", SHA256_HEX, max_len=64),
            ),
            last=get_int(obj, "last", what),
            count=get_int(obj, "count", what),
            lines=SealedPayload.from_wire(obj["lines"]),
            signature=get_bytes(obj, "signature", what, size=SIGNATURE_BYTES),
        )
        if report.count > MAX_LOG_LINES:
            fail(f"A log report holds at most {MAX_LOG_LINES} lines.", "too_large")
        if not report.anchor.id <= report.last <= head.id <= MAX_INT:
            fail("The report's anchor, last line and head are not in order.")
        if report.count > report.last - report.anchor.id:
            fail("The report holds more lines than its ids leave room for.")
        return report


@dataclass(frozen=True)
class LogAnswer:
    """The office kept the report: the last line id it now holds from this device."""

    held: int

    def to_wire(self) -> dict[str, Any]:
        return {"v": PROTOCOL_VERSION, "held": self.held}

    @classmethod
    def from_wire(cls, value: object) -> LogAnswer:
        obj = as_object(value, "log answer")
        exact_keys(obj, "log answer", {"v", "held"})
        check_version(obj, "log answer")
        return cls(get_int(obj, "held", "log answer"))


__all__ = [
    "GENESIS",
    "MAX_LOG_LINES",
    "TAG_LOG",
    "Anchor",
    "AuditLine",
    "LogAnswer",
    "LogHead",
    "LogReport",
    "log_info",
    "witness",
    "witnesses",
]
