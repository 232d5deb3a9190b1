"""Files to the office: a sealed plan PDF goes in one request; an office from before that
gets it in chunks; the one-request upload refuses what does not add up."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from typing import Any

import httpx
import pytest
from synckit import OfficeServer

from kitchentable.services import Profile, sync
from kitchentable.sync.protocol import MAX_WHOLE_FILE_BYTES
from tests.core.helpers import case_document


class Recording(httpx.AsyncBaseTransport):
    """Counts requests by method and path shape; `old_office` answers a whole-file upload
    the way an office from before 0.2 does (Starlette's 405 for an unknown method)."""

    def __init__(self, old_office: bool = False) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.old_office = old_office
        self.seen: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        shape = "/".join(p if len(p) < 32 else "{id}" for p in parts)
        self.seen[f"{request.method} {shape}"] += 1
        if self.old_office and request.method == "PUT" and "/blobs/" in request.url.path:
            body = b'{"error": "method_not_allowed", "message": "Method Not Allowed."}'
            return httpx.Response(405, content=body)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


def signed_plans(laptop: Profile, count: int) -> None:
    from tests.core.test_plan import answer_all, sign_both

    laptop.update_settings(consultant="Anja de Consulent")
    for i in range(count):
        ref = f"M-2026-07{i:02d}"
        laptop.import_cases(case_document(ref, form="test-plan"))
        answer_all(laptop, ref)
        sign_both(laptop, ref)


def test_a_sealed_plan_goes_in_one_request(office: OfficeServer, laptop_factory: Any) -> None:
    laptop = laptop_factory()
    signed_plans(laptop, 2)
    line = Recording()
    report = sync.synchronise(laptop, inner=line)
    assert report.accepted == 4 and not report.problems, report
    assert line.seen["PUT /api/v1/blobs/{id}"] == 2
    assert not [k for k in line.seen if "/uploads" in k], line.seen
    assert len([c for c in office.store.changes() if c["entity"] == "plan"]) == 2
    # Decided by the office: the laptop no longer keeps a second copy of each sealed PDF.
    assert laptop.db.execute("SELECT count(*) FROM outbox_wire").fetchone()[0] == 0


def test_an_office_from_before_whole_files_gets_chunks(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    signed_plans(laptop, 3)
    line = Recording(old_office=True)
    report = sync.synchronise(laptop, inner=line)
    assert report.accepted == 6 and not report.problems, report
    # Asked once (or once per file already in flight), then chunks for every file.
    assert 1 <= line.seen["PUT /api/v1/blobs/{id}"] <= 3
    assert line.seen["POST /api/v1/uploads"] == 3
    assert line.seen["PUT /api/v1/uploads/{id}/chunks/0"] == 3


@pytest.fixture
def device(office: OfficeServer, laptop_factory: Any) -> httpx.Client:
    enrolment = sync.enrolment_of(laptop_factory())
    assert enrolment is not None
    client = httpx.Client(
        base_url=office.url, headers={"Authorization": f"Bearer {enrolment.token}"}
    )
    yield client
    client.close()


def test_the_one_request_upload_refuses_what_does_not_add_up(
    office: OfficeServer, device: httpx.Client
) -> None:
    data = os.urandom(5000)
    sha = hashlib.sha256(data).hexdigest()
    wrong = device.put(f"/api/v1/blobs/{sha}", content=data[:-1])
    assert wrong.status_code == 422 and wrong.json()["error"] == "hash_mismatch"
    assert office.store.blob(sha) is None
    assert device.put(f"/api/v1/blobs/{sha.upper()}", content=data).status_code == 400
    assert device.put(f"/api/v1/blobs/{hashlib.sha256(b'').hexdigest()}").status_code == 400
    big = b"x" * (MAX_WHOLE_FILE_BYTES + 1)
    too_large = device.put(f"/api/v1/blobs/{hashlib.sha256(big).hexdigest()}", content=big)
    assert too_large.status_code == 413
    anonymous = httpx.put(f"{office.url}/api/v1/blobs/{sha}", content=data)
    assert anonymous.status_code == 401
    stored = device.put(f"/api/v1/blobs/{sha}", content=data)
    assert stored.status_code == 200
    assert stored.json() == {"v": 1, "sha256": sha, "size": 5000, "complete": True}
    assert office.store.blob(sha) is not None
    # The same file again is the same answer (a retry after a lost answer).
    assert device.put(f"/api/v1/blobs/{sha}", content=data).json() == stored.json()


def test_an_uploaded_file_is_only_its_senders(
    office: OfficeServer, laptop_factory: Any, device: httpx.Client
) -> None:
    data = os.urandom(3000)
    sha = hashlib.sha256(data).hexdigest()
    assert device.put(f"/api/v1/blobs/{sha}", content=data).status_code == 200
    assert device.get(f"/api/v1/blobs/{sha}").content == data
    other = sync.enrolment_of(laptop_factory("bert"))
    assert other is not None
    headers = {"Authorization": f"Bearer {other.token}"}
    assert httpx.get(f"{office.url}/api/v1/blobs/{sha}", headers=headers).status_code == 404
