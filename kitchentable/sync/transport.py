"""The wire to the office: one pinned HTTP client per sync, every failure a typed error.

Owns the HTTP client (HTTPS pinned to the enrolled certificate through sync.pinning, or
plain HTTP to this computer only), the bearer token on every request, the timeouts, and the
translation of whatever the network or the server does into the `SyncError` family: nothing
listening is `Offline`, a connection that broke off is `ConnectionCut`, a refusal carries
the server's sentence, a revoked device is `DeviceRevoked` (the caller wipes), garbage is
`ServerAnswerUnreadable`. Never touches the database, never decides what to send, never
logs a token or a payload.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx

from kitchentable.sync.errors import (
    ConnectionCut,
    DeviceRevoked,
    Offline,
    ResyncRequired,
    ServerAnswerUnreadable,
    ServerNotTrusted,
    ServerRefused,
    TokenRejected,
)
from kitchentable.sync.pinning import (
    InsecureServer,
    PinMismatch,
    is_loopback,
    pinned_async_client,
)
from kitchentable.sync.protocol import ErrorBody
from kitchentable.sync.wire import ProtocolError, parse_json

# Connect fails fast (a laptop without network should know within seconds); a read may
# take long on a slow line with a large page.
TIMEOUT = httpx.Timeout(30.0, connect=8.0)


def normalise_server(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServerRefused(message=f"'{url}' is not a server address (https://host:port).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ServerRefused(
            message="plain http is only allowed to this computer itself; use https://."
        )
    return url


def reason(exc: BaseException) -> str:
    """The first line of an exception, short enough for a status line."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:160]


class Transport:
    """Requests to one office for one sync, on the network lane (asyncio). `inner` lets
    tests put a fault injector between the laptop and a real server."""

    def __init__(
        self,
        server: str,
        fingerprint: str | None,
        token: str | None = None,
        *,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.server = server
        self.fingerprint = fingerprint
        self.token = token
        self.inner = inner
        self._client: httpx.AsyncClient | None = None
        # Whether the office takes a small file in one request, and several in one request
        # (learnt at the first try: an older office answers 405).
        self.whole_files = True
        self.bundles = True

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Transport]:
        if self.inner is not None:
            client = httpx.AsyncClient(base_url=self.server, transport=self.inner, timeout=TIMEOUT)
        else:
            try:
                client = pinned_async_client(self.server, self.fingerprint, TIMEOUT)
            except InsecureServer as exc:
                raise ServerNotTrusted(reason=str(exc)) from exc
        async with client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    async def request(
        self, method: str, path: str, *, passed: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """The answer, or the typed error for it; statuses in `passed` come back as
        answers (a caller that can do without what an older office does not offer)."""
        assert self._client is not None, "Transport.open() first"
        headers = dict(kwargs.pop("headers", {}))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = await self._client.request(method, path, headers=headers, **kwargs)
        except PinMismatch as exc:
            raise ServerNotTrusted(reason=str(exc)) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError, socket.gaierror) as exc:
            raise Offline(reason=reason(exc)) from exc
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            raise ConnectionCut(reason=reason(exc)) from exc
        except httpx.TimeoutException as exc:
            raise Offline(reason="the office did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise Offline(reason=reason(exc)) from exc
        if response.status_code >= 400 and response.status_code not in passed:
            raise refusal(response, enrolled=self.token is not None)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return read_json(await self.request(method, path, **kwargs))


def read_json(response: httpx.Response) -> dict[str, Any]:
    try:
        return parse_json(response.content)
    except ProtocolError as exc:
        raise ServerAnswerUnreadable(reason=exc.message) from exc


def refusal(response: httpx.Response, *, enrolled: bool) -> Exception:
    """The error for a 4xx/5xx answer: the server's own sentence where it gave one."""
    try:
        body = ErrorBody.from_wire(parse_json(response.content))
    except ProtocolError:
        if response.status_code >= 500:
            return ServerAnswerUnreadable(reason=f"server error {response.status_code}")
        return ServerAnswerUnreadable(reason=f"HTTP {response.status_code}")
    if response.status_code == 403 and body.wipe and enrolled:
        return DeviceRevoked()
    if response.status_code == 401:
        return TokenRejected(message=body.message)
    if response.status_code == 409 and body.error == "resync_required":
        return ResyncRequired()
    return ServerRefused(message=body.message)
