"""The OpenAPI description against the code: the protocol's messages fit it, and schemathesis
sends what it describes (with a real device token and without) and finds no server error."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "office"))

from officekit import OFFICE_PASSPHRASE, Clock, Laptop
from starlette.testclient import TestClient

from kitchentable.office import keys, pki
from kitchentable.office.api_schema import openapi_document
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store
from kitchentable.sync.protocol import (
    GENESIS,
    Anchor,
    AuditLine,
    CertificateAnswer,
    CertificateRequest,
    ChangeResult,
    DeviceKeys,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    FeedItem,
    LogAnswer,
    LogHead,
    LogReport,
    PullEntry,
    PullResponse,
    PushResponse,
    RevocationList,
    UploadState,
    ed25519_keypair,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def conforms(name: str, instance: Any) -> None:
    document = openapi_document()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "$ref": f"#/components/schemas/{name}",
    }
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


def test_the_protocols_own_messages_fit_the_description() -> None:
    keys_ = DeviceKeys.generate()
    request = EnrolRequest.create("ABCD-EFGH", "laptop", keys_, tls_fingerprint="a" * 64)
    conforms("EnrolRequest", request.to_wire())
    device = str(uuid.uuid4())
    answer = EnrolResponse(device, "tok", "anna", b"1" * 32, b"2" * 32, None, "PEM")
    conforms("EnrolResponse", answer.prove(b"k" * 32, request).to_wire())
    conforms(
        "PushResponse",
        PushResponse(
            [
                ChangeResult(0, device, "accepted", 4, 4),
                ChangeResult(1, None, "rejected", reason="malformed", message="Bad."),
                ChangeResult(2, device, "duplicate", 4, 5, first_status="conflict"),
            ]
        ).to_wire(),
    )
    sign_private, _ = ed25519_keypair()
    item = FeedItem.create(
        kind="policy",
        item_id="p1",
        issued_at=datetime.now(UTC).isoformat(timespec="seconds"),
        office_sign_private=sign_private,
        content={"retention_days": 30},
    )
    conforms("PullResponse", PullResponse(7, False, [PullEntry(7, item=item)]).to_wire())
    with_crl = PullResponse(7, False, [], RevocationList(b"0" * 40, "-----BEGIN CERT"))
    conforms("PullResponse", with_crl.to_wire())
    line = AuditLine(1, "2026-03-02T09:00:00", "anna", "case.open", "case", "c", "c", "ok", "app")
    head = LogHead(1, "a" * 64, "b" * 64, None, "2026-03-02T09:00:00+00:00")
    report = LogReport.create(
        device_id=device,
        head=head,
        anchor=Anchor(0, GENESIS),
        lines=[line],
        office_box_public=b"1" * 32,
        sign_private=sign_private,
    )
    conforms("LogReport", report.to_wire())
    conforms("LogAnswer", LogAnswer(1).to_wire())
    asked = CertificateRequest.create(device, "-----BEGIN PUBLIC KEY-----", sign_private)
    conforms("CertificateRequest", asked.to_wire())
    conforms("CertificateAnswer", CertificateAnswer("-----BEGIN CERTIFICATE-----").to_wire())
    conforms("UploadState", UploadState(device, 262144, (0, 2), False).to_wire())
    conforms("Error", ErrorBody("device_revoked", "Revoked.", wipe=True).to_wire())
    with pytest.raises(jsonschema.ValidationError):
        conforms("Error", {"error": "x", "message": "m", "extra": 1})


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Any, Laptop]]:
    data = tmp_path / "office"
    data.mkdir()
    public = keys.create(data, OFFICE_PASSPHRASE)
    store = Store(SQLiteBackend(data / DB_NAME))
    clock = Clock()
    # With the office's time-stamping service, so its parser is fuzzed too.
    root = pki.create_ca(data, bytes(range(32)), "Gemeente Testdam")
    secret = b"a serve secret of at least thirty-two characters"
    tsa = pki.create_tsa(data, root, secret)
    # With an online CA too, so certificate renewal and the revocation list are fuzzed.
    online = pki.create_online_ca(data, root, secret)
    identity = ServerIdentity(ca=online, chain=(root.certificate,), tsa=tsa)
    app = create_app(store, public, clock=clock, identity=identity)
    with TestClient(app) as client:
        code = store.create_code("anna", clock())
        device = DeviceKeys.generate()
        answer = client.post(
            "/api/v1/enrol", json=EnrolRequest.create(code, "laptop", device).to_wire()
        )
        assert answer.status_code == 200, answer.text
        yield app, Laptop(device, EnrolResponse.from_wire(answer.json()))
    store.close()


@pytest.fixture
def api(office: tuple[Any, Laptop]) -> Any:
    app, _ = office
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


# A time-stamp request is binary DER, sent as is (like application/octet-stream).
schemathesis.serializer.alias("application/timestamp-query", "application/octet-stream")

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# The pytest plugin of schemathesis 4.32 does not run on pytest 9 (a private attribute it
# reads is gone), so each operation's strategy drives a plain Hypothesis test here.
OPERATIONS = [
    ("POST", "/api/v1/enrol"),
    ("GET", "/api/v1/status"),
    ("POST", "/api/v1/push"),
    ("GET", "/api/v1/pull"),
    ("GET", "/api/v1/blobs/{sha256}"),
    ("PUT", "/api/v1/blobs/{sha256}"),
    ("POST", "/api/v1/blobs"),
    ("POST", "/api/v1/uploads"),
    ("PUT", "/api/v1/uploads/{upload_id}/chunks/{index}"),
    ("POST", "/api/v1/uploads/{upload_id}/complete"),
    ("POST", "/api/v1/timestamp"),
    ("POST", "/api/v1/log"),
    ("POST", "/api/v1/certificate"),
]


def test_the_description_lists_every_sync_endpoint(api: Any) -> None:
    described = {
        (result.ok().method.upper(), result.ok().path) for result in api.get_all_operations()
    }
    assert described == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_request_the_description_allows_makes_a_server_error(
    api: Any, office: tuple[Any, Laptop], method: str, path: str
) -> None:
    _, laptop = office
    operation = api[path][method]

    @FUZZ
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(headers=laptop.auth, checks=CHECKS)

    run()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_with_a_wrong_token_every_endpoint_answers_plainly(
    api: Any, method: str, path: str
) -> None:
    operation = api[path][method]

    @FUZZ
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code < 500
        if path != "/api/v1/enrol":
            assert response.status_code == 401
            assert response.json()["error"] == "invalid_token"

    run()
