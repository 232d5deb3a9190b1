"""The sync protocol: sealed, signed change envelopes and strict parsing of everything."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest

from kitchentable.storage import crypto
from kitchentable.sync.protocol import (
    Change,
    ChangeResult,
    DeviceKeys,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    PushRequest,
    PushResponse,
    SealedPayload,
    code_id,
    code_key,
)
from kitchentable.sync.wire import ProtocolError, canonical, parse_json

OFFICE_PRIVATE, OFFICE_PUBLIC = crypto.x25519_keypair()


def make_change(keys: DeviceKeys, device_id: str | None = None, **overrides: Any) -> Change:
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "device_id": device_id or str(uuid.uuid4()),
        "seq": 1,
        "entity": "answer",
        "entity_id": "a-1",
        "case_ref": "case-1",
        "base_version": 0,
        "last_seen_server_version": 0,
        "plaintext": b'{"text": "Mevrouw de Vries"}',
        "office_box_public": OFFICE_PUBLIC,
        "sign_private": keys.sign_private,
    }
    fields.update(overrides)
    return Change.create(**fields)


def roundtrip(change: Change) -> Change:
    return Change.from_wire(parse_json(json.dumps(change.to_wire())))


def test_a_change_survives_the_wire_and_opens_only_at_the_office() -> None:
    keys = DeviceKeys.generate()
    change = make_change(keys)
    received = roundtrip(change)
    assert received == change
    received.verify(keys.sign_public)
    assert received.open(OFFICE_PRIVATE) == b'{"text": "Mevrouw de Vries"}'
    assert b"Vries" not in json.dumps(change.to_wire()).encode()


def test_an_attachment_is_sealed_straight_to_its_canonical_bytes() -> None:
    pdf = b"%PDF-1.7 " + bytes(range(256)) * 300
    wire = SealedPayload.seal_to_wire(OFFICE_PUBLIC, pdf, "kitchentable/attachment/v1:x")
    parsed = parse_json(wire)
    assert canonical(parsed) == wire  # the bytes the export and the office read
    assert (
        SealedPayload.from_wire(parsed).open(OFFICE_PRIVATE, "kitchentable/attachment/v1:x") == pdf
    )


def test_a_change_and_a_push_are_encoded_once_to_their_canonical_bytes() -> None:
    keys = DeviceKeys.generate()
    device_id = str(uuid.uuid4())
    _private, colleague = crypto.x25519_keypair()
    plain = make_change(keys, device_id)
    full = make_change(
        keys, device_id, seq=2, attachments=("ab" * 32,), copy_to=((str(uuid.uuid4()), colleague),)
    )
    for change in (plain, full, roundtrip(full)):
        assert change.wire_bytes() == canonical(change.to_wire())
        assert change.signed_bytes().endswith(canonical(change.body()))
        Change.from_wire(parse_json(change.wire_bytes())).verify(keys.sign_public)
    body = PushRequest.encode(device_id, [plain, full])
    assert parse_json(body) == PushRequest.of(device_id, [plain, full]).to_wire()
    with pytest.raises(ProtocolError):
        PushRequest.encode('x", "v": 2, "y": "', [plain])


def test_a_tampered_payload_is_rejected() -> None:
    keys = DeviceKeys.generate()
    change = make_change(keys)
    sealed = bytearray(change.payload.sealed)
    sealed[-1] ^= 1
    tampered = replace(change, payload=replace(change.payload, sealed=bytes(sealed)))
    with pytest.raises(ProtocolError) as caught:
        roundtrip(tampered).verify(keys.sign_public)
    assert caught.value.code == "bad_signature"
    # Even with the signature check skipped, AES-GCM refuses to open it.
    with pytest.raises(ProtocolError) as caught:
        tampered.open(OFFICE_PRIVATE)
    assert caught.value.code == "unreadable_payload"


def test_changed_metadata_breaks_the_signature() -> None:
    keys = DeviceKeys.generate()
    change = make_change(keys)
    for field, value in [("base_version", 7), ("entity_id", "a-2"), ("seq", 2), ("case_ref", None)]:
        with pytest.raises(ProtocolError, match="signature"):
            replace(change, **{field: value}).verify(keys.sign_public)


def test_a_payload_moved_to_another_change_does_not_open() -> None:
    keys = DeviceKeys.generate()
    first, second = make_change(keys), make_change(keys, entity_id="a-2")
    moved = Change.create(
        **{
            "id": second.id,
            "device_id": second.device_id,
            "seq": 2,
            "entity": "answer",
            "entity_id": "a-2",
            "case_ref": None,
            "base_version": 0,
            "last_seen_server_version": 0,
            "plaintext": b"x",
            "office_box_public": OFFICE_PUBLIC,
            "sign_private": keys.sign_private,
        }
    )
    moved = replace(moved, payload=first.payload)
    with pytest.raises(ProtocolError) as caught:
        moved.open(OFFICE_PRIVATE)
    assert caught.value.code == "unreadable_payload"


def test_a_tampered_signature_is_rejected() -> None:
    keys = DeviceKeys.generate()
    change = make_change(keys)
    signature = bytearray(change.signature)
    signature[0] ^= 0x80
    with pytest.raises(ProtocolError) as caught:
        replace(change, signature=bytes(signature)).verify(keys.sign_public)
    assert caught.value.code == "bad_signature"


def test_a_change_signed_by_another_device_is_rejected() -> None:
    mine, other = DeviceKeys.generate(), DeviceKeys.generate()
    forged = make_change(other)
    with pytest.raises(ProtocolError) as caught:
        roundtrip(forged).verify(mine.sign_public)
    assert caught.value.code == "bad_signature"


def test_key_order_and_spacing_do_not_matter_to_the_signature() -> None:
    keys = DeviceKeys.generate()
    change = make_change(keys)
    wire = change.to_wire()
    shuffled = json.dumps(dict(reversed(list(wire.items()))), indent=4)
    Change.from_wire(parse_json(shuffled)).verify(keys.sign_public)
    assert canonical({"b": 1, "a": "é"}) == b'{"a":"\\u00e9","b":1}'


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"   ",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b'{"v": 1, "id": ',
        b'{"a": 1, "a": 2}',
        b'{"a": NaN}',
        b'{"a": 1.5}',
        b"[" * 100_000,
    ],
)
def test_garbage_is_a_protocol_error(garbage: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        Change.from_wire(parse_json(garbage))
    assert caught.value.message.endswith(".")


def test_every_truncation_of_a_change_is_a_protocol_error() -> None:
    text = json.dumps(make_change(DeviceKeys.generate()).to_wire())
    for cut in range(0, len(text), 7):
        with pytest.raises(ProtocolError):
            Change.from_wire(parse_json(text[:cut]))


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("id", "not-a-uuid", "UUID"),
        ("id", str(uuid.uuid4()).upper(), "lower case"),
        ("seq", 0, "between"),
        ("seq", True, "whole number"),
        ("seq", "1", "whole number"),
        ("base_version", -1, "between"),
        ("base_version", 2**60, "between"),
        ("entity", "Answer; DROP", "not allowed"),
        ("entity_id", "", "1 to"),
        ("signature", "!!!", "base64"),
        ("signature", "AAAA", "64 bytes"),
        ("payload", {"algorithm": "rot13"}, "lacks"),
        ("payload", [], "JSON object"),
        ("v", 2, "version"),
        ("extra", 1, "unknown field"),
    ],
)
def test_bad_fields_are_named_in_the_error(field: str, value: object, words: str) -> None:
    wire = make_change(DeviceKeys.generate()).to_wire()
    wire[field] = value
    with pytest.raises(ProtocolError, match=words):
        Change.from_wire(wire)


def test_a_missing_field_is_named() -> None:
    wire = make_change(DeviceKeys.generate()).to_wire()
    del wire["base_version"]
    with pytest.raises(ProtocolError, match="base_version"):
        Change.from_wire(wire)


def test_a_sealed_payload_with_a_wrong_algorithm_or_short_body_is_refused() -> None:
    good = SealedPayload.seal(OFFICE_PUBLIC, b"x", "info").to_wire()
    with pytest.raises(ProtocolError, match="algorithm"):
        SealedPayload.from_wire({**good, "algorithm": "none"})
    with pytest.raises(ProtocolError, match="too short"):
        SealedPayload.from_wire({**good, "sealed": "AAAA"})


def test_enrolment_request_proves_possession_of_the_signing_key() -> None:
    keys = DeviceKeys.generate()
    request = EnrolRequest.create("ABCD-EFGH", "laptop Anna", keys)
    assert EnrolRequest.from_wire(parse_json(json.dumps(request.to_wire()))) == request
    assert "ABCD" not in json.dumps(request.to_wire())  # the code itself never travels
    assert request.proves(code_key("abcd efgh"))
    assert not request.proves(code_key("ABCD-EFGX"))
    swapped = {**request.to_wire(), "code_id": code_id("ABCD-EFGX")}
    with pytest.raises(ProtocolError, match="signature"):
        EnrolRequest.from_wire(swapped)
    other = DeviceKeys.generate()
    stolen = {
        **request.to_wire(),
        "sign_public": EnrolRequest.create("x", "y", other).to_wire()["sign_public"],
    }
    with pytest.raises(ProtocolError, match="signature"):
        EnrolRequest.from_wire(stolen)


def test_the_enrolment_answer_is_bound_to_the_code_and_the_request() -> None:
    request = EnrolRequest.create("ABCD-EFGH", "laptop", DeviceKeys.generate())
    answer = EnrolResponse(str(uuid.uuid4()), "tok", "anna", b"1" * 32, b"2" * 32)
    proven = answer.prove(code_key("ABCD-EFGH"), request)
    parsed = EnrolResponse.from_wire(parse_json(json.dumps(proven.to_wire())))
    assert parsed.proves(code_key("ABCD-EFGH"), request)
    # Someone in between who swaps the office key cannot make a matching proof.
    swapped = replace(parsed, office_box_public=b"3" * 32)
    assert not swapped.proves(code_key("ABCD-EFGH"), request)
    other = EnrolRequest.create("ABCD-EFGH", "laptop", DeviceKeys.generate())
    assert not parsed.proves(code_key("ABCD-EFGH"), other)


def test_answers_round_trip() -> None:
    response = EnrolResponse(str(uuid.uuid4()), "tok", "anna", b"1" * 32, b"2" * 32)
    assert EnrolResponse.from_wire(response.to_wire()) == response
    push = PushResponse(
        [
            ChangeResult(0, str(uuid.uuid4()), "accepted", 4, 4),
            ChangeResult(1, None, "rejected", reason="malformed", message="Bad."),
            ChangeResult(2, str(uuid.uuid4()), "duplicate", 4, 5, first_status="conflict"),
        ]
    )
    assert PushResponse.from_wire(parse_json(json.dumps(push.to_wire()))) == push
    assert ErrorBody.from_wire({"error": "device_revoked", "message": "M.", "wipe": True}).wipe
    with pytest.raises(ProtocolError):
        PushResponse.from_wire({"v": 1, "results": [{"index": 0, "status": "maybe"}]})


def test_a_push_request_is_limited_but_keeps_its_items_raw() -> None:
    device = str(uuid.uuid4())
    request = PushRequest.from_wire({"v": 1, "device_id": device, "changes": [1, "x"]})
    assert request.changes == [1, "x"]
    with pytest.raises(ProtocolError) as caught:
        PushRequest.from_wire({"v": 1, "device_id": device, "changes": [0] * 501})
    assert caught.value.code == "too_large"
