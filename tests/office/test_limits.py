"""Limits against hostile clients, in the app: oversized numbers, too many requests at once,
request bodies beyond the memory budget, enrolment guessing, unfinished uploads, and a log
that does not grow with an attack."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from officekit import Clock, Office
from starlette.testclient import TestClient

from kitchentable.office import keys, serve
from kitchentable.office.app import create_app
from kitchentable.office.cli import main
from kitchentable.office.limits import Limits, RateLimitedLog, RequestGate
from kitchentable.office.store import Store
from kitchentable.office.store.purge import Retention
from kitchentable.office.store.uploads import MAX_OPEN_BYTES, MAX_OPEN_UPLOADS
from kitchentable.sync.protocol import DeviceKeys, EnrolRequest
from kitchentable.sync.wire import ProtocolError, parse_json


def test_a_5000_digit_integer_is_a_400_never_a_500(office: Office) -> None:
    huge = "9" * 5000
    for path in ("/api/v1/enrol", "/api/v1/push", "/api/v1/uploads"):
        answer = office.client.post(
            path,
            content=f'{{"v": {huge}}}'.encode(),
            headers={"content-type": "application/json"},
        )
        assert answer.status_code in (400, 401), (path, answer.text)
        assert "Traceback" not in answer.text
    answer = office.client.post("/api/v1/enrol", content=f'{{"v": 1, "label": {huge}}}'.encode())
    assert answer.status_code == 400 and answer.json()["error"] == "malformed"
    assert "larger than this protocol allows" in answer.json()["message"]


@pytest.mark.parametrize(
    "text",
    [
        '{"v": -' + "1" * 40 + "}",
        '{"a": "' + "x" * (2 * 1024 * 1024 + 1) + '"}',
        '{"' + "k" * (2 * 1024 * 1024 + 1) + '": 1}',
        '{"a": [' + ",".join(['"' + "y" * 1024 + '"'] * 10) + ', "' + "z" * (3 * 2**20) + '"]}',
    ],
    ids=["long negative number", "long text", "long key", "long text in a list"],
)
def test_the_parser_refuses_numbers_and_texts_beyond_its_limits(text: str) -> None:
    with pytest.raises(ProtocolError):
        parse_json(text)


def test_requests_beyond_the_caps_are_answered_503_or_429_at_once() -> None:
    limits = Limits(max_requests=3, max_requests_per_client=2)
    release = asyncio.Event()
    statuses: list[int] = []

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gate = RequestGate(slow, limits)

    async def call(client: str) -> None:
        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        scope = {"type": "http", "client": (client, 1), "headers": []}
        await gate(scope, receive, send)

    async def attack() -> None:
        held = [asyncio.create_task(call(c)) for c in ("10.0.0.1", "10.0.0.1", "10.0.0.2")]
        await asyncio.sleep(0.05)
        await call("10.0.0.1")  # its own share is used up
        await call("10.0.0.3")  # everyone's share is used up
        release.set()
        await asyncio.gather(*held)
        await call("10.0.0.1")  # afterwards: served again

    asyncio.run(attack())
    assert statuses == [429, 503, 200, 200, 200, 200]


def test_request_bodies_beyond_the_memory_budget_are_refused_busy(
    office_data: Path, store: Store
) -> None:
    public = keys.create(office_data, "office horse battery staple")
    app = create_app(store, public, clock=Clock(), limits=Limits(body_budget=64 * 1024))
    with TestClient(app) as client:
        answer = client.post("/api/v1/enrol", content=b"{" + b" " * 200_000 + b"}")
        assert answer.status_code == 503 and answer.json()["error"] == "busy"
        # The budget is given back: a small body goes through to its own refusal.
        answer = client.post("/api/v1/enrol", content=b"{}")
        assert answer.status_code == 400


def test_failed_enrolments_are_rate_limited_per_client(office_data: Path, store: Store) -> None:
    public = keys.create(office_data, "office horse battery staple")
    clock = Clock()
    app = create_app(store, public, clock=clock, limits=Limits(enrolments_per_client=3))
    guesser = TestClient(app, client=("203.0.113.9", 1))
    for guess in ("AAAA-AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB-BBBB", "CCCC-CCCC-CCCC-CCCC"):
        request = EnrolRequest.create(guess, "laptop", DeviceKeys.generate())
        assert guesser.post("/api/v1/enrol", json=request.to_wire()).status_code == 403
    real = store.create_code("anna", clock())
    request = EnrolRequest.create(real, "laptop", DeviceKeys.generate())
    answer = guesser.post("/api/v1/enrol", json=request.to_wire())
    assert answer.status_code == 429 and answer.json()["error"] == "too_many_attempts"
    # The code was not spent by the refused attempt; another computer enrols with it.
    colleague = TestClient(app, client=("10.1.2.3", 1))
    assert colleague.post("/api/v1/enrol", json=request.to_wire()).status_code == 200


def test_a_device_cannot_start_uploads_without_end(office: Office) -> None:
    laptop = office.enrol()
    for number in range(MAX_OPEN_UPLOADS):
        sha = hashlib.sha256(str(number).encode()).hexdigest()
        body = {"v": 1, "sha256": sha, "size": 1000}
        answer = office.client.post("/api/v1/uploads", json=body, headers=laptop.auth)
        assert answer.status_code == 200
    body = {"v": 1, "sha256": "f" * 64, "size": 1000}
    answer = office.client.post("/api/v1/uploads", json=body, headers=laptop.auth)
    assert answer.status_code == 429 and answer.json()["error"] == "too_many_uploads"
    # A week later the purge forgets the abandoned ones, and the device may start again.
    office.clock.advance(days=8)
    removed = office.store.purge(office.clock.now)
    assert removed["uploads"] == MAX_OPEN_UPLOADS
    assert office.client.post("/api/v1/uploads", json=body, headers=laptop.auth).status_code == 200


def test_the_purge_forgets_old_activity_and_spent_codes_and_keeps_the_recent(
    office: Office,
) -> None:
    laptop = office.enrol()
    office.client.get("/api/v1/pull?cursor=0", headers=laptop.auth)
    old_code = office.store.create_code("bram", office.clock())
    office.clock.advance(days=100)
    office.client.get("/api/v1/pull?cursor=0", headers=laptop.auth)
    fresh_code = office.store.create_code("carla", office.clock())
    removed = office.store.purge(office.clock.now, Retention())
    assert removed["activity"] == 2  # the enrolment and the first pull, 100 days ago
    assert removed["enrolment_codes"] == 2  # anna's used one and bram's expired one
    with office.store.backend.transaction() as cur:
        assert cur.execute("SELECT count(*) FROM activity").fetchone()[0] == 1
        kept = cur.execute("SELECT consultant FROM enrolment_codes").fetchall()
    assert [row[0] for row in kept] == ["carla"]
    assert old_code != fresh_code
    assert office.store.devices()  # devices are never purged


def test_a_flood_of_the_same_warning_leaves_a_few_lines_and_a_count() -> None:
    now = [0.0]
    filtering = RateLimitedLog(burst=5, seconds=60, clock=lambda: now[0])
    kept: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record.getMessage())

    logger = logging.getLogger("test.flood")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = Keep()
    handler.addFilter(filtering)
    logger.addHandler(handler)
    try:
        for number in range(100_000):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                logger.exception("accept failed on socket %d", number)
        now[0] = 61.0
        logger.warning("accept failed on socket %d", 0)
        logger.info("an ordinary line")
    finally:
        logger.removeHandler(handler)
    assert len(kept) == 7
    assert "and 99995 more like it" in kept[5]
    assert kept[6] == "an ordinary line"


def test_the_limits_the_documents_promise_are_the_servers_defaults() -> None:
    """docs/sync.md (Hostile clients, Enrolment) and packaging/office/README.md name these."""
    limits = Limits()
    assert (limits.header_timeout, limits.body_timeout, limits.body_deadline) == (10, 30, 300)
    assert (limits.max_connections, limits.max_connections_per_client) == (4096, 64)
    assert (limits.max_requests, limits.max_requests_per_client) == (32, 8)
    assert limits.body_budget == 128 * 2**20 and limits.tls_handshake_timeout == 10
    assert (limits.enrolments_per_client, limits.enrolment_window) == (10, 3600)
    assert Retention() == Retention(upload_days=7, activity_days=90, code_days=30)
    assert (MAX_OPEN_UPLOADS, MAX_OPEN_BYTES) == (32, 256 * 2**20)
    assert RateLimitedLog().burst == 5 and RateLimitedLog().seconds == 60


def test_the_server_purges_every_hour_by_itself(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop = office.enrol()
    body = {"v": 1, "sha256": "e" * 64, "size": 10}
    office.client.post("/api/v1/uploads", json=body, headers=laptop.auth)
    with office.store.backend.transaction() as cur:  # started eight days ago
        cur.execute("UPDATE uploads SET created_at = '2000-01-01T00:00:00+00:00'")
    monkeypatch.setattr(serve, "PURGE_EVERY", 0.05)
    stop = threading.Event()
    worker = threading.Thread(target=serve._purge_hourly, args=(office.store, stop))
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with office.store.backend.transaction(write=False) as cur:
                if cur.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0:
                    break
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
    with office.store.backend.transaction(write=False) as cur:
        assert cur.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0


@pytest.mark.sqlite_only  # the command opens the office's own database file
def test_the_purge_command_says_what_it_removed(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    office.store.create_code("bram", datetime.now(UTC) - timedelta(days=60))
    assert main(["purge", "--data", str(office.data)]) == 0
    assert "1 spent enrolment code(s)" in capsys.readouterr().out
