"""The append-only access log (NEN 7513 style; BIO2 8.15): who did what, when, to which case.

Owns writing and verifying log lines. Each line records action, object, result, origin,
actor and time in plaintext (no personal data: ids and verbs only) and an optional sealed
detail. SQLite triggers refuse UPDATE and DELETE; on top of that every line carries an
HMAC link over its predecessor and its own fields, including (format 2) the digest of its
sealed detail, so a line edited, removed or stripped of its detail with another tool (which
can drop the triggers) shows as a broken chain. The newest link is also kept sealed in the
vault table (the head): lines cut off the end no longer match it.

What this cannot show on its own: the consultant holds the chain key, so someone with the
key can re-chain a log after removing a line, and can roll the whole file back. The office's
copy of the lines and signed heads (sent at every sync, `sync.logship`) is what catches
those; `snapshot` hands that step the raw lines and the sealed head in one read (or
`rows_after`, a part at a time, the head read with the last part), and `verify_rows` (or
`ChainCheck`, part by part) checks them. Never logs secrets or inhabitant data in plaintext.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlite_utils

from kitchentable.storage import crypto
from kitchentable.storage.database import (
    create_access_log_triggers,
    missing_access_log_triggers,
    now_iso,
)
from kitchentable.storage.keys import VaultKeys

GENESIS = "0" * 64
FORMAT = 2  # links cover the sealed detail's digest and the format itself
HEAD_KEY = "log_head"  # vault-table key: the newest (id, link), sealed


@dataclass(frozen=True)
class LogLine:
    id: int
    at: str
    actor: str
    action: str
    object: str
    case_id: str | None
    result: str
    origin: str


class LogRow(NamedTuple):
    """A line exactly as stored: its plaintext fields, its link, its sealed detail (if any)
    and the format of its link. A tuple, not a dataclass: a log of a year is read at every
    sync, and a tuple is made in a fraction of the time."""

    id: int
    at: str
    actor: str
    action: str
    object: str
    case_id: str | None
    result: str
    origin: str
    chain: str
    detail: bytes | None
    format: int

    @property
    def line(self) -> LogLine:
        return LogLine(*self[:8])

    @property
    def fields(self) -> list[Any]:
        return list(self[:8])  # in the order of LogLine's fields (what the link covers)


@dataclass(frozen=True)
class Head:
    """The newest line of the log: its id and chain link (what the office is sent)."""

    id: int
    chain: str


_COLUMNS = "id, at, actor, action, object, case_id, result, origin, chain, detail, format"


def _row(row: Any) -> LogRow:
    line_id, at, actor, action, obj, case_id, result, origin, chain, detail, fmt = row
    detail = None if detail is None else bytes(detail)
    return LogRow(
        int(line_id), at, actor, action, obj, case_id, result, origin, chain, detail, int(fmt)
    )


def _link(key: bytes, previous: str, fields: list[Any], detail: bytes | None, fmt: int) -> str:
    if fmt >= 2:
        digest = hashlib.sha256(detail).hexdigest() if detail is not None else None
        fields = [*fields, digest, fmt]
    message = previous.encode() + _fields_json(fields)
    return hmac.digest(key, message, "sha256").hex()


def _row_link(key: bytes, previous: str, row: LogRow) -> str:
    """`_link` of a stored line, made without a list per line: a log of a year is checked
    at every sync. A field of another type than its column's takes `_link`."""
    case_id, fmt = row.case_id, row.format
    if not (
        type(row.at) is str
        and type(row.actor) is str
        and type(row.action) is str
        and type(row.object) is str
        and type(row.result) is str
        and type(row.origin) is str
        and (case_id is None or type(case_id) is str)
    ):
        return _link(key, previous, row.fields, row.detail, fmt)
    words = (
        f"{previous}[{row.id},{_text(row.at)},{json_word(row.actor)},{json_word(row.action)},"
        f"{json_word(row.object)},{'null' if case_id is None else _text(case_id)},"
        f"{json_word(row.result)},{json_word(row.origin)}"
    )
    if fmt >= 2:
        detail = row.detail
        digest = "null" if detail is None else f'"{hashlib.sha256(detail).hexdigest()}"'
        words = f"{words},{digest},{fmt}"
    return hmac.digest(key, f"{words}]".encode(), "sha256").hex()


