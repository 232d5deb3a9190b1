"""GUI sync fixtures: the real main window against a real office server on loopback.

The office runs in-process (uvicorn in a thread on 127.0.0.1, plain http is allowed on
loopback) on SQLite, as tests/sync_e2e does; `restart` brings it back on the same port,
which is how "the network comes back" looks to the laptop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "gui"))
sys.path.insert(0, str(HERE.parent / "sync_e2e"))

from gui_helpers import english_after_test, gui_forms, open_window  # noqa: E402, F401
from synckit import OfficeServer, serve  # noqa: E402 - after the path above

from kitchentable.office import keys, pki  # noqa: E402
from kitchentable.office.app import ServerIdentity, create_app  # noqa: E402
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store  # noqa: E402

OFFICE_PASSPHRASE = "office horse battery staple"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui_sync/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


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


@dataclass
class Office:
    """The office plus the switch that takes its server off the network and back, and the
    one that makes it slow."""

    kit: OfficeServer
    app: Any
    thread: threading.Thread
    port: int
    slow: SlowAnswers

    @property
    def url(self) -> str:
        return self.kit.url

    def stop(self) -> None:
        self.kit.server.should_exit = True
        self.thread.join(timeout=10)

    def restart(self) -> None:
        self.kit.server, self.thread, _ = serve(self.app, self.port)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    data = tmp_path / "office"
    data.mkdir()
    public = keys.create(data, OFFICE_PASSPHRASE)
    private = keys.unlock(data, OFFICE_PASSPHRASE)
    ca = pki.create_ca(data, private.ca_password, "Gemeente Testdam")
    store = Store(SQLiteBackend(data / DB_NAME))
    slow = SlowAnswers(create_app(store, public, identity=ServerIdentity(ca=ca)))
    server, thread, url = serve(slow)
    kit = OfficeServer(data, store, url, public, private, server)
    office = Office(kit, slow, thread, int(url.rsplit(":", 1)[1]), slow)
    yield office
    office.stop()
    store.close()
