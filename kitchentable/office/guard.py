"""Connections the office server keeps, and for how long: uvicorn's HTTP/1.1 protocol with
a cap per client and in total, and read timeouts.

Owns the connection level of the server's limits (`limits.Limits`): a connection beyond
the total cap or beyond its client's share is answered `503` and closed at once; a client
gets `header_timeout` seconds to send a request's line and headers (counted from the
connection, or from the end of the previous answer, never restarted by a trickle of
bytes), and while it sends a body at most `body_timeout` seconds of silence and
`body_deadline` seconds in all; then the connection is closed. Counts what it closes
instead of logging each one. Never reads what a request holds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from kitchentable.office.limits import Limits

log = logging.getLogger(__name__)

_REFUSED_BODY = b'{"error": "busy", "message": "The office server is busy; try again."}'
REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 30\r\nconnection: close\r\n"
    + f"content-length: {len(_REFUSED_BODY)}\r\n\r\n".encode()
    + _REFUSED_BODY
)


class ClientCount:
    """Open connections per client address, shared by every connection of one server."""

    def __init__(self) -> None:
        self.per_client: dict[str, int] = {}
        self.closed_slow = 0
        self.refused = 0

    def add(self, client: str) -> int:
        self.per_client[client] = self.per_client.get(client, 0) + 1
        return self.per_client[client]

    def remove(self, client: str) -> None:
        left = self.per_client.get(client, 1) - 1
        if left > 0:
            self.per_client[client] = left
        else:
            self.per_client.pop(client, None)


class GuardedH11Protocol(H11Protocol):
    """H11Protocol with connection caps and read timeouts (see the module docstring)."""

    limits: Limits = Limits()
    counts: ClientCount = ClientCount()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client_key: str | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._body_started = 0.0
        self._reading = ""

    # -- connections ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        client = self.client[0] if self.client else "unknown"
        self._client_key = client
        mine = self.counts.add(client)
        if (
            len(self.connections) > self.limits.max_connections
            or mine > self.limits.max_connections_per_client
        ):
            self.counts.refused += 1
            transport.write(REFUSED)
            transport.close()
            return
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        if self._client_key is not None:
            self.counts.remove(self._client_key)
            self._client_key = None
        super().connection_lost(exc)

    # -- reading --------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def _follow(self) -> None:
        """Arm the timer for what the client owes now: headers, body, or nothing."""
        if self.transport.is_closing():
            self._cancel()
            return
        state = self.conn.their_state
        if state is h11.IDLE and self.conn.our_state is h11.IDLE:
            if self._reading != "headers":  # a new wait: the clock starts now, once
                self._reading = "headers"
                self._arm(self.limits.header_timeout)
        elif state is h11.SEND_BODY:
            if self._reading != "body":
                self._reading = "body"
                self._body_started = self.loop.time()
            self._arm(self.limits.body_timeout)  # silence counts from the last byte
        elif self._reading != "done":
            self._reading = "done"  # the request is in: the answer is the app's business
            self._cancel()

    def _arm(self, seconds: float) -> None:
        if self._reading == "body":
            left = self._body_started + self.limits.body_deadline - self.loop.time()
            seconds = max(0.0, min(seconds, left))
        self._cancel()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _cancel(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self._reading == "body" and self.flow.read_paused:
            # We stopped reading (the app is behind), not the client: wait with it.
            self._arm(self.limits.body_timeout)
            return
        self.counts.closed_slow += 1
        if self.counts.closed_slow in (1, 10, 100) or self.counts.closed_slow % 1000 == 0:
            log.warning(
                "closed %d connection(s) that sent too slowly so far", self.counts.closed_slow
            )
        self.transport.close()


def guarded_protocol(limits: Limits) -> type[GuardedH11Protocol]:
    """The protocol class for one server: its limits and its own counts."""
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"limits": limits, "counts": ClientCount()},
    )
