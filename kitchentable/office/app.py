"""The office server's HTTP API (Starlette): enrolment, push, status.

Owns authentication (bearer tokens, looked up by hash), the per-change checks a server can
make without plaintext (the device's signature, the device id, the recipient key) and
turning every refusal into JSON `{"error": code, "message": sentence}`. Decisions about a
change's fate are the store's, in one transaction. Never opens a sealed payload, never
logs tokens, codes or payload bytes, and never lets one bad change stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kitchentable.office.keys import OfficePublicKeys
from kitchentable.office.store import CodeRefused, Device, Store
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import (
    Change,
    ChangeResult,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    PushRequest,
    PushResponse,
)
from kitchentable.sync.wire import ProtocolError, get_uuid, parse_json

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024
Clock = Callable[[], datetime]

CODE_MESSAGES = {
    "code_unknown": "This enrolment code is not known. Check it, or ask the office for a new one.",
    "code_used": "This enrolment code has already been used. Ask the office for a new one.",
    "code_expired": "This enrolment code has expired (codes last 24 hours). Ask the office for a new one.",
}


class Refused(Exception):
    """A request refused as a whole, with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, *, wipe: bool = False) -> None:
        super().__init__(code)
        self.status = status
        self.body = ErrorBody(code, message, wipe)


def error_response(status: int, code: str, message: str, *, wipe: bool = False) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(ErrorBody(code, message, wipe).to_wire(), status, headers=headers)


async def read_json(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, "too_large", "The request is larger than the server accepts.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, "too_large", "The request is larger than the server accepts.")
    try:
        return parse_json(bytes(body))
    except ProtocolError as exc:
        raise Refused(400, exc.code, exc.message) from exc


class OfficeApi:
    def __init__(self, store: Store, office: OfficePublicKeys, clock: Clock) -> None:
        self.store = store
        self.office = office
        self.clock = clock

    async def authenticate(self, request: Request) -> Device:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise Refused(401, "missing_token", "This request needs the device's token.")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "invalid_token", "The token is not in the form 'Bearer <token>'.")
        device = await run_in_threadpool(self.store.device_for_token, token.strip())
        if device is None:
            raise Refused(401, "invalid_token", "This token is not known. Enrol the device again.")
        if device.revoked:
            # The laptop reads `wipe` and erases its vault (design §6, revocation).
            raise Refused(
                403,
                "device_revoked",
                "This device has been revoked by the office; its data will be removed.",
                wipe=True,
            )
        return device

    async def enrol(self, request: Request) -> Response:
        try:
            enrol = EnrolRequest.from_wire(await read_json(request))
        except ProtocolError as exc:
            raise Refused(400, exc.code, exc.message) from exc
        try:
            device, token = await run_in_threadpool(
                self.store.redeem_code,
                enrol.code,
                enrol.label,
                enrol.sign_public,
                enrol.box_public,
                self.clock(),
            )
        except CodeRefused as exc:
            raise Refused(403, exc.code, CODE_MESSAGES[exc.code]) from exc
        log.info("device %s enrolled", device.id)
        answer = EnrolResponse(
            device.id, token, device.consultant, self.office.box_public, self.office.sign_public
        )
        return JSONResponse(answer.to_wire())

    async def status(self, request: Request) -> Response:
        device = await self.authenticate(request)
        return JSONResponse({"v": 1, "device_id": device.id, "consultant": device.consultant})

    async def push(self, request: Request) -> Response:
        device = await self.authenticate(request)
        try:
            push = PushRequest.from_wire(await read_json(request))
        except ProtocolError as exc:
            raise Refused(400 if exc.code != "too_large" else 413, exc.code, exc.message) from exc
        if push.device_id != device.id:
            raise Refused(403, "wrong_device", "This push names another device than the token.")
        results = await run_in_threadpool(self._apply_all, device, push.changes)
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status] = counts.get(result.status, 0) + 1
        log.info("push from %s: %s", device.id, counts)
        return JSONResponse(PushResponse(results).to_wire())

    def _apply_all(self, device: Device, items: list[Any]) -> list[ChangeResult]:
        return [self._apply(index, device, item) for index, item in enumerate(items)]

    def _apply(self, index: int, device: Device, item: Any) -> ChangeResult:
        change_id = _best_effort_id(item)
        try:
            change = Change.from_wire(item)
            if change.device_id != device.id:
                raise ProtocolError("wrong_device", "The change names another device.")
            change.verify(unb64(device.sign_public))
            if change.payload.recipient != self.office.box_public:
                raise ProtocolError(
                    "wrong_recipient", "The payload is not sealed to this office's key."
                )
        except ProtocolError as exc:
            return ChangeResult(index, change_id, "rejected", reason=exc.code, message=exc.message)
        try:
            return self.store.record_change(index, change, self.clock())
        except Exception:
            # Quarantine this one change; the next ones still get their chance.
            log.exception("storing change %s failed", change.id)
            return ChangeResult(
                index,
                change.id,
                "rejected",
                reason="server_error",
                message="The server could not store this change now; send it again later.",
            )


def _best_effort_id(item: Any) -> str | None:
    """The id of a change, if it has a readable one, so a rejection names what it rejects."""
    if not isinstance(item, dict):
        return None
    try:
        return get_uuid(item, "id", "change")
    except ProtocolError:
        return None


def create_app(store: Store, office: OfficePublicKeys, *, clock: Clock | None = None) -> Starlette:
    api = OfficeApi(store, office, clock or (lambda: datetime.now(UTC)))

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refused)
        return JSONResponse(
            exc.body.to_wire(),
            exc.status,
            headers={"WWW-Authenticate": "Bearer"} if exc.status == 401 else None,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, f"{exc.detail}.")

    return Starlette(
        routes=[
            Route("/api/v1/enrol", api.enrol, methods=["POST"]),
            Route("/api/v1/push", api.push, methods=["POST"]),
            Route("/api/v1/status", api.status, methods=["GET"]),
        ],
        exception_handlers={Refused: refused, HTTPException: http_error},
    )
