"""The office side of the end-to-end tests: a server on loopback and what the office does."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from kitchentable.office import keys, publish
from kitchentable.office.store import DB_NAME, Store
from kitchentable.services import Profile
from kitchentable.storage.sync_state import SyncStore


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


def put_state(profile: Profile, key: str, value: Any) -> None:
    """Set one sync_state value as if an earlier sync had left it (a test's starting point)."""
    with profile.db.atomic():
        SyncStore(profile.db, profile.keys).put(key, value)


def get_state(profile: Profile, key: str) -> Any:
    return SyncStore(profile.db, profile.keys).get(key)


def serve(app: Any, port: int = 0) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The app on 127.0.0.1 (port 0: any free one) in a thread; the server, its thread and
    its URL once it listens."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Until something listens on 127.0.0.1:port; fails if the process died first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else b""
                raise AssertionError(f"the server did not start: {output!r}") from None
            time.sleep(0.05)