_text = json.encoder.encode_basestring_ascii  # a string as json.dumps writes it
_WORDS: dict[str, str] = {}  # the few words every line repeats, as json.dumps writes them


def json_word(value: str) -> str:
    """A word log lines repeat (actor, verb, object, result, origin) as json.dumps writes it
    (ASCII escapes), escaped once, not once a line (here for the links, and for the lines'
    canonical form the office is sent: sync.log_messages)."""
    text = _WORDS.get(value)
    if text is None:
        if len(_WORDS) >= 1024:
            _WORDS.clear()
        text = _WORDS[value] = _text(value)
    return text


def _fields_json(fields: list[Any]) -> bytes:
    """json.dumps(fields, separators=(",", ":")) byte for byte, written directly for the
    types a line's fields have (whole numbers, text, null). Anything else takes json.dumps."""
    parts = []
    for value in fields:
        kind = type(value)
        if kind is str:
            parts.append(_text(value))
        elif kind is int:
            parts.append(str(value))
        elif value is None:
            parts.append("null")
        else:
            return json.dumps(fields, separators=(",", ":")).encode()
    return ("[" + ",".join(parts) + "]").encode()


class AccessLog:
    def __init__(self, db: sqlite_utils.Database, keys: VaultKeys, actor: str, origin: str) -> None:
        self.db = db
        self.keys = keys
        self.actor = actor
        self.origin = origin

    def record(
        self,
        action: str,
        obj: str,
        case_id: str | None = None,
        result: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        with self.db.atomic():
            # The next line follows the sealed head, not merely the last row: after lines were
            # cut off the end, the new lines keep the gap visible instead of closing it.
            last, recorded = self.head(), self.head_recorded()
            newest = max(
                (h for h in (last, recorded) if h is not None), key=lambda h: h.id, default=None
            )
            previous, next_id = (newest.chain, newest.id + 1) if newest else (GENESIS, 1)
            at = now_iso()
            fields = [next_id, at, self.actor, action, obj, case_id, result, self.origin]
            sealed = self.keys.seal("access_log", str(next_id), 1, detail) if detail else None
            chain = _link(self.keys.log_key, previous, fields, sealed, FORMAT)
            self.db.execute(
                f"INSERT INTO access_log({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                [*fields, chain, sealed, FORMAT],
            )
            self._put_head(Head(next_id, chain))

    def lines(self, case_id: str | None = None) -> list[LogLine]:
        sql = "SELECT id, at, actor, action, object, case_id, result, origin FROM access_log"
        params: list[Any] = []
        if case_id:
            sql += " WHERE case_id = ?"
            params.append(case_id)
        return [LogLine(*r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def detail(self, line_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT detail FROM access_log WHERE id = ?", [line_id]).fetchone()
        if row is None or row[0] is None:
            return None
        return self.keys.open("access_log", str(line_id), 1, row[0])  # type: ignore[no-any-return]

    # -- verification ----------------------------------------------------------------------
    def verify(self) -> int | None:
        """The id of the first line that does not hold, or None when the log is intact
        (see `verify_rows`)."""
        rows, recorded = self.snapshot()
        return verify_rows(rows, recorded, self.keys.log_key)

    def snapshot(self) -> tuple[list[LogRow], Head | None]:
        """Every line as stored and the sealed head, in one read (for checking elsewhere)."""
        rows = [
            _row(row)
            for row in self.db.execute(f"SELECT {_COLUMNS} FROM access_log ORDER BY id")  # noqa: S608
        ]
        return rows, self.head_recorded()

    def rows_after(self, line_id: int, limit: int) -> list[LogRow]:
        """Up to `limit` lines as stored after this id, in order (a long log read in parts:
        lines are only ever added at the end)."""
        return [
            _row(row)
            for row in self.db.execute(
                f"SELECT {_COLUMNS} FROM access_log WHERE id > ? ORDER BY id LIMIT ?",  # noqa: S608
                [line_id, limit],
            )
        ]

    def open_detail(self, row: LogRow) -> dict[str, Any] | None:
        """A stored line's detail, opened; None when it has none. TamperedRecord when the
        sealed value does not open for this line (moved, or damaged)."""
        if row.detail is None:
            return None
        return self.keys.open("access_log", str(row.id), 1, row.detail)  # type: ignore[no-any-return]

    def head(self) -> Head | None:
        """The newest line as the log holds it now."""
        row = self.db.execute(
            "SELECT id, chain FROM access_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return Head(int(row[0]), str(row[1])) if row else None

    def head_recorded(self) -> Head | None:
        """The newest line as the last `record` sealed it into the vault table."""
        row = self.db.execute("SELECT value FROM vault WHERE key = ?", [HEAD_KEY]).fetchone()
        if row is None:
            return None
        sealed = crypto.unb64(json.loads(row[0])["sealed"])
        value = json.loads(self.keys.open_bytes("vault", HEAD_KEY, 1, sealed))
        return Head(int(value["id"]), str(value["chain"]))

    def _put_head(self, head: Head) -> None:
        plain = json.dumps({"id": head.id, "chain": head.chain}).encode()
        value = {"sealed": crypto.b64(self.keys.seal_bytes("vault", HEAD_KEY, 1, plain))}
        self.db.execute(
            "INSERT INTO vault(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [HEAD_KEY, json.dumps(value)],
        )

    def restore_missing_triggers(self) -> list[str]:
        """Put back the append-only triggers if someone dropped them, and say which were gone.

        The caller records the finding as a log line, so it travels to the office.
        """
        missing = missing_access_log_triggers(self.db)
        if missing:
            create_access_log_triggers(self.db)
        return missing

    # -- a new data key ----------------------------------------------------------------------
    def rechain(self, new: VaultKeys) -> None:
        """Recompute every link under `new`'s log key and use `new` from now on. Only for a
        rekey (storage.rekey), which verified the log under the old key first — so a tampered
        log is never re-chained — re-sealed the details, and holds atomic()."""
        previous, head = GENESIS, None
        for row in list(self.db.execute(f"SELECT {_COLUMNS} FROM access_log ORDER BY id")):  # noqa: S608
            fields, detail, fmt = list(row[:8]), row[9], int(row[10])
            previous = _link(new.log_key, previous, fields, detail, fmt)
            self.db.execute("UPDATE access_log SET chain = ? WHERE id = ?", [previous, row[0]])
            head = Head(int(row[0]), previous)
        self.keys = new
        if head is not None:
            self._put_head(head)


def verify_rows(rows: list[LogRow], recorded: Head | None, log_key: bytes) -> int | None:
    """The id of the first line that does not hold, or None when the log is intact.

    A line fails when its link does not match (edited, detail removed or swapped), when an
    id is missing, when a format-1 line follows a format-2 one (the old format does not
    cover the detail), and — past the last line — when the sealed head names a newer line
    than the log has (lines cut off the end): then the first missing id is returned.
    Pure: it may run on any thread.
    """
    check = ChainCheck(log_key)
    check.feed(rows)
    return check.result(recorded)


class ChainCheck:
    """`verify_rows` in parts: the lines fed in order, a part at a time, then the sealed
    head as read together with the last part."""

    def __init__(self, log_key: bytes) -> None:
        self.log_key = log_key
        self.previous, self.expected_id, self.seen_v2 = GENESIS, 1, False
        self.broken: int | None = None

    def feed(self, rows: list[LogRow]) -> None:
        if self.broken is not None:
            return
        key, previous, expected_id, seen_v2 = (
            self.log_key,
            self.previous,
            self.expected_id,
            self.seen_v2,
        )
        for row in rows:
            seen_v2 = seen_v2 or row.format >= 2
            if row.id != expected_id:
                self.broken = expected_id  # the first missing line
                break
            link = _row_link(key, previous, row)
            if (seen_v2 and row.format < 2) or not hmac.compare_digest(link, row.chain):
                self.broken = row.id
                break
            previous, expected_id = row.chain, expected_id + 1
        self.previous, self.expected_id, self.seen_v2 = previous, expected_id, seen_v2

    def result(self, recorded: Head | None) -> int | None:
        """The first line that does not hold (None: intact), with the sealed head."""
        if self.broken is not None:
            return self.broken
        expected_id = self.expected_id
        if recorded is None:
            # Every format-2 line updates the head: lines of that format without one means
            # the head was removed, most likely together with lines at the end.
            return expected_id if self.seen_v2 else None
        if recorded.id != expected_id - 1 or recorded.chain != self.previous:
            return expected_id if recorded.id >= expected_id else recorded.id
        return None
