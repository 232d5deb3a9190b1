"""Files through the API: downloading a form or catalogue (or one's own attachment),
uploading an attachment whole (one file, or a bundle of small ones, in one request) or in
checked, resumable chunks, and asking the office for a
time-stamp (RFC 3161, `tsa`) over a hash.

Owns the upload endpoints' checks that need no database (the path's upload id and chunk
number, each chunk's SHA-256 as declared) and handing the rest to the store. A device sees
forms and catalogues and only its own attachments. Never opens a sealed attachment.
"""

from __future__ import annotations

import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kitchentable.office.api_base import Clock, Requests
from kitchentable.office.errors import OfficeError
from kitchentable.office.store import Store
from kitchentable.office.tsa import MAX_REQUEST, TimeStampAuthority
from kitchentable.sync.protocol import (
    CHUNK_BYTES,
    MAX_WHOLE_FILE_BYTES,
    SHA256_HEX,
    FilesStored,
    FileStored,
    unbundle,
)
from kitchentable.sync.wire import ProtocolError, get_int, get_uuid


class FilesApi:
    def __init__(
        self, requests: Requests, store: Store, clock: Clock, tsa: TimeStampAuthority | None
    ) -> None:
        self.requests = requests
        self.store = store
        self.clock = clock
        self.tsa = tsa
        self.authenticate = requests.authenticate

    async def timestamp(self, request: Request) -> Response:
        """RFC 3161 over HTTP: a DER request in, a DER answer out (enrolled devices only)."""
        await self.authenticate(request)
        if self.tsa is None:
            raise OfficeError("no_timestamps", "This office does not time-stamp.", 404)
        async with self.requests.body(request, MAX_REQUEST) as data:
            answer = await self.tsa.respond(data)
        return Response(answer, media_type="application/timestamp-reply")

    async def blob(self, request: Request) -> Response:
        device = await self.authenticate(request)
        sha = request.path_params["sha256"]
        found = None
        if SHA256_HEX.fullmatch(sha):
            found = await run_in_threadpool(self.store.blob, sha)
        # Forms and catalogues are for every device; an attachment only for its sender.
        if found is None or (found[0] == "attachment" and found[1] != device.id):
            raise OfficeError("not_found", "There is no such file.", 404)
        return Response(found[2], media_type="application/octet-stream")

    async def put_blob(self, request: Request) -> Response:
        """A small file in one request (an addition to protocol version 1): its bytes under
        their SHA-256."""
        device = await self.authenticate(request)
        sha = request.path_params["sha256"]
        if not SHA256_HEX.fullmatch(sha):
            raise OfficeError("malformed", "The sha256 must be 64 lower-case hex digits.", 400)
        async with self.requests.body(request, MAX_WHOLE_FILE_BYTES) as data:
            if not data:
                raise OfficeError("malformed", "The file is empty.", 400)
            if hashlib.sha256(data).hexdigest() != sha:
                raise OfficeError(
                    "hash_mismatch", "The file does not match its SHA-256; send it again.", 422
                )
            await run_in_threadpool(
                self.store.put_blob, data, "attachment", self.clock(), device.id
            )
            size = len(data)
        return JSONResponse(FileStored(sha, size).to_wire())

    async def post_blobs(self, request: Request) -> Response:
        """Several small files in one request (an addition to protocol version 1): stored in
        one transaction, answered with their hashes in order."""
        device = await self.authenticate(request)
        async with self.requests.body(request) as body:
            try:
                files = unbundle(body)
            except ProtocolError as exc:
                status = 413 if exc.code == "too_large" else 400
                raise OfficeError(exc.code, exc.message, status) from exc
            await run_in_threadpool(
                self.store.put_blobs, files, "attachment", self.clock(), device.id
            )
            stored = tuple(FileStored(hashlib.sha256(f).hexdigest(), len(f)) for f in files)
        return JSONResponse(FilesStored(stored).to_wire())

    async def start_upload(self, request: Request) -> Response:
        device = await self.authenticate(request)
        body = await self.requests.json(request)
        try:
            sha = body.get("sha256")
            if set(body) != {"v", "sha256", "size"} or body.get("v") != 1:
                raise ProtocolError("malformed", "An upload needs exactly v, sha256 and size.")
            if not isinstance(sha, str) or not SHA256_HEX.fullmatch(sha):
                raise ProtocolError("malformed", "The sha256 must be 64 lower-case hex digits.")
            size = get_int(body, "size", "upload", minimum=1)
        except ProtocolError as exc:
            raise OfficeError(exc.code, exc.message, 400) from exc
        state = await run_in_threadpool(self.store.start_upload, device.id, sha, size, self.clock())
        return JSONResponse(state.to_wire())

    async def put_chunk(self, request: Request) -> Response:
        device = await self.authenticate(request)
        upload_id, index = self._upload_path(request)
        async with self.requests.body(request, CHUNK_BYTES) as data:
            declared = request.headers.get("x-content-sha256", "")
            if hashlib.sha256(data).hexdigest() != declared:
                raise OfficeError(
                    "chunk_damaged", "The chunk does not match its SHA-256; send it again.", 400
                )
            complete = await run_in_threadpool(
                self.store.put_chunk, device.id, upload_id, index, data, self.clock()
            )
        return JSONResponse({"v": 1, "received": index, "complete": complete})

    async def complete_upload(self, request: Request) -> Response:
        device = await self.authenticate(request)
        upload_id = request.path_params["upload_id"]
        self._check_uuid(upload_id)
        state = await run_in_threadpool(
            self.store.complete_upload, device.id, upload_id, self.clock()
        )
        return JSONResponse(state.to_wire())

    def _upload_path(self, request: Request) -> tuple[str, int]:
        upload_id = request.path_params["upload_id"]
        self._check_uuid(upload_id)
        index = request.path_params["index"]
        if not index.isdigit() or len(index) > 6:
            raise OfficeError("malformed", "The chunk number must be a whole number.", 400)
        return upload_id, int(index)

    @staticmethod
    def _check_uuid(value: str) -> None:
        try:
            get_uuid({"id": value}, "id", "upload")
        except ProtocolError as exc:
            raise OfficeError(
                "unknown_upload", "This upload is not known; start it again.", 404
            ) from exc
