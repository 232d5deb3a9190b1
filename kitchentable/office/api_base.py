"""What every part of the office API shares: who is asking, what they send, and how a
refusal looks.

Owns the server's identity (`ServerIdentity`: the online CA, the certificates above it,
the TLS fingerprint enrolment proofs must name), authentication (a bearer token, looked up
by its hash; a revoked device is told to wipe), reading a request body within the size
limit and the server's memory budget for bodies, and the JSON error answer. Never logs a
token or a body.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from kitchentable.office.errors import OfficeError
from kitchentable.office.limits import BodyBudget
from kitchentable.office.pki import OfficeCA
from kitchentable.office.store import Device, Store
from kitchentable.sync.protocol import ErrorBody
from kitchentable.sync.wire import ProtocolError, parse_json

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ServerIdentity:
    """What the serving process holds beyond public keys: the online CA that certifies
    device seal keys (opened with the serve secret, never the office passphrase), the
    certificates above it up to the root laptops trust, and the fingerprint of the TLS
    certificate laptops see (the server's own, or the one a TLS-terminating proxy in front
    of it presents)."""

    ca: OfficeCA | None = None
    chain: tuple[x509.Certificate, ...] = ()
    tls_fingerprint: str | None = None
    # The time-stamping key (the online CA's sibling), when the office has one.
    tsa: OfficeCA | None = None


def error_response(status: int, code: str, message: str, *, wipe: bool = False) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(ErrorBody(code, message, wipe).to_wire(), status, headers=headers)


def too_large() -> OfficeError:
    return OfficeError("too_large", "The request is larger than the server accepts.", 413)


class Requests:
    """Authentication and bodies, for every handler of the API."""

    def __init__(self, store: Store, budget: BodyBudget) -> None:
        self.store = store
        self.budget = budget

    async def authenticate(self, request: Request) -> Device:
        return await run_in_threadpool(self.device_of, self.token_of(request))

    @staticmethod
    def token_of(request: Request) -> str:
        """The bearer token the request carries (not yet checked)."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise OfficeError("missing_token", "This request needs the device's token.", 401)
        if scheme.lower() != "bearer" or not token.strip():
            raise OfficeError(
                "invalid_token", "The token is not in the form 'Bearer <token>'.", 401
            )
        return token.strip()

    def device_of(self, token: str) -> Device:
        """The device a token belongs to, or the refusal (in a worker thread: it reads the
        store; a handler may call it in the same trip to the thread pool as its work)."""
        device = self.store.device_for_token(token)
        if device is None:
            raise OfficeError(
                "invalid_token", "This token is not known. Enrol the device again.", 401
            )
        if device.revoked:
            # The laptop reads `wipe` and erases its vault (design §6, revocation).
            raise OfficeError(
                "device_revoked",
                "This device has been revoked by the office; its data will be removed.",
                403,
                wipe=True,
            )
        return device

    @asynccontextmanager
    async def body(self, request: Request, limit: int = MAX_BODY) -> AsyncIterator[bytes]:
        """The request's body, refused beyond `limit` or the server's budget; its bytes
        count against the budget until the handler is done with them."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large()
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                self.budget.take(len(chunk))
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise too_large()
            # One copy of a body of megabytes (a growing bytearray copies it again and again).
            yield b"".join(chunks)
        finally:
            self.budget.give_back(size)

    async def json(self, request: Request) -> dict[str, Any]:
        """The body as a protocol JSON object (parsing is quick: the budget is given back)."""
        async with self.body(request) as data:
            try:
                return parse_json(data)
            except ProtocolError as exc:
                raise OfficeError(
                    exc.code, exc.message, 413 if exc.code == "too_large" else 400
                ) from exc
