"""The office store's database engines: embedded SQLite and PostgreSQL, and the choice.

Owns what the store needs from a database (`Backend`, `Cursor`: transactions of `?`-style
statements), both engines, connecting, pooling connections, the transaction boundary,
translating `?` placeholders for psycopg, and sending statements together where the engine
can (a `batched` transaction, `read_together`: PostgreSQL's pipeline, fewer round trips
under the writer lock). Knows nothing of the schema or of what a change
means: every statement comes from `kitchentable.office.store`, which this module never
imports. Never puts a password in a message or a log.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import IsolationLevel
from psycopg.conninfo import conninfo_to_dict

from kitchentable.office.errors import OfficeDatabaseError

Params = Sequence[Any]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
# One advisory lock, taken first in every transaction, serialises the office's transactions
# exactly as SQLite's BEGIN IMMEDIATE does (any 64-bit number; this one spells "KTOFFICE").
WRITER_LOCK = 0x4B544F4646494345
LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
CONNECT_TIMEOUT = 10  # seconds; an unreachable host must not hang the server's start
MAX_IDLE = 40  # connections kept open between transactions: one per thread of the server's pool
# (anyio: 40), else every transaction beyond them connects anew (50 devices at once: ~100 new
# connections a second, each a PostgreSQL process started)


class Cursor(Protocol):
    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Sequence[Params]) -> Any:
        """One statement for each row (sent together where the engine can)."""
        ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Backend(Protocol):
    """What the store needs from a database: transactions of `?`-style statements."""

    def transaction(
        self, write: bool = True, *, ordered: bool = True, batched: bool = False
    ) -> AbstractContextManager[Cursor]:
        """write=False: the body only reads; the backend may run it beside other readers.
        ordered=False: the body only writes rows no decision reads (a device's activity);
        the backend may run it beside the writer that decides. batched=True: the backend
        may send statements together and wait only when the body reads rows or commits, so
        a database error may surface at a later statement or at the commit: for a body that
        undoes nothing alone (no savepoint) and starts again whole when it fails. A reader
        and a writer with ordered=False may always be sent together (they undo nothing
        alone)."""
        ...

    def close(self) -> None: ...


def open_backend(spec: str | Path) -> Backend:
    """A `postgresql://` or `postgres://` URL opens PostgreSQL; anything else is a SQLite file."""
    if isinstance(spec, str) and spec.startswith(POSTGRES_SCHEMES):
        return PostgresBackend(spec)
    return SQLiteBackend(Path(spec))


class SQLiteBackend:
    """Embedded SQLite: one connection, one writer at a time (BEGIN IMMEDIATE), WAL."""

    def __init__(self, path: Path | str) -> None:
        # The handlers run in a thread pool; the lock serialises all use of the connection.
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        # FULL: an answer "accepted" must survive a power cut, or the laptop drops a change.
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")

    @contextmanager
    def transaction(
        self, write: bool = True, *, ordered: bool = True, batched: bool = False
    ) -> Iterator[Cursor]:
        # One connection, one writer, in-process: `ordered` and `batched` change nothing.
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """`?` placeholders → psycopg's `%s`, outside quoted literals and identifiers; `%` is
    doubled everywhere because psycopg reads it as a placeholder even inside a literal."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            # A doubled quote inside a literal ('it''s') closes and reopens: same result.
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


class PostgresCursor:
    """The store's `Cursor` over a psycopg cursor: `?` statements, tuples back."""

    def __init__(self, cursor: psycopg.Cursor[Any], *, pipelined: bool = False) -> None:
        self._cursor = cursor
        self._pipelined = pipelined  # the connection is in pipeline mode already

    def execute(self, sql: str, params: Params = ()) -> PostgresCursor:
        # Always pass a list, even empty: psycopg then parses the query and turns %% into %.
        self._cursor.execute(translate(sql), list(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Params]) -> PostgresCursor:
        # psycopg sends the rows together (a pipeline), the statement parsed once.
        self._cursor.executemany(translate(sql), [list(row) for row in rows])
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    def read_together(self, queries: Sequence[tuple[str, Params]]) -> list[list[Any]]:
        conn = self._cursor.connection
        with nullcontext() if self._pipelined else conn.pipeline():
            cursors = [conn.cursor() for _ in queries]
            for cursor, (sql, params) in zip(cursors, queries, strict=True):
                cursor.execute(translate(sql), list(params))
            # The first fetch waits for every answer sent before it.
            return [cursor.fetchall() for cursor in cursors]


def read_together(cur: Cursor, queries: Sequence[tuple[str, Params]]) -> list[list[Any]]:
    """The rows of several statements, in order; on PostgreSQL in one round trip."""
    if isinstance(cur, PostgresCursor):
        return cur.read_together(queries)
    return [cur.execute(sql, params).fetchall() for sql, params in queries]


class PostgresBackend:
    """PostgreSQL through psycopg 3, for an office with several servers or a managed database.

    Every transaction runs at READ COMMITTED and first takes one transaction-scoped advisory
    lock, so transactions run one at a time across all threads and processes using this
    database, like SQLite's BEGIN IMMEDIATE. The store decides a change's fate by reading
    then writing (duplicate id, free sequence number, current version, next counter value);
    with the lock no other transaction commits between those reads and writes, and because
    READ COMMITTED takes a fresh snapshot per statement, every read after the lock sees all
    earlier commits. SERIALIZABLE would need the whole body retried on a serialization
    failure, which a context manager cannot do; REPEATABLE READ would fix its snapshot at
    the lock statement, before the wait, and read stale rows.

    Round trips are what a busy server waits on while a writer holds the lock: readers,
    writers of activity and batched writers run in pipeline mode, their statements sent
    together and answered when the body reads rows or commits.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._where = _describe(url)
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[Any]] = []
        self._closed = False
        # Connect once now: a wrong address fails at start, not at the first enrolment.
        self._idle.append(self._connect())

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._url, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as error:
            reason = _first_line(str(error)).replace(self._password(), "***")
            raise OfficeDatabaseError(
                "database_unreachable",
                f"The office database at {self._where} cannot be reached: {reason}",
            ) from None
        conn.isolation_level = IsolationLevel.READ_COMMITTED
        return conn

    def _password(self) -> str:
        return str(conninfo_to_dict(self._url).get("password") or "\0")

    def _take(self) -> psycopg.Connection[Any]:
        with self._lock:
            if self._closed:
                raise OfficeDatabaseError("database_closed", "The office database is closed.")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        healthy = (
            not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        )
        with self._lock:
            if healthy and not self._closed and len(self._idle) < MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def _begin(
        self, write: bool, ordered: bool
    ) -> tuple[psycopg.Connection[Any], psycopg.Cursor[Any]]:
        """A connection inside a transaction: a writer holds the lock; a reader instead
        reads one consistent snapshot (REPEATABLE READ, read only) and waits for no one.
        Writers commit one at a time in server-version order, so a snapshot always holds a
        gap-free prefix of the versions. A writer of rows no decision reads (`ordered`
        false: activity) takes no lock; its rows carry no server version. Readers, such
        writers and batched writers start the same way in pipeline mode (`_pipelined`).
        Here, for a writer statement by statement, an idle connection the server dropped
        (restart, idle timeout) is replaced once: nothing has run on it yet."""
        conn = self._take()
        try:
            return conn, _start(conn, write, ordered)
        except BaseException:
            self._give_back_after_error(conn)
            if not conn.broken:
                raise
        conn = self._connect()
        try:
            return conn, _start(conn, write, ordered)
        except BaseException:
            self._give_back_after_error(conn)
            raise

    def _give_back_after_error(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.rollback()
        except psycopg.Error:
            conn.close()
        if conn.broken:
            # The server went away (a restart drops every connection): the idle ones are
            # most likely broken too, and the next transaction connects afresh.
            with self._lock:
                idle, self._idle = self._idle, []
            for other in idle:
                other.close()
        self._give_back(conn)

    @contextmanager
    def transaction(
        self, write: bool = True, *, ordered: bool = True, batched: bool = False
    ) -> Iterator[PostgresCursor]:
        if batched or not write or not ordered:
            with self._pipelined(write, ordered) as pipelined:
                yield pipelined
            return
        conn, cursor = self._begin(write, ordered)
        try:
            yield PostgresCursor(cursor)
        except BaseException:
            self._give_back_after_error(conn)
            raise
        try:
            conn.commit()
        except BaseException:
            self._give_back_after_error(conn)
            raise
        self._give_back(conn)

    @contextmanager
    def _pipelined(self, write: bool, ordered: bool) -> Iterator[PostgresCursor]:
        """A transaction whose body runs in pipeline mode: the body's reads go out together
        and its writes with the COMMIT, so a writer holds the lock for a few round trips
        whatever the body's statement count. The first statement (the writer lock, or the
        reader's snapshot) goes alone, as in `_begin`: a connection the server dropped while
        idle (a restart, an idle timeout) shows there and is replaced once, before the body
        has run."""
        conn, cursor = self._begin(write, ordered)
        try:
            with conn.pipeline():
                yield PostgresCursor(cursor, pipelined=True)
                conn.commit()
        except BaseException:
            self._give_back_after_error(conn)
            raise
        self._give_back(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _start(conn: psycopg.Connection[Any], write: bool, ordered: bool) -> psycopg.Cursor[Any]:
    cursor = conn.cursor()
    if write and ordered:
        cursor.execute(LOCK_SQL, [WRITER_LOCK])
    elif not write:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    return cursor


def _describe(url: str) -> str:
    """host:port/database of a connection URL, never its user or password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise OfficeDatabaseError(
            "database_url_invalid", "The office database address is not a valid PostgreSQL URL."
        ) from None
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or "5432")
    return f"{host}:{port}/{parts.get('dbname') or ''}".rstrip("/")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no reason given"
    return line.rstrip(".") + "."
