"""GUI sync fixtures: the real main window against a real office server on loopback.

The office runs in-process (uvicorn in a thread on 127.0.0.1, plain http is allowed on
loopback) on SQLite, as tests/sync_e2e does; `restart` brings it back on the same port,
which is how "the network comes back" looks to the laptop.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "gui"))
sys.path.insert(0, str(HERE.parent / "sync_e2e"))

from gui_helpers import english_after_test, gui_forms, open_window  # noqa: E402, F401
from synckit import OfficeServer, SlowAnswers, office_keys  # noqa: E402 - after the path

from kitchentable.office.app import ServerIdentity, create_app  # noqa: E402
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store  # noqa: E402
from tests.netkit import serve  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/gui_sync/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.gui)


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
    public, private, ca = office_keys(data)
    store = Store(SQLiteBackend(data / DB_NAME))
    slow = SlowAnswers(create_app(store, public, identity=ServerIdentity(ca=ca)))
    server, thread, url = serve(slow)
    kit = OfficeServer(data, store, url, public, private, server)
    office = Office(kit, slow, thread, int(url.rsplit(":", 1)[1]), slow)
    yield office
    office.stop()
    store.close()
