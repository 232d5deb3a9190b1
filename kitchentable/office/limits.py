"""How much any one client, and all of them together, may take from the office server.

Owns the numbers (`Limits`: connections, requests, body bytes, read timeouts, enrolment
attempts) and the request-level gate (`RequestGate`, ASGI): beyond the cap on concurrent
requests a request is answered `503 busy` at once, beyond a client's own share `429`; the
bytes of request bodies held in memory at once have a budget (`BodyBudget`). Also a sliding
window counter per key (`Window`, for enrolment and admin logins) and a logging filter that
lets a repeated warning through a few times a minute and then counts it (`RateLimitedLog`),
so a flood of bad connections cannot fill the disk with log lines. Connection-level limits
(how many, how slow) are `guard`'s. Never logs a client's data; a client is its address.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from kitchentable.office.errors import OfficeError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The server's limits; the defaults fit the systemd unit (LimitNOFILE=8192)."""

    max_connections: int = 4096  # all clients; each costs a file handle
    max_connections_per_client: int = 64  # an office behind one NAT address has many laptops
    max_requests: int = 32  # handled at once; beyond: 503
    max_requests_per_client: int = 8  # beyond: 429
    body_budget: int = 128 * MiB  # request bodies held in memory at once, all requests
    header_timeout: float = 10.0  # seconds to send a request's line and headers
    body_timeout: float = 30.0  # seconds without a byte while a body is being sent
    body_deadline: float = 300.0  # seconds for a whole body (16 MiB at ~56 KB/s)
    enrolments_per_client: int = 10  # enrolment attempts per client per window
    enrolment_window: float = 3600.0
    tls_handshake_timeout: float = 10.0


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class Busy(OfficeError):
    def __init__(self, status: int = 503) -> None:
        message = (
            "The office server is busy; try again in a minute."
            if status == 503
            else "This computer has too many requests at the office at once; wait for them."
        )
        super().__init__("busy" if status == 503 else "too_many_requests", message, status)


class RequestGate:
    """ASGI middleware: a cap on concurrent requests, in total and per client."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self._lock = threading.Lock()
        self._active = 0
        self._per_client: dict[str, int] = {}

    def _enter(self, client: str) -> int:
        with self._lock:
            if self._per_client.get(client, 0) >= self.limits.max_requests_per_client:
                return 429
            if self._active >= self.limits.max_requests:
                return 503
            self._active += 1
            self._per_client[client] = self._per_client.get(client, 0) + 1
            return 0

    def _leave(self, client: str) -> None:
        with self._lock:
            self._active -= 1
            left = self._per_client[client] - 1
            if left:
                self._per_client[client] = left
            else:
                del self._per_client[client]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        refused = self._enter(client)
        if refused:
            await _refuse(Busy(refused), send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave(client)


async def _refuse(error: OfficeError, send: Send) -> None:
    body = json.dumps({"error": error.code, "message": error.message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"30"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class BodyBudget:
    """The bytes of request bodies held in memory at once, across all requests."""

    total: int
    _used: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, size: int) -> None:
        with self._lock:
            if self._used + size > self.total:
                raise Busy()
            self._used += size

    def give_back(self, size: int) -> None:
        with self._lock:
            self._used -= size


class Window:
    """Events per key in a sliding window (bounded memory: stale keys are dropped)."""

    MAX_KEYS = 10_000

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key, deque())
        while events and now - events[0] > self.seconds:
            events.popleft()
        return events

    def full(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, self.clock())) >= self.limit

    def add(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._events) >= self.MAX_KEYS:
                for stale in [k for k, v in self._events.items() if now - v[-1] > self.seconds]:
                    del self._events[stale]
                if len(self._events) >= self.MAX_KEYS:  # still full of fresh keys
                    self._events.pop(next(iter(self._events)))
            events = self._recent(key, now)
            events.append(now)
            self._events[key] = events

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._recent(key, self.clock()))


class RateLimitedLog(logging.Filter):
    """Lets the same warning (logger and message template) through `burst` times per
    `seconds`; the rest is counted and said in one line when the next one passes."""

    def __init__(
        self, burst: int = 5, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.burst = burst
        self.seconds = seconds
        self.clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, str(record.msg)[:200])
        now = self.clock()
        with self._lock:
            start, passed, dropped = self._seen.get(key, (now, 0, 0))
            if now - start > self.seconds:
                if dropped:
                    record.msg = f"{record.msg} (and {dropped} more like it in the last minute)"
                start, passed, dropped = now, 0, 0
            if passed >= self.burst:
                self._seen[key] = (start, passed, dropped + 1)
                return False
            self._seen[key] = (start, passed + 1, dropped)
            if len(self._seen) > 1000:
                self._seen.pop(next(iter(self._seen)))
        # A traceback per bad connection is what fills a disk: keep only the first line.
        if record.exc_info and passed > 0:
            record.exc_info = None
            record.exc_text = None
        return True
