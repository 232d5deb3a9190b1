"""The ZGW delivery's ledger in the office store: what was sent where, and what came back.

Owns three tables and their migration: `zgw_delivery` (per plan and step: when the request
went out, and the URL or number the case system returned), `zgw_delivery_plans` (per plan:
delivered or quarantined, with the refusal sealed to the office key) and
`zgw_delivery_lease` (one delivery at a time per office). Works through the store's
`Backend`, so on SQLite and PostgreSQL alike; its migrations are recorded in the store's
`_migrations` table under ids from 1001, apart from the store's own numbering. Holds URLs,
numbers and timestamps only: anything the case system said about a plan may echo its
data, so it is kept sealed. Never reads the clock: callers pass `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kitchentable.office.backends import Backend, Cursor
from kitchentable.office.store.common import iso

MIGRATION_IDS_FROM = 1001
MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "zgw-delivery",
        [
            """CREATE TABLE zgw_delivery (
                target TEXT NOT NULL,
                change_id TEXT NOT NULL,
                step TEXT NOT NULL,
                sent_at TEXT,
                value TEXT,
                done_at TEXT,
                PRIMARY KEY (target, change_id, step)
            )""",
            """CREATE TABLE zgw_delivery_plans (
                target TEXT NOT NULL,
                change_id TEXT NOT NULL,
                reference TEXT NOT NULL,
                state TEXT NOT NULL,
                step TEXT,
                sealed_message TEXT,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (target, change_id)
            )""",
            """CREATE TABLE zgw_delivery_lease (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                since TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
        ],
    ),
]
DELIVERED = "delivered"
QUARANTINED = "quarantined"
LEASE = "deliver"


@dataclass(frozen=True)
class Step:
    sent: bool  # a request went out (its outcome may be unknown)
    value: str | None  # what the case system returned: a URL or a number


@dataclass(frozen=True)
class Quarantined:
    change_id: str
    reference: str
    step: str
    sealed_message: str
    at: str


