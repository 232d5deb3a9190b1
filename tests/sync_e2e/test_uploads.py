"""Files to the office: sealed plan PDFs go several in one request; an office without that
gets each whole, one without either gets chunks; what does not add up is refused."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from typing import Any

import httpx
import pytest
from synckit import OfficeServer

from kitchentable.services import Profile, sync
from kitchentable.storage.sealed_rows import document_parent
from kitchentable.sync.protocol import MAX_FILES_PER_BUNDLE, MAX_WHOLE_FILE_BYTES, bundle, unbundle
from tests.core.helpers import case_document

NOT_ALLOWED = b'{"error": "method_not_allowed", "message": "Method Not Allowed."}'


class Recording(httpx.AsyncBaseTransport):
    """Counts requests by method and path shape; `without` names uploads an older office
    does not offer ("bundles": POST /api/v1/blobs, "whole": PUT /api/v1/blobs/{sha}), which
    it answers as Starlette does a method it has no route for: 405."""

    def __init__(self, without: frozenset[str] = frozenset()) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.without = without
        self.seen: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        shape = "/".join(p if len(p) < 32 else "{id}" for p in parts)
        self.seen[f"{request.method} {shape}"] += 1
        missing = {"POST /api/v1/blobs": "bundles", "PUT /api/v1/blobs/{id}": "whole"}
        if missing.get(f"{request.method} {shape}") in self.without:
            return httpx.Response(405, content=NOT_ALLOWED)
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


def test_sealed_plans_go_together_in_one_request(office: OfficeServer, laptop_factory: Any) -> None:
    laptop = laptop_factory()
    signed_plans(laptop, 2)
    line = Recording()
    report = sync.synchronise(laptop, inner=line)
    assert report.accepted == 4 and not report.problems, report
    assert line.seen["POST /api/v1/blobs"] == 1
    assert not [k for k in line.seen if "/uploads" in k or k.startswith("PUT")], line.seen
    assert len([c for c in office.store.changes() if c["entity"] == "plan"]) == 2
    # Decided by the office: the laptop no longer keeps a second copy of each sealed PDF.
    assert laptop.db.execute("SELECT count(*) FROM outbox_wire").fetchone()[0] == 0


def test_an_office_without_bundles_gets_each_file_whole(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    signed_plans(laptop, 3)
    line = Recording(without=frozenset({"bundles"}))
    report = sync.synchronise(laptop, inner=line)
    assert report.accepted == 6 and not report.problems, report
    assert line.seen["POST /api/v1/blobs"] == 1  # asked once, then one file a request
    assert line.seen["PUT /api/v1/blobs/{id}"] == 3
    assert not [k for k in line.seen if "/uploads" in k], line.seen


def test_an_office_without_either_gets_chunks(office: OfficeServer, laptop_factory: Any) -> None:
    laptop = laptop_factory()
    signed_plans(laptop, 3)
    line = Recording(without=frozenset({"bundles", "whole"}))
    report = sync.synchronise(laptop, inner=line)
    assert report.accepted == 6 and not report.problems, report
    assert line.seen["POST /api/v1/blobs"] == 1 and line.seen["PUT /api/v1/blobs/{id}"] == 1
    assert line.seen["POST /api/v1/uploads"] == 3
    assert line.seen["PUT /api/v1/uploads/{id}/chunks/0"] == 3


class LosesThePlansAnswer(Recording):
    """Keeps the files of every bundle; the first push that carries plans reaches the office
    and its answer is lost on the way back."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[bytes] = []
        self.cut = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        if request.url.path == "/api/v1/blobs":
            self.files += unbundle(body)
        response = await super().handle_async_request(request)
        if request.url.path == "/api/v1/push" and b'"entity":"plan"' in body and not self.cut:
            self.cut = True
            raise httpx.RemoteProtocolError("the answer broke off")
        return response


def _answer_lost(
    laptop_factory: Any, plans: int
) -> tuple[Profile, LosesThePlansAnswer, set[bytes]]:
    """A laptop with signed plans whose first sync loses the office's answer to the plans;
    the sealed files that went."""
    laptop = laptop_factory()
    signed_plans(laptop, plans)
    line = LosesThePlansAnswer()
    with pytest.raises(sync.Offline):
        sync.synchronise(laptop, inner=line)
    return laptop, line, set(line.files)


def test_a_plan_sent_again_is_the_same_bytes_without_a_second_copy_of_its_pdf(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop, line, first = _answer_lost(laptop_factory, 2)
    assert len(first) == 2
    # Kept until the office answers: each plan change, and only the seed of its sealed PDF.
    kept = [row[0] for row in laptop.db.execute("SELECT data FROM outbox_wire")]
    assert kept and max(len(k) for k in kept) < 8000 < min(len(f) for f in first)
    line.files.clear()
    report = sync.synchronise(laptop, inner=line)
    assert report.duplicates >= 2 and not report.problems and not report.quarantined, report
    assert set(line.files) == first  # sealed again: byte for byte what went the first time
    stored = Counter((c["entity"], c["entity_id"]) for c in office.store.changes())
    assert sorted(stored.values()) == [1, 1, 1, 1]  # two cases, two plans, each once
    assert laptop.db.execute("SELECT count(*) FROM outbox_wire").fetchone()[0] == 0


def test_a_kept_plan_whose_pdf_changed_is_held_back_never_sealed_again_differently(
    office: OfficeServer, laptop_factory: Any
) -> None:
    laptop, line, first = _answer_lost(laptop_factory, 1)
    # Someone with the vault's key puts another PDF under the same document.
    (doc_id, case_id, kind) = laptop.db.execute(
        "SELECT id, case_id, kind FROM documents"
    ).fetchone()
    other = laptop.keys.seal_bytes(
        "documents", doc_id, 1, b"%PDF other", document_parent(case_id, kind)
    )
    laptop.db.execute("UPDATE documents SET data = ? WHERE id = ?", [other, doc_id])
    line.files.clear()
    report = sync.synchronise(laptop, inner=line)
    assert report.quarantined == 1 and line.files == [], report
    (reason,) = laptop.db.execute("SELECT reason FROM outbox WHERE entity = 'plan'").fetchone()
    assert "not the one it names" in reason
    assert first  # what went the first time is all the office ever got
    assert {hashlib.sha256(f).hexdigest() for f in first} >= {
        sha for c in office.store.changes() for sha in office.store.attachments_of(c["id"])
    }


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


def test_a_bundle_is_stored_whole_or_refused_whole(
    office: OfficeServer, device: httpx.Client
) -> None:
    files = [os.urandom(n) for n in (1000, 20_000, 7)]
    shas = [hashlib.sha256(f).hexdigest() for f in files]
    stored = device.post("/api/v1/blobs", content=bundle(files))
    assert stored.status_code == 200, stored.text
    assert stored.json() == {
        "v": 1,
        "stored": [{"sha256": h, "size": len(f)} for h, f in zip(shas, files, strict=True)],
    }
    assert all(office.store.blob(h) is not None for h in shas)
    cut = bundle([os.urandom(500)])[:-1]  # the last byte never arrived
    assert device.post("/api/v1/blobs", content=cut).status_code == 400
    assert device.post("/api/v1/blobs", content=b"").status_code == 400
    empty_file = (0).to_bytes(8, "big")
    assert device.post("/api/v1/blobs", content=empty_file).status_code == 400
    many = bundle([b"x"] * (MAX_FILES_PER_BUNDLE + 1))
    assert device.post("/api/v1/blobs", content=many).status_code == 413
    assert httpx.post(f"{office.url}/api/v1/blobs", content=bundle(files)).status_code == 401
