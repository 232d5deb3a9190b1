"""The office API end to end through Starlette's TestClient: enrolment, push, refusals."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from officekit import OFFICE_PASSPHRASE, Office, uid
from starlette.testclient import TestClient

from kitchentable.office import keys
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.sync.protocol import (
    TAG_ENROL,
    Change,
    DeviceKeys,
    EnrolRequest,
    EnrolResponse,
    PushResponse,
    code_id,
    code_key,
    sign,
)

UPLOAD = "/api/v1/uploads/6c1b0d4e-8f3a-4c2b-9a7d-0e5f1a2b3c4d"
ENDPOINTS = [
    ("POST", "/api/v1/push"),
    ("GET", "/api/v1/status"),
    ("GET", "/api/v1/pull?cursor=0"),
    ("GET", "/api/v1/blobs/" + "0" * 64),
    ("POST", "/api/v1/uploads"),
    ("PUT", UPLOAD + "/chunks/0"),
    ("POST", UPLOAD + "/complete"),
]


def call(office: Office, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    body = {"v": 1, "device_id": "00000000-0000-4000-8000-000000000000", "changes": []}
    answer = office.client.request(
        method, path, headers=headers, json=body if method in ("POST", "PUT") else None
    )
    return answer.status_code, answer.json()


# -- enrolment --------------------------------------------------------------------------


def test_enrolment_gives_an_id_a_token_and_the_office_keys(office: Office) -> None:
    laptop = office.enrol("anna")
    public = keys.load_public(office.data)
    assert laptop.enrolment.consultant == "anna"
    assert laptop.enrolment.office_box_public == public.box_public
    assert laptop.enrolment.office_sign_public == public.sign_public
    status = office.client.get("/api/v1/status", headers=laptop.auth)
    assert status.status_code == 200
    assert status.json()["device_id"] == laptop.enrolment.device_id


def test_an_enrolment_code_works_once(office: Office) -> None:
    code = office.store.create_code("anna", office.clock())
    first = EnrolRequest.create(code, "laptop", DeviceKeys.generate()).to_wire()
    assert office.client.post("/api/v1/enrol", json=first).status_code == 200
    second = EnrolRequest.create(code, "other", DeviceKeys.generate()).to_wire()
    answer = office.client.post("/api/v1/enrol", json=second)
    assert answer.status_code == 403
    assert answer.json()["error"] == "code_used"
    assert "already been used" in answer.json()["message"]


def test_an_enrolment_code_expires_after_24_hours(office: Office) -> None:
    code = office.store.create_code("anna", office.clock())
    office.clock.advance(hours=24)
    answer = office.client.post(
        "/api/v1/enrol", json=EnrolRequest.create(code, "l", DeviceKeys.generate()).to_wire()
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == "code_expired"


def test_a_code_typed_in_lower_case_without_dashes_still_works(office: Office) -> None:
    code = office.store.create_code("anna", office.clock())
    typed = code.replace("-", "").lower()
    answer = office.client.post(
        "/api/v1/enrol", json=EnrolRequest.create(typed, "l", DeviceKeys.generate()).to_wire()
    )
    assert answer.status_code == 200


def test_an_unknown_code_and_a_forged_request_are_refused(office: Office) -> None:
    answer = office.client.post(
        "/api/v1/enrol", json=EnrolRequest.create("AAAA-BBBB", "l", DeviceKeys.generate()).to_wire()
    )
    assert (answer.status_code, answer.json()["error"]) == (403, "code_unknown")
    code = office.store.create_code("anna", office.clock())
    forged = EnrolRequest.create(code, "l", DeviceKeys.generate()).to_wire()
    forged["sign_public"] = EnrolRequest.create(code, "l", DeviceKeys.generate()).to_wire()[
        "sign_public"
    ]
    answer = office.client.post("/api/v1/enrol", json=forged)
    assert (answer.status_code, answer.json()["error"]) == (400, "bad_signature")
    # The refused request did not spend the code.
    good = EnrolRequest.create(code, "l", DeviceKeys.generate()).to_wire()
    assert office.client.post("/api/v1/enrol", json=good).status_code == 200


def test_an_enrolment_over_another_certificate_is_refused_and_keeps_the_code(
    office: Office,
) -> None:
    # The same office, as its serving process sees itself behind its TLS certificate.
    ours, theirs = "a" * 64, "b" * 64
    app = create_app(
        office.store,
        keys.load_public(office.data),
        clock=office.clock,
        identity=ServerIdentity(tls_fingerprint=ours),
    )
    client = TestClient(app)
    code = office.store.create_code("anna", office.clock())
    intercepted = EnrolRequest.create(code, "l", DeviceKeys.generate(), tls_fingerprint=theirs)
    answer = client.post("/api/v1/enrol", json=intercepted.to_wire())
    assert (answer.status_code, answer.json()["error"]) == (403, "certificate_mismatch")
    direct = EnrolRequest.create(code, "l", DeviceKeys.generate(), tls_fingerprint=ours)
    answer = client.post("/api/v1/enrol", json=direct.to_wire())
    assert answer.status_code == 200
    assert EnrolResponse.from_wire(answer.json()).proves(code_key(code), direct)


def test_a_request_made_without_the_code_is_refused(office: Office) -> None:
    code = office.store.create_code("anna", office.clock())
    device = DeviceKeys.generate()
    guessed = EnrolRequest.create("ZZZZ-ZZZZ-ZZZZ-ZZZZ", "l", device)
    forged = replace(guessed, code_id=code_id(code))  # the right id, a proof for another code
    forged = replace(forged, signature=sign(device.sign_private, TAG_ENROL, forged._body()))
    answer = office.client.post("/api/v1/enrol", json=forged.to_wire())
    assert (answer.status_code, answer.json()["error"]) == (403, "code_unknown")
    good = EnrolRequest.create(code, "l", DeviceKeys.generate())
    assert office.client.post("/api/v1/enrol", json=good.to_wire()).status_code == 200


# -- push -------------------------------------------------------------------------------


def test_a_push_is_accepted_with_increasing_server_versions(office: Office) -> None:
    laptop = office.enrol()
    results = office.push(laptop, [laptop.change("a-1", b"one"), laptop.change("a-2", b"two")])
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert results[0]["server_version"] < results[1]["server_version"]
    assert PushResponse.from_wire({"v": 1, "results": results}).results[1].index == 1


def test_a_change_pushed_twice_is_a_duplicate_and_stored_once(office: Office) -> None:
    laptop = office.enrol()
    change = laptop.change("a-1", b"one")
    first = office.push(laptop, [change])
    # The answer was lost; the laptop sends the same change again, twice in one batch too.
    again = office.push(laptop, [change, change])
    assert first[0]["status"] == "accepted"
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert again[0]["server_version"] == first[0]["server_version"]
    assert again[0]["first_status"] == "accepted"
    assert [c["id"] for c in office.store.changes()] == [change.id]


def test_a_reused_id_with_other_content_is_rejected(office: Office) -> None:
    laptop = office.enrol()
    change = laptop.change("a-1", b"one")
    office.push(laptop, [change])
    reuse = laptop.change("a-1", b"other", id=change.id)
    (result,) = office.push(laptop, [reuse])
    assert (result["status"], result["reason"]) == ("rejected", "id_reused")


def test_a_stale_base_version_is_a_conflict_and_both_versions_are_kept(office: Office) -> None:
    office.assign("case-1", "anna")  # her office laptop and her home laptop both work on it
    anna, bert = office.enrol("anna"), office.enrol("anna")
    (base,) = office.push(anna, [anna.change("plan-7", b"v1")])
    version = base["server_version"]
    (mine,) = office.push(anna, [anna.change("plan-7", b"anna's edit", base_version=version)])
    (theirs,) = office.push(bert, [bert.change("plan-7", b"bert's edit", base_version=version)])
    assert mine["status"] == "accepted"
    assert theirs["status"] == "conflict"
    assert theirs["current_version"] == mine["server_version"]
    stored = [c for c in office.store.changes() if c["entity_id"] == uid("plan-7")]
    assert [c["status"] for c in stored] == ["accepted", "accepted", "conflict"]
    assert stored[2]["conflict_with"] == stored[1]["id"]
    # Both versions can still be opened at the office.
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    opened = [Change.from_wire(json.loads(c["envelope"])).open(private.box_private) for c in stored]
    assert opened[1:] == [b"anna's edit", b"bert's edit"]


def test_the_wall_clock_does_not_decide_a_conflict(office: Office) -> None:
    office.assign("case-1", "anna")
    anna, bert = office.enrol("anna"), office.enrol("anna")
    # Bert's change is "newer" by the clock, but made on an old version: still a conflict.
    (base,) = office.push(anna, [anna.change("x", b"1")])
    office.push(anna, [anna.change("x", b"2", base_version=base["server_version"])])
    office.clock.advance(days=3)
    (late,) = office.push(bert, [bert.change("x", b"3", base_version=base["server_version"])])
    assert late["status"] == "conflict"


def test_a_change_signed_by_another_device_is_rejected(office: Office) -> None:
    anna, bert = office.enrol("anna"), office.enrol("bert")
    # Bert signs a change that claims to come from Anna's device and pushes it with her token.
    forged = anna.change("a-1", b"x", sign_private=bert.keys.sign_private)
    (result,) = office.push(anna, [forged])
    assert (result["status"], result["reason"]) == ("rejected", "bad_signature")
    # Bert pushes a correctly signed change under Anna's device id with his own token.
    foreign = anna.change("a-1", b"x")
    body = bert.push_body([foreign])
    answer = office.client.post("/api/v1/push", json=body, headers=bert.auth)
    (result,) = answer.json()["results"]
    assert (result["status"], result["reason"]) == ("rejected", "wrong_device")
    assert office.store.changes() == []


def test_one_bad_change_does_not_block_the_others(office: Office) -> None:
    laptop = office.enrol()
    good1, good2 = laptop.change("a-1", b"1"), laptop.change("a-2", b"2")
    broken = laptop.change("a-3", b"3").to_wire()
    broken["base_version"] = "three"
    wrong_key = laptop.change("a-4", b"4", office_box_public=DeviceKeys.generate().box_public)
    results = office.push(laptop, [good1, broken, "garbage", wrong_key, good2])
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert results[1]["reason"] == "malformed" and "base_version" in results[1]["message"]
    assert results[1]["id"] == broken["id"]
    assert "id" not in results[2]
    assert results[3]["reason"] == "wrong_recipient"


def test_a_sequence_number_is_used_once_per_device(office: Office) -> None:
    laptop = office.enrol()
    office.push(laptop, [laptop.change("a-1", b"1", seq=5)])
    (result,) = office.push(laptop, [laptop.change("a-2", b"2", seq=5)])
    assert (result["status"], result["reason"]) == ("rejected", "seq_reused")


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_refuses_a_missing_or_wrong_token(
    office: Office, method: str, path: str
) -> None:
    office.enrol()
    for headers, code in [
        ({}, "missing_token"),
        ({"Authorization": "Bearer not-a-token"}, "invalid_token"),
        ({"Authorization": "Basic YTpi"}, "invalid_token"),
        ({"Authorization": "Bearer "}, "invalid_token"),
    ]:
        status, body = call(office, method, path, headers)
        assert (status, body["error"]) == (401, code)
        assert body["message"].endswith(".")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_a_revoked_device_is_refused_everywhere_and_told_to_wipe(
    office: Office, method: str, path: str
) -> None:
    laptop = office.enrol()
    assert office.store.revoke(laptop.enrolment.device_id, office.clock())
    status, body = call(office, method, path, laptop.auth)
    assert (status, body["error"], body["wipe"]) == (403, "device_revoked", True)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"not json", b"[]", b'{"v": 1}', b'{"v": 1, "device_id": 3, "changes": []}'],
)
def test_a_garbage_body_is_a_400_with_a_clear_message(office: Office, body: bytes) -> None:
    laptop = office.enrol()
    for path, headers in [("/api/v1/push", laptop.auth), ("/api/v1/enrol", {})]:
        answer = office.client.post(path, content=body, headers=headers)
        assert answer.status_code == 400, (path, body)
        assert answer.json()["message"].startswith("The ")


def test_a_push_for_another_device_id_is_refused(office: Office) -> None:
    anna, bert = office.enrol("anna"), office.enrol("bert")
    answer = office.client.post("/api/v1/push", json=bert.push_body([]), headers=anna.auth)
    assert (answer.status_code, answer.json()["error"]) == (403, "wrong_device")


def test_unknown_paths_and_methods_answer_in_json(office: Office) -> None:
    assert office.client.get("/api/v1/nothing").json()["error"] == "not_found"
    assert office.client.get("/api/v1/push").json()["error"] == "method_not_allowed"


# -- what the server keeps ----------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_marker_in_a_payload_appears_nowhere_in_the_server_files(office: Office) -> None:
    marker = b"MARKER-7f3a9c-Jansen-Kerkstraat-12"
    laptop = office.enrol()
    results = office.push(
        laptop, [laptop.change(f"a-{n}", b"answer: " + marker * 3) for n in range(5)]
    )
    assert {r["status"] for r in results} == {"accepted"}
    files = [p for p in office.data.rglob("*") if p.is_file()]
    assert any(p.name.startswith("office.db") for p in files)
    for path in files:
        data = path.read_bytes()
        assert marker not in data, path.name
        assert marker.lower() not in data.lower()
    # And the office, with its key, can read it back.
    private = keys.unlock(office.data, OFFICE_PASSPHRASE)
    first = office.store.changes()[0]
    assert marker in Change.from_wire(json.loads(first["envelope"])).open(private.box_private)


@pytest.mark.sqlite_only
def test_tokens_and_codes_are_stored_only_as_hashes(office: Office) -> None:
    code = office.store.create_code("anna", office.clock())
    laptop = office.enrol()
    blob = b"".join(p.read_bytes() for p in office.data.rglob("office.db*"))
    assert laptop.enrolment.token.encode() not in blob
    assert code.encode() not in blob and code.replace("-", "").encode() not in blob


def test_fifty_rounds_of_lost_answers_store_every_change_exactly_once(office: Office) -> None:
    import random

    rng = random.Random(20260302)
    laptop = office.enrol()
    pending: dict[str, Change] = {}
    made: list[str] = []
    for round_ in range(50):
        for _ in range(rng.randint(0, 3)):
            change = laptop.change(f"a-{rng.randint(1, 8)}", f"round {round_}".encode())
            pending[change.id] = change
            made.append(change.id)
        batch = list(pending.values())
        rng.shuffle(batch)
        results = office.push(laptop, batch)
        if rng.random() < 0.5:
            continue  # the answer is lost on the way back: everything stays pending
        for result in results:
            assert result["status"] in {"accepted", "duplicate", "conflict"}, result
            del pending[result["id"]]
    results = office.push(laptop, list(pending.values()))
    assert all(r["status"] != "rejected" for r in results)
    stored = [c["id"] for c in office.store.changes()]
    assert sorted(stored) == sorted(made)
    assert len(stored) == len(set(stored))


def test_a_change_the_database_fails_on_is_undone_alone_and_can_be_sent_again(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kitchentable.office.store import changes as store_module

    real = store_module._record

    def failing(cur, index, change, now, *more):  # type: ignore[no-untyped-def]
        result = real(cur, index, change, now, *more)  # its rows are written ...
        if change.entity_id == uid("boom"):
            raise RuntimeError("disk full")  # ... and then the database fails
        return result

    monkeypatch.setattr(store_module, "_record", failing)
    laptop = office.enrol()
    first, boom, last = (laptop.change(e, b"x") for e in ("a-1", "boom", "a-3"))
    results = office.push(laptop, [first, boom, last])
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"] == "server_error"
    assert sorted(c["entity_id"] for c in office.store.changes()) == sorted(
        [uid("a-1"), uid("a-3")]
    )
    monkeypatch.setattr(store_module, "_record", real)
    (again,) = office.push(laptop, [boom])  # nothing of it was kept: not a duplicate
    assert again["status"] == "accepted"
