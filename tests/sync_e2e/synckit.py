"""The office side of the end-to-end tests: what the office does, a slow line in front of it,
and a laptop's sync state set as a test's starting point (servers: tests/netkit.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from kitchentable.office import keys, pki, publish
from kitchentable.office.backends import PostgresBackend
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store
from kitchentable.services import Profile
from kitchentable.storage.sync_state import SyncStore
from tests.office.pg import fresh_schema, server_url


@dataclass
class OfficeServer:
    data: Path
    store: Store
    url: str
    public: keys.OfficePublicKeys
    private: keys.OfficePrivateKeys
    server: uvicorn.Server
    laptops: list[Profile] = field(default_factory=list)

    def code(self, consultant: str = "anna") -> str:
        return self.store.create_code(consultant, datetime.now(UTC))

    def assign(self, cases: list[dict[str, Any]]) -> list[publish.Assigned]:
        return publish.assign(
            self.store, self.data, self.public, self.private, cases, datetime.now(UTC)
        )

    def export(self, out: Path) -> dict[str, int]:
        return publish.export(self.store, self.private, out)

    def files_bytes(self) -> bytes:
        """Everything the server keeps on disk (SQLite files; PostgreSQL: a dump of rows)."""
        parts = [p.read_bytes() for p in self.data.glob(f"{DB_NAME}*")]
        with self.store.backend.transaction() as cur:
            for table in ("changes", "feed", "blobs", "assignments", "activity", "devices"):
                for row in cur.execute(f"SELECT * FROM {table}").fetchall():
                    parts.append(repr(row).encode())
        return b"\n".join(parts)


class SlowAnswers:
    """ASGI middleware: every answer waits `delay` seconds after the office acted on the
    request (a slow, half-dead line at the inhabitant's home); counts each change id it
    sees in a push, so a test can tell how often a change travelled."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.delay = 0.0
        self.pushed: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/api/v1/push":
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self.pushed.update(c["id"] for c in json.loads(body)["changes"])
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        held: list[dict[str, Any]] = []
        await self.app(scope, replay, _collect(held))
        if self.delay:
            await asyncio.sleep(self.delay)
        for message in held:
            await send(message)


def _collect(held: list[dict[str, Any]]) -> Any:
    async def send(message: dict[str, Any]) -> None:
        held.append(message)

    return send


OFFICE_PASSPHRASE = "office horse battery staple"


def office_keys(data: Path) -> tuple[keys.OfficePublicKeys, keys.OfficePrivateKeys, pki.OfficeCA]:
    """An office's keys and CA in `data` (an existing folder), as `init` makes them."""
    public = keys.create(data, OFFICE_PASSPHRASE)
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    return public, private, pki.create_ca(data, private.ca_password, "Gemeente Testdam")


def office_store(backend: str, data: Path, stack: ExitStack) -> Store:
    """The office's store on "sqlite" (a file in `data`) or "postgres" (a fresh schema in the
    test cluster, dropped when `stack` closes); closed when `stack` closes."""
    if backend == "sqlite":
        store = Store(SQLiteBackend(data / DB_NAME))
    else:
        store = Store(PostgresBackend(stack.enter_context(fresh_schema(server_url()))))
    stack.callback(store.close)
    return store


def put_state(profile: Profile, key: str, value: Any) -> None:
    """Set one sync_state value as if an earlier sync had left it (a test's starting point)."""
    with profile.db.atomic():
        SyncStore(profile.db, profile.keys).put(key, value)


def get_state(profile: Profile, key: str) -> Any:
    return SyncStore(profile.db, profile.keys).get(key)
