"""The office server's HTTP API (Starlette): push, pull, status, and the app itself.

Owns the per-change checks a server can make without plaintext (the device's signature,
the device id, the recipient key, ids that will be file names) and assembling the app: the
routes of `api_enrol`, `api_files`, `api_log` and `api_seals`, the admin page, the request gate of `limits`, and
turning every refusal into JSON `{"error": code, "message": sentence}`. Decisions about a
change's fate are the store's, in one transaction. Never opens a sealed payload, never
logs tokens, codes or payload bytes, and never lets one bad change stop the others.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from kitchentable.office.admin import create_admin_app
from kitchentable.office.api_base import Clock, Requests, ServerIdentity, error_response
from kitchentable.office.api_enrol import EnrolApi
from kitchentable.office.api_files import FilesApi
from kitchentable.office.api_log import LogApi
from kitchentable.office.api_schema import openapi_endpoint
from kitchentable.office.api_seals import SealsApi
from kitchentable.office.errors import OfficeError
from kitchentable.office.keys import OfficePublicKeys
from kitchentable.office.limits import BodyBudget, Limits, RequestGate
from kitchentable.office.store import Device, Store, Visit
from kitchentable.office.tsa import TimeStampAuthority
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import (
    Change,
    ChangeResult,
    PullResponse,
    PushRequest,
    PushResponse,
)
from kitchentable.sync.wire import ProtocolError, get_uuid

__all__ = ["ServerIdentity", "create_app", "error_response"]

log = logging.getLogger(__name__)


class OfficeApi:
    def __init__(
        self,
        requests: Requests,
        store: Store,
        office: OfficePublicKeys,
        clock: Clock,
        seals: SealsApi,
    ) -> None:
        self.requests = requests
        self.store = store
        self.office = office
        self.clock = clock
        self.seals = seals
        self.authenticate = requests.authenticate

    async def status(self, request: Request) -> Response:
        device = await self.authenticate(request)
        return JSONResponse({"v": 1, "device_id": device.id, "consultant": device.consultant})

    async def pull(self, request: Request) -> Response:
        token = self.requests.token_of(request)
        answer = await run_in_threadpool(self._pull, token, request.query_params)
        return JSONResponse(answer.to_wire())

    def _pull(self, token: str, query: Mapping[str, str]) -> PullResponse:
        """The device, a page for it and its visit noted (one trip to the thread pool)."""
        device = self.requests.device_of(token)
        cursor_text = query.get("cursor", "0")
        resync = query.get("resync", "0") == "1"
        if not cursor_text.isdigit() or len(cursor_text) > 16:
            raise OfficeError("malformed", "The cursor must be a whole number.", 400)
        crl_wanted = query.get("crl", "0") == "1"
        entries, cursor, more = self.store.pull(device.id, int(cursor_text), resync=resync)
        # The revocation list only for a laptop that asks: an older one refuses the field.
        crl = self.seals.revocations() if crl_wanted else None
        self.store.seen(Visit(device.id, "pull", {"entries": len(entries)}), self.clock())
        return PullResponse(cursor, more, entries, crl)

    async def push(self, request: Request) -> Response:
        device = await self.authenticate(request)
        try:
            push = PushRequest.from_wire(await self.requests.json(request))
        except ProtocolError as exc:
            raise OfficeError(
                exc.code, exc.message, 400 if exc.code != "too_large" else 413
            ) from exc
        if push.device_id != device.id:
            raise OfficeError("wrong_device", "This push names another device than the token.", 403)
        results = await run_in_threadpool(self._apply_all, device, push.changes)
        log.info("push from %s: %s", device.id, _counts(results))
        return JSONResponse(PushResponse(results).to_wire())

    def _apply_all(self, device: Device, items: list[Any]) -> list[ChangeResult]:
        """Check every change (outside any lock: signatures cost CPU), then store the good
        ones in one transaction, the push's activity row with them; answers keep the order
        the changes were sent in."""
        results: dict[int, ChangeResult] = {}
        verified: list[tuple[int, Change]] = []
        for index, item in enumerate(items):
            checked = self._check(index, device, item)
            if isinstance(checked, ChangeResult):
                results[index] = checked
            else:
                verified.append((index, checked))
        visit = Visit(device.id, "push", _counts(results.values()))
        if verified:
            try:
                recorded = self.store.record_changes(verified, self.clock(), visit)
            except Exception:
                # The database failed as a whole: every change is answered, none is lost.
                log.exception("storing a push of %d change(s) failed", len(verified))
                recorded = [
                    ChangeResult.server_error(index, change.id) for index, change in verified
                ]
            for result in recorded:
                results[result.index] = result
        else:
            self.store.seen(visit, self.clock())
        return [results[index] for index in range(len(items))]

    def _check(self, index: int, device: Device, item: Any) -> Change | ChangeResult:
        try:
            change = Change.from_wire(item)
            if change.device_id != device.id:
                raise ProtocolError("wrong_device", "The change names another device.")
            change.verify(unb64(device.sign_public))
            # Ids that become folder and file names at the office: one spelling, no paths.
            for key in ("entity_id", "case_ref"):
                if item.get(key) is not None:
                    get_uuid(item, key, "change")
            if change.payload.recipient != self.office.box_public:
                raise ProtocolError(
                    "wrong_recipient", "The payload is not sealed to this office's key."
                )
        except ProtocolError as exc:
            return ChangeResult(
                index, _best_effort_id(item), "rejected", reason=exc.code, message=exc.message
            )
        return change


def _counts(results: Iterable[ChangeResult]) -> dict[str, int]:
    """How many answers of each status (the push's activity row, the log)."""
    return dict(Counter(result.status for result in results))


def _best_effort_id(item: Any) -> str | None:
    """The id of a change, if it has a readable one, so a rejection names what it rejects."""
    if not isinstance(item, dict):
        return None
    try:
        return get_uuid(item, "id", "change")
    except ProtocolError:
        return None


def create_app(
    store: Store,
    office: OfficePublicKeys,
    *,
    clock: Clock | None = None,
    identity: ServerIdentity | None = None,
    limits: Limits | None = None,
) -> Starlette:
    clock = clock or (lambda: datetime.now(UTC))
    limits = limits or Limits()
    requests = Requests(store, BodyBudget(limits.body_budget))
    identity = identity or ServerIdentity()
    seals = SealsApi(requests, store, clock, identity)
    api = OfficeApi(requests, store, office, clock, seals)
    tsa = None if identity.tsa is None else TimeStampAuthority(identity.tsa, identity.chain, clock)
    files = FilesApi(requests, store, clock, tsa)
    enrolment = EnrolApi(requests, store, office, clock, identity, limits)
    logs = LogApi(requests, store, office, clock)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OfficeError)
        return error_response(exc.status, exc.code, exc.message, wipe=exc.wipe)

    async def cut(request: Request, exc: Exception) -> Response:
        # The client went away mid-request (a laptop losing its network): nothing to answer
        # and nothing to log beyond a count.
        return Response(status_code=400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, f"{exc.detail}.")

    return Starlette(
        routes=[
            Route("/api/v1/enrol", enrolment.enrol, methods=["POST"]),
            Route("/api/v1/push", api.push, methods=["POST"]),
            Route("/api/v1/status", api.status, methods=["GET"]),
            Route("/api/v1/openapi.json", openapi_endpoint, methods=["GET"]),
            Route("/api/v1/pull", api.pull, methods=["GET"]),
            Route("/api/v1/blobs/{sha256}", files.blob, methods=["GET"]),
            Route("/api/v1/blobs/{sha256}", files.put_blob, methods=["PUT"]),
            Route("/api/v1/blobs", files.post_blobs, methods=["POST"]),
            Route("/api/v1/uploads", files.start_upload, methods=["POST"]),
            Route("/api/v1/uploads/{upload_id}/chunks/{index}", files.put_chunk, methods=["PUT"]),
            Route("/api/v1/uploads/{upload_id}/complete", files.complete_upload, methods=["POST"]),
            Route("/api/v1/timestamp", files.timestamp, methods=["POST"]),
            Route("/api/v1/log", logs.report, methods=["POST"]),
            Route("/api/v1/certificate", seals.certificate, methods=["POST"]),
            Mount("/admin", app=create_admin_app(store, clock)),
        ],
        middleware=[Middleware(RequestGate, limits=limits)],
        exception_handlers={OfficeError: refused, HTTPException: http_error, ClientDisconnect: cut},
    )