class Ledger:
    def __init__(self, backend: Backend, target: str) -> None:
        self.backend = backend
        self.target = target
        migrate(backend)

    def steps(self, change_id: str) -> dict[str, Step]:
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                "SELECT step, sent_at, value FROM zgw_delivery WHERE target = ? AND change_id = ?",
                [self.target, change_id],
            ).fetchall()
        return {row[0]: Step(row[1] is not None, row[2]) for row in rows}

    def sent(self, change_id: str, step: str, now: datetime) -> None:
        """Written before the request goes out: a later run knows to look before creating."""
        with self.backend.transaction() as cur:
            if _has_step(cur, self.target, change_id, step):
                cur.execute(
                    "UPDATE zgw_delivery SET sent_at = ? WHERE target = ? AND change_id = ? "
                    "AND step = ?",
                    [iso(now), self.target, change_id, step],
                )
            else:
                cur.execute(
                    "INSERT INTO zgw_delivery (target, change_id, step, sent_at) "
                    "VALUES (?, ?, ?, ?)",
                    [self.target, change_id, step, iso(now)],
                )

    def done(self, change_id: str, step: str, value: str, now: datetime) -> None:
        with self.backend.transaction() as cur:
            if _has_step(cur, self.target, change_id, step):
                cur.execute(
                    "UPDATE zgw_delivery SET value = ?, done_at = ? WHERE target = ? "
                    "AND change_id = ? AND step = ?",
                    [value, iso(now), self.target, change_id, step],
                )
            else:
                cur.execute(
                    "INSERT INTO zgw_delivery (target, change_id, step, sent_at, value, done_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [self.target, change_id, step, iso(now), value, iso(now)],
                )

    def settled(self) -> dict[str, str]:
        """change id → delivered | quarantined, for this target."""
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                "SELECT change_id, state FROM zgw_delivery_plans WHERE target = ?", [self.target]
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def delivered(self, change_id: str, reference: str, now: datetime) -> None:
        self._settle(change_id, reference, DELIVERED, None, None, now)

    def quarantine(
        self, change_id: str, reference: str, step: str, sealed_message: str, now: datetime
    ) -> None:
        self._settle(change_id, reference, QUARANTINED, step, sealed_message, now)

    def _settle(
        self,
        change_id: str,
        reference: str,
        state: str,
        step: str | None,
        sealed_message: str | None,
        now: datetime,
    ) -> None:
        with self.backend.transaction() as cur:
            cur.execute(
                "DELETE FROM zgw_delivery_plans WHERE target = ? AND change_id = ?",
                [self.target, change_id],
            )
            cur.execute(
                "INSERT INTO zgw_delivery_plans (target, change_id, reference, state, step, "
                "sealed_message, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self.target, change_id, reference, state, step, sealed_message, iso(now)],
            )

    def quarantined(self) -> list[Quarantined]:
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                "SELECT change_id, reference, step, sealed_message, updated_at "
                "FROM zgw_delivery_plans WHERE target = ? AND state = ? "
                "ORDER BY updated_at, change_id",
                [self.target, QUARANTINED],
            ).fetchall()
        return [Quarantined(*row) for row in rows]

    def release(self, change_id: str | None) -> int:
        """Quarantined plans (one, or all with None) are tried again at the next round; what
        they already created stays recorded and is reused."""
        query = "DELETE FROM zgw_delivery_plans WHERE target = ? AND state = ?"
        params = [self.target, QUARANTINED]
        if change_id is not None:
            query += " AND change_id = ?"
            params.append(change_id)
        with self.backend.transaction() as cur:
            count = len(cur.execute(query.replace("DELETE", "SELECT 1", 1), params).fetchall())
            cur.execute(query, params)
        return count

    def counts(self) -> dict[str, int]:
        with self.backend.transaction(write=False) as cur:
            rows = cur.execute(
                "SELECT state, count(*) FROM zgw_delivery_plans WHERE target = ? GROUP BY state",
                [self.target],
            ).fetchall()
        return {row[0]: int(row[1]) for row in rows}

    # -- one delivery at a time ------------------------------------------------------------
    def claim(self, holder: str, now: datetime, hold: timedelta) -> str | None:
        """Take the delivery lease (or extend our own); None when taken, else since when the
        other holder has it. An expired lease (a crashed run) is taken over."""
        with self.backend.transaction() as cur:
            row = cur.execute(
                "SELECT holder, since, expires_at FROM zgw_delivery_lease WHERE name = ?", [LEASE]
            ).fetchone()
            if row is not None and row[0] != holder and row[2] > iso(now):
                return str(row[1])
            if row is not None:
                cur.execute("DELETE FROM zgw_delivery_lease WHERE name = ?", [LEASE])
            since = row[1] if row is not None and row[0] == holder else iso(now)
            cur.execute(
                "INSERT INTO zgw_delivery_lease (name, holder, since, expires_at) "
                "VALUES (?, ?, ?, ?)",
                [LEASE, holder, since, iso(now + hold)],
            )
        return None

    def unclaim(self, holder: str) -> None:
        with self.backend.transaction() as cur:
            cur.execute(
                "DELETE FROM zgw_delivery_lease WHERE name = ? AND holder = ?", [LEASE, holder]
            )


def migrate(backend: Backend) -> None:
    with backend.transaction() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"
        )
        done = {row[0] for row in cur.execute("SELECT name FROM _migrations").fetchall()}
        for number, (name, statements) in enumerate(MIGRATIONS, start=MIGRATION_IDS_FROM):
            if name in done:
                continue
            for statement in statements:
                cur.execute(statement)
            cur.execute("INSERT INTO _migrations (id, name) VALUES (?, ?)", [number, name])


def _has_step(cur: Cursor, target: str, change_id: str, step: str) -> bool:
    row = cur.execute(
        "SELECT 1 FROM zgw_delivery WHERE target = ? AND change_id = ? AND step = ?",
        [target, change_id, step],
    ).fetchone()
    return row is not None
