"""The office server's HTTP API (Starlette): enrolment, push, status.

Owns authentication (bearer tokens, looked up by hash), the per-change checks a server can
make without plaintext (the device's signature, the device id, the recipient key) and
turning every refusal into JSON `{"error": code, "message": sentence}`. Decisions about a
change's fate are the store's, in one transaction. Never opens a sealed payload, never
logs tokens, codes or payload bytes, and never lets one bad change stop the others.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_public_key
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from kitchentable.office.api_schema import openapi_endpoint
from kitchentable.office.keys import OfficePublicKeys
from kitchentable.office.pki import OfficeCA, issue_device_certificate
from kitchentable.office.store import (
    CodeRefused,
    Device,
    ResyncRequired,
    Store,
    UploadRefused,
)
from kitchentable.storage.crypto import unb64
from kitchentable.sync.protocol import (
    MAX_WHOLE_FILE_BYTES,
    SHA256_HEX,
    Change,
    ChangeResult,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    FilesStored,
    FileStored,
    PullResponse,
    PushRequest,
    PushResponse,
    unbundle,
)
from kitchentable.sync.wire import ProtocolError, get_int, get_uuid, parse_json

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


@dataclass(frozen=True)
class ServerIdentity:
    """What the serving process holds beyond public keys: the CA that certifies device seal
    keys (opened with the office passphrase at start) and its own TLS fingerprint."""

    ca: OfficeCA | None = None
    tls_fingerprint: str | None = None


class OfficeApi:
    def __init__(
        self, store: Store, office: OfficePublicKeys, clock: Clock, identity: ServerIdentity
    ) -> None:
        self.store = store
        self.office = office
        self.clock = clock
        self.identity = identity

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
            if enrol.seal_public is not None:
                _check_seal_key(enrol.seal_public)
        except ProtocolError as exc:
            raise Refused(400, exc.code, exc.message) from exc
        key = await run_in_threadpool(self.store.code_key, enrol.code_id)
        if key is None:
            raise Refused(403, "code_unknown", CODE_MESSAGES["code_unknown"])
        if not enrol.proves(key):
            raise Refused(
                403, "code_unknown", "This enrolment request was not made with this code."
            )
        seen, ours = enrol.tls_fingerprint, self.identity.tls_fingerprint
        if ours is not None and seen != ours:
            # The laptop saw another certificate than this server's: someone in between.
            log.warning("enrolment over a certificate that is not ours refused")
            raise Refused(
                403,
                "certificate_mismatch",
                "The laptop reached the office through another certificate than the "
                "office's own; someone may be listening in. Nothing was changed.",
            )
        try:
            device, token = await run_in_threadpool(
                self.store.redeem_code,
                enrol.code_id,
                enrol.label,
                enrol.sign_public,
                enrol.box_public,
                self.clock(),
            )
        except CodeRefused as exc:
            raise Refused(403, exc.code, CODE_MESSAGES[exc.code]) from exc
        log.info("device %s enrolled", device.id)
        certificate = None
        ca = self.identity.ca
        if ca is not None and enrol.seal_public is not None:
            issued = issue_device_certificate(
                ca.key, ca.certificate, device.id, device.consultant, enrol.seal_public.encode()
            )
            await run_in_threadpool(self.store.set_certificate, device.id, issued.decode())
            certificate = (issued + ca.certificate.public_bytes(Encoding.PEM)).decode()
        await run_in_threadpool(
            self.store.seen,
            device.id,
            "enrol",
            {"certificate": certificate is not None},
            self.clock(),
        )
        answer = EnrolResponse(
            device.id,
            token,
            device.consultant,
            self.office.box_public,
            self.office.sign_public,
            self.identity.tls_fingerprint,
            certificate,
        ).prove(key, enrol)
        return JSONResponse(answer.to_wire())

    async def status(self, request: Request) -> Response:
        device = await self.authenticate(request)
        return JSONResponse({"v": 1, "device_id": device.id, "consultant": device.consultant})

    async def pull(self, request: Request) -> Response:
        device = await self.authenticate(request)
        cursor_text = request.query_params.get("cursor", "0")
        resync = request.query_params.get("resync", "0") == "1"
        if not cursor_text.isdigit() or len(cursor_text) > 16:
            raise Refused(400, "malformed", "The cursor must be a whole number.")
        try:
            entries, cursor, more = await run_in_threadpool(
                self.store.pull, device.id, int(cursor_text), resync=resync
            )
        except ResyncRequired as exc:
            raise Refused(
                409,
                "resync_required",
                "The office cannot continue from this laptop's position; pull everything again.",
            ) from exc
        await run_in_threadpool(
            self.store.seen, device.id, "pull", {"entries": len(entries)}, self.clock()
        )
        return JSONResponse(PullResponse(cursor, more, entries).to_wire())

    async def blob(self, request: Request) -> Response:
        device = await self.authenticate(request)
        sha = request.path_params["sha256"]
        found = None
        if SHA256_HEX.fullmatch(sha):
            found = await run_in_threadpool(self.store.blob, sha)
        # Forms and catalogues are for every device; an attachment only for its sender.
        if found is None or (found[0] == "attachment" and found[1] != device.id):
            raise Refused(404, "not_found", "There is no such file.")
        return Response(found[2], media_type="application/octet-stream")

    async def put_blob(self, request: Request) -> Response:
        """A small file in one request (an addition to protocol version 1): its bytes under
        their SHA-256."""
        device = await self.authenticate(request)
        sha = request.path_params["sha256"]
        if not SHA256_HEX.fullmatch(sha):
            raise Refused(400, "malformed", "The sha256 must be 64 lower-case hex digits.")
        data = bytearray()
        async for part in request.stream():
            data += part
            if len(data) > MAX_WHOLE_FILE_BYTES:
                raise Refused(
                    413, "too_large", "The file is too large for one request; upload it in chunks."
                )
        if not data:
            raise Refused(400, "malformed", "The file is empty.")
        if hashlib.sha256(data).hexdigest() != sha:
            raise Refused(
                422, "hash_mismatch", "The file does not match its SHA-256; send it again."
            )
        await run_in_threadpool(
            self.store.put_blob, bytes(data), "attachment", self.clock(), device.id
        )
        return JSONResponse(FileStored(sha, len(data)).to_wire())

    async def post_blobs(self, request: Request) -> Response:
        """Several small files in one request (an addition to protocol version 1): stored in
        one transaction, answered with their hashes in order."""
        device = await self.authenticate(request)
        body = bytearray()
        async for part in request.stream():
            body += part
            if len(body) > MAX_BODY:
                raise Refused(413, "too_large", "The request is larger than the server accepts.")
        try:
            files = unbundle(bytes(body))
        except ProtocolError as exc:
            raise Refused(400 if exc.code != "too_large" else 413, exc.code, exc.message) from exc
        await run_in_threadpool(self.store.put_blobs, files, "attachment", self.clock(), device.id)
        stored = tuple(FileStored(hashlib.sha256(f).hexdigest(), len(f)) for f in files)
        return JSONResponse(FilesStored(stored).to_wire())

    async def start_upload(self, request: Request) -> Response:
        device = await self.authenticate(request)
        body = await read_json(request)
        try:
            sha = body.get("sha256")
            if set(body) != {"v", "sha256", "size"} or body.get("v") != 1:
                raise ProtocolError("malformed", "An upload needs exactly v, sha256 and size.")
            if not isinstance(sha, str) or not SHA256_HEX.fullmatch(sha):
                raise ProtocolError("malformed", "The sha256 must be 64 lower-case hex digits.")
            size = get_int(body, "size", "upload", minimum=1)
        except ProtocolError as exc:
            raise Refused(400, exc.code, exc.message) from exc
        state = await self._upload(self.store.start_upload, device.id, sha, size, self.clock())
        return JSONResponse(state.to_wire())

    async def put_chunk(self, request: Request) -> Response:
        device = await self.authenticate(request)
        upload_id, index = self._upload_path(request)
        data = bytearray()
        async for part in request.stream():
            data += part
            if len(data) > MAX_BODY:
                raise Refused(413, "too_large", "The chunk is larger than the server accepts.")
        declared = request.headers.get("x-content-sha256", "")
        if hashlib.sha256(data).hexdigest() != declared:
            raise Refused(
                400, "chunk_damaged", "The chunk does not match its SHA-256; send it again."
            )
        complete = await self._upload(
            self.store.put_chunk, device.id, upload_id, index, bytes(data), self.clock()
        )
        return JSONResponse({"v": 1, "received": index, "complete": complete})

    async def complete_upload(self, request: Request) -> Response:
        device = await self.authenticate(request)
        upload_id = request.path_params["upload_id"]
        self._check_uuid(upload_id)
        state = await self._upload(self.store.complete_upload, device.id, upload_id, self.clock())
        return JSONResponse(state.to_wire())

    def _upload_path(self, request: Request) -> tuple[str, int]:
        upload_id = request.path_params["upload_id"]
        self._check_uuid(upload_id)
        index = request.path_params["index"]
        if not index.isdigit() or len(index) > 6:
            raise Refused(400, "malformed", "The chunk number must be a whole number.")
        return upload_id, int(index)

    @staticmethod
    def _check_uuid(value: str) -> None:
        try:
            get_uuid({"id": value}, "id", "upload")
        except ProtocolError as exc:
            raise Refused(
                404, "unknown_upload", "This upload is not known; start it again."
            ) from exc

    async def _upload(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args)
        except UploadRefused as exc:
            raise Refused(exc.status, exc.code, exc.message) from exc

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
        await run_in_threadpool(self.store.seen, device.id, "push", counts, self.clock())
        return JSONResponse(PushResponse(results).to_wire())

    def _apply_all(self, device: Device, items: list[Any]) -> list[ChangeResult]:
        """Check every change (outside any lock: signatures cost CPU), then store the good
        ones in one transaction; answers keep the order the changes were sent in."""
        results: dict[int, ChangeResult] = {}
        verified: list[tuple[int, Change]] = []
        for index, item in enumerate(items):
            checked = self._check(index, device, item)
            if isinstance(checked, ChangeResult):
                results[index] = checked
            else:
                verified.append((index, checked))
        if verified:
            try:
                recorded = self.store.record_changes(verified, self.clock())
            except Exception:
                # The database failed as a whole: every change is answered, none is lost.
                log.exception("storing a push of %d change(s) failed", len(verified))
                recorded = [ChangeResult.server_error(index, c.id) for index, c in verified]
            for result in recorded:
                results[result.index] = result
        return [results[index] for index in range(len(items))]

    def _check(self, index: int, device: Device, item: Any) -> Change | ChangeResult:
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
            return ChangeResult(
                index, _best_effort_id(item), "rejected", reason=exc.code, message=exc.message
            )
        return change


def _check_seal_key(pem: str) -> None:
    try:
        key = load_pem_public_key(pem.encode())
    except Exception as exc:  # ValueError, TypeError, UnsupportedAlgorithm: all "not a key"
        raise ProtocolError("bad_seal_key", "The seal key is not a PEM public key.") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ProtocolError("bad_seal_key", "The seal key must be an EC P-256 public key.")


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
) -> Starlette:
    from kitchentable.office.admin import create_admin_app

    clock = clock or (lambda: datetime.now(UTC))
    api = OfficeApi(store, office, clock, identity or ServerIdentity())

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
            Route("/api/v1/openapi.json", openapi_endpoint, methods=["GET"]),
            Route("/api/v1/pull", api.pull, methods=["GET"]),
            Route("/api/v1/blobs/{sha256}", api.blob, methods=["GET"]),
            Route("/api/v1/blobs/{sha256}", api.put_blob, methods=["PUT"]),
            Route("/api/v1/blobs", api.post_blobs, methods=["POST"]),
            Route("/api/v1/uploads", api.start_upload, methods=["POST"]),
            Route("/api/v1/uploads/{upload_id}/chunks/{index}", api.put_chunk, methods=["PUT"]),
            Route("/api/v1/uploads/{upload_id}/complete", api.complete_upload, methods=["POST"]),
            Mount("/admin", app=create_admin_app(store, clock)),
        ],
        exception_handlers={Refused: refused, HTTPException: http_error},
    )
