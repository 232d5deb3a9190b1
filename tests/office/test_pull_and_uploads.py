"""Pull and chunked uploads through the API: per-device feeds, cursors, resumable files."""

from __future__ import annotations

import hashlib
import json
import uuid

from officekit import OFFICE_PASSPHRASE, Office

from kitchentable.office import keys, publish
from kitchentable.sync.protocol import CHUNK_BYTES, PullResponse, UploadState


def pull(office: Office, laptop, cursor: int = 0, **params: str) -> PullResponse:  # type: ignore[no-untyped-def]
    answer = office.client.get(
        "/api/v1/pull", params={"cursor": str(cursor), **params}, headers=laptop.auth
    )
    assert answer.status_code == 200, answer.text
    return PullResponse.from_wire(answer.json())


def case(ref: str, consultant: str) -> dict[str, object]:
    return {
        "consultant": consultant,
        "external_id": ref,
        "melding_date": "2026-11-02",
        "person": {"name": f"Inwoner {ref}"},
    }


def test_each_device_pulls_only_its_consultants_assignments(office: Office) -> None:
    anna, bert = office.enrol("anna"), office.enrol("bert")
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    publish.assign(
        office.store,
        office.data,
        keys.load_public(office.data),
        private,
        [case("M-1", "anna"), case("M-2", "bert"), case("M-3", "anna")],
        office.clock(),
    )
    mine = pull(office, anna)
    assert [e.item.kind for e in mine.entries if e.item] == ["assignment", "assignment"]
    opened = [
        json.loads(e.item.open(anna.enrolment.device_id, anna.keys.box_private))
        for e in mine.entries
        if e.item
    ]
    assert [o["case"]["external_id"] for o in opened] == ["M-1", "M-3"]
    assert len(pull(office, bert).entries) == 1
    # Nothing new after the cursor; the cursor never goes back.
    again = pull(office, anna, mine.cursor)
    assert again.entries == [] and again.cursor >= mine.cursor


def test_a_cursor_the_server_cannot_continue_from_asks_for_a_resync(office: Office) -> None:
    laptop = office.enrol()
    ahead = office.client.get("/api/v1/pull?cursor=999999", headers=laptop.auth)
    assert (ahead.status_code, ahead.json()["error"]) == (409, "resync_required")
    with office.store.backend.transaction() as cur:
        cur.execute("UPDATE counters SET value = 50 WHERE name = 'server_version'")
        cur.execute("UPDATE counters SET value = 40 WHERE name = 'feed_horizon'")
    old = office.client.get("/api/v1/pull?cursor=3", headers=laptop.auth)
    assert old.status_code == 409
    assert pull(office, laptop, 0, resync="1").cursor == 50
    for bad in ("-1", "abc", "1e9", "9" * 40):
        answer = office.client.get(f"/api/v1/pull?cursor={bad}", headers=laptop.auth)
        assert answer.status_code == 400, bad


def upload(office: Office, laptop, data: bytes) -> UploadState:  # type: ignore[no-untyped-def]
    answer = office.client.post(
        "/api/v1/uploads",
        json={"v": 1, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
        headers=laptop.auth,
    )
    assert answer.status_code == 200, answer.text
    return UploadState.from_wire(answer.json())


def put(office: Office, laptop, state: UploadState, index: int, chunk: bytes, digest: str = ""):  # type: ignore[no-untyped-def]
    return office.client.put(
        f"/api/v1/uploads/{state.upload_id}/chunks/{index}",
        content=chunk,
        headers={**laptop.auth, "X-Content-SHA256": digest or hashlib.sha256(chunk).hexdigest()},
    )


def test_an_interrupted_upload_resumes_where_it_stopped(office: Office) -> None:
    laptop = office.enrol()
    data = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 10)  # three chunks, the last short
    chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
    state = upload(office, laptop, data)
    assert state.received == () and not state.complete
    assert put(office, laptop, state, 0, chunks[0]).status_code == 200
    assert put(office, laptop, state, 0, chunks[0]).status_code == 200  # sent twice: fine
    # The connection dropped; starting again says what the server already has.
    resumed = upload(office, laptop, data)
    assert resumed.upload_id == state.upload_id and resumed.received == (0,)
    early = office.client.post(f"/api/v1/uploads/{state.upload_id}/complete", headers=laptop.auth)
    assert (early.status_code, early.json()["error"]) == (400, "chunks_missing")
    for index in (1, 2):
        assert put(office, laptop, resumed, index, chunks[index]).status_code == 200
    done = office.client.post(f"/api/v1/uploads/{state.upload_id}/complete", headers=laptop.auth)
    assert UploadState.from_wire(done.json()).complete
    sha = hashlib.sha256(data).hexdigest()
    assert upload(office, laptop, data).complete  # already here: nothing to send
    fetched = office.client.get(f"/api/v1/blobs/{sha}", headers=laptop.auth)
    assert fetched.content == data
    # Another device cannot read this laptop's attachment.
    other = office.enrol("bert")
    assert office.client.get(f"/api/v1/blobs/{sha}", headers=other.auth).status_code == 404


def test_damaged_chunks_and_wrong_uploads_are_refused_plainly(office: Office) -> None:
    laptop = office.enrol()
    data = b"x" * 1000
    state = upload(office, laptop, data)
    damaged = put(office, laptop, state, 0, data, digest="0" * 64)
    assert (damaged.status_code, damaged.json()["error"]) == (400, "chunk_damaged")
    short = put(office, laptop, state, 0, data[:10])
    assert (short.status_code, short.json()["error"]) == (400, "bad_chunk")
    beyond = put(office, laptop, state, 5, data)
    assert beyond.status_code == 400
    other = office.enrol("bert")
    foreign = put(office, other, state, 0, data)
    assert (foreign.status_code, foreign.json()["error"]) == (404, "unknown_upload")
    unknown = office.client.post(f"/api/v1/uploads/{uuid.uuid4()}/complete", headers=laptop.auth)
    assert unknown.status_code == 404
    lying = b"y" * 1000  # announced as `data`'s hash, but other bytes
    state2 = upload(office, laptop, data)
    mismatch = put(office, laptop, state2, 0, lying)  # the last chunk checks the whole file
    assert (mismatch.status_code, mismatch.json()["error"]) == (422, "hash_mismatch")
    # The bad chunks are gone for good: the device starts the file again and it works.
    again = upload(office, laptop, data)
    assert again.received == ()
    finished = put(office, laptop, again, 0, data)
    assert finished.status_code == 200 and finished.json()["complete"] is True
    huge = office.client.post(
        "/api/v1/uploads", json={"v": 1, "sha256": "0" * 64, "size": 2**40}, headers=laptop.auth
    )
    assert huge.status_code == 413


def test_a_record_naming_an_attachment_that_has_not_arrived_is_held_back(office: Office) -> None:
    laptop = office.enrol()
    missing = hashlib.sha256(b"never sent").hexdigest()
    change = laptop.change("plan-1", b"{}", attachments=(missing,))
    (result,) = office.push(laptop, [change])
    assert (result["status"], result["reason"]) == ("rejected", "attachment_missing")
    data = b"the sealed pdf"
    state = upload(office, laptop, data)
    put(office, laptop, state, 0, data)
    office.client.post(f"/api/v1/uploads/{state.upload_id}/complete", headers=laptop.auth)
    sha = hashlib.sha256(data).hexdigest()
    (ok,) = office.push(laptop, [laptop.change("plan-1", b"{}", attachments=(sha,))])
    assert ok["status"] == "accepted"
    assert office.store.attachments_of(ok["id"]) == [sha]
