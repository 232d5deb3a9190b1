"""Files to the office: a sealed plan PDF, and whatever a change names as its attachment.

Owns getting the bytes of files to the office under their SHA-256: small ones bundled, many
in one request that the office stores in one transaction; to an office without bundles (it
answers 405; learnt once per sync) each in one request of its own; a large one — or any, to
an office without that either — in resumable chunks, each with its hash, the ones the office
already holds skipped; UPLOADS_AT_ONCE requests in flight over the sync's connections.
Never decides what to send, never touches the database, never imports Qt.
"""

from __future__ import annotations

import asyncio
import hashlib

from kitchentable.sync.errors import ServerAnswerUnreadable
from kitchentable.sync.protocol import (
    MAX_FILES_PER_BUNDLE,
    MAX_WHOLE_FILE_BYTES,
    FilesStored,
    FileStored,
    UploadState,
    bundle,
)
from kitchentable.sync.transport import Transport, read_json
from kitchentable.sync.wire import ProtocolError

UPLOADS_AT_ONCE = 4  # requests with files in flight at a time
BUNDLE_BYTES = 2 * 1024 * 1024  # small files per request (the office takes up to 16 MiB)


File = tuple[str, bytes]  # a file's SHA-256 (hex, as the change names it) and its bytes


async def upload(net: Transport, file: File) -> None:
    """One file to the office: a small one in one request; a large one (or to an office
    that does not take it whole) in resumable chunks."""
    sha, blob = file
    if net.whole_files and len(blob) <= MAX_WHOLE_FILE_BYTES:
        answer = await net.request(
            "PUT",
            f"/api/v1/blobs/{sha}",
            content=blob,
            headers={"Content-Type": "application/octet-stream"},
            passed=(404, 405),
        )
        if answer.status_code not in (404, 405):
            try:
                stored = FileStored.from_wire(read_json(answer))
            except ProtocolError as exc:
                raise ServerAnswerUnreadable(reason=exc.message) from exc
            if stored.sha256 != sha:
                raise ServerAnswerUnreadable(reason="the office stored another file")
            return
        net.whole_files = False  # an office without the one-request upload: chunks from now on
    await upload_in_chunks(net, blob, sha)


async def upload_in_chunks(net: Transport, blob: bytes, sha: str) -> None:
    """Resumable: chunks the server already holds are skipped."""
    body = await net.json(
        "POST", "/api/v1/uploads", json={"v": 1, "sha256": sha, "size": len(blob)}
    )
    try:
        state = UploadState.from_wire(body)
    except ProtocolError as exc:
        raise ServerAnswerUnreadable(reason=exc.message) from exc
    if state.complete:
        return
    count = -(-len(blob) // state.chunk_size)
    complete = False
    for index in range(count):
        if index in state.received:
            continue  # resumed: the server has this chunk from an earlier attempt
        chunk = blob[index * state.chunk_size : (index + 1) * state.chunk_size]
        answer = await net.json(
            "PUT",
            f"/api/v1/uploads/{state.upload_id}/chunks/{index}",
            content=chunk,
            headers={
                "Content-Type": "application/octet-stream",
                "X-Content-SHA256": hashlib.sha256(chunk).hexdigest(),
            },
        )
        # The last chunk completes the file; an older server needs the extra call.
        complete = answer.get("complete") is True
    if not complete:
        await net.request("POST", f"/api/v1/uploads/{state.upload_id}/complete")


def bundle_of(files: list[File]) -> int:
    """How many of these files, from the first, fill a bundle (at most BUNDLE_BYTES and
    MAX_FILES_PER_BUNDLE); all of them when they do not fill one."""
    size = 0
    for count, (_, data) in enumerate(files):
        size += len(data)
        if size > BUNDLE_BYTES or count == MAX_FILES_PER_BUNDLE:
            return count
    return len(files)


async def upload_all(
    net: Transport, blobs: list[File], limit: asyncio.Semaphore | None = None
) -> None:
    """Several files at once: small ones bundled (BUNDLE_BYTES a request, one commit at the
    office), the bundles and any large file UPLOADS_AT_ONCE at a time (or as `limit` allows,
    shared by calls side by side). The first failure stops the others."""
    if not blobs:
        return
    limit = limit or asyncio.Semaphore(UPLOADS_AT_ONCE)
    small = [f for f in blobs if len(f[1]) <= MAX_WHOLE_FILE_BYTES]
    bundles: list[list[File]] = []
    while small:
        count = max(1, bundle_of(small))
        bundles.append(small[:count])
        small = small[count:]

    async def one(job: list[File] | File) -> None:
        async with limit:
            if isinstance(job, tuple):
                await upload(net, job)
            else:
                await upload_bundle(net, job)

    jobs: list[list[File] | File] = [
        *bundles,
        *(f for f in blobs if len(f[1]) > MAX_WHOLE_FILE_BYTES),
    ]
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(one(job))
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def upload_bundle(net: Transport, files: list[File]) -> None:
    """Small files in one request; to an office without bundles (405), one by one."""
    if net.bundles:
        answer = await net.request(
            "POST",
            "/api/v1/blobs",
            content=bundle([data for _, data in files]),
            headers={"Content-Type": "application/octet-stream"},
            passed=(404, 405),
        )
        if answer.status_code not in (404, 405):
            try:
                stored = FilesStored.from_wire(read_json(answer)).files
            except ProtocolError as exc:
                raise ServerAnswerUnreadable(reason=exc.message) from exc
            if [s.sha256 for s in stored] != [sha for sha, _ in files]:
                raise ServerAnswerUnreadable(reason="the office stored other files")
            return
        net.bundles = False  # an office without bundles: one file a request from now on
    for file in files:
        await upload(net, file)
