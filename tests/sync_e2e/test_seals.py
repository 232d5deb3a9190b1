"""Seals that can be revoked and dated, end to end on SQLite and PostgreSQL: an office with an
offline root, an online issuing CA and its time-stamping service; laptops that enrol, seal,
sync, renew and verify. Written as the attacks: a laptop revoked for theft seals a plan
afterwards (its clock may say anything), a forger makes a self-issued seal under the
consultant's name, an office or a laptop from before these additions takes part."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from synckit import office_keys, office_store

from kitchentable.config import Settings
from kitchentable.formengine.loader import FormRegistry
from kitchentable.office import pki
from kitchentable.office.app import ServerIdentity, create_app
from kitchentable.office.crl import revocation_list
from kitchentable.office.store import DB_NAME, SQLiteBackend, Store
from kitchentable.render.seal import new_self_issued_identity, seal_pdf
from kitchentable.services import Profile, sync
from kitchentable.services.sync import local
from kitchentable.services.verification import SealStatus, verify_document
from kitchentable.sync import seals
from kitchentable.sync.enrolment import public_pem_of_key, split_pem
from kitchentable.sync.errors import DeviceRevoked, ServerAnswerUnreadable
from kitchentable.sync.protocol import RevocationList
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document
from tests.core.test_plan import answer_all, sign_both
from tests.netkit import serve

SECRET = b"a serve secret of at least thirty-two characters"


class OfficeClock:
    """The office's clock: near the real one (certificates are issued by the real clock),
    settable to the second so a test can name the time the office stamps."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SealingOffice:
    data: Path
    store: Store
    url: str
    root: pki.OfficeCA
    clock: OfficeClock
    laptops: list[Profile] = field(default_factory=list)

    def code(self, consultant: str) -> str:
        return self.store.create_code(consultant, self.clock())


@pytest.fixture(params=["sqlite", "postgres"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SealingOffice]:
    data = tmp_path / "office"
    data.mkdir()
    public, _private, root = office_keys(data)
    online = pki.create_online_ca(data, root, SECRET)
    tsa = pki.create_tsa(data, root, SECRET)
    with ExitStack() as stack:
        store = office_store(request.param, data, stack)
        clock = OfficeClock()
        identity = ServerIdentity(ca=online, chain=(root.certificate,), tsa=tsa)
        app = create_app(store, public, clock=clock, identity=identity)
        server, thread, url = serve(app)
        office = SealingOffice(data, store, url, root, clock)
        yield office
        server.should_exit = True
        thread.join(timeout=10)
        for laptop in office.laptops:
            laptop.close()


def signed_plan(laptop: Profile, ref: str) -> bytes:
    laptop.import_cases(case_document(ref, form="test-plan"))
    answer_all(laptop, ref)
    sign_both(laptop, ref)
    pdf, sealed = laptop.plans.pdf(ref)
    assert sealed
    return pdf


def stored_plan(laptop: Profile, ref: str) -> bytes:
    pdf, _ = laptop.plans.pdf(ref)
    return pdf


def test_a_plan_sent_to_the_office_carries_the_offices_time_and_its_validation_data(
    office: SealingOffice, laptop_factory: Any, tmp_path: Path
) -> None:
    laptop = laptop_factory()
    sealed = signed_plan(laptop, "M-2026-0412")
    office.clock.now += timedelta(minutes=7)  # the office's clock, whatever the laptop's says
    report = sync.synchronise(laptop)
    assert report.accepted == 2 and not report.problems, report
    stamped = stored_plan(laptop, "M-2026-0412")
    assert stamped.startswith(sealed)  # appended to: the seal's bytes are untouched
    result, trust = verify_document(stamped, profile=laptop)
    assert result.status == SealStatus.INTACT and trust.office_root, result
    assert result.office_time == office.clock.now.isoformat()
    assert result.time_stamped_by == "Kitchentable office time-stamping (Gemeente Testdam)"
    assert result.revocation_list  # checked against the list this sync brought
    # The seal's chain and the office's revocation list sit under the time-stamp (DSS).
    dss = PdfFileReader(io.BytesIO(stamped)).root["/DSS"]
    assert len(dss["/Certs"]) >= 3 and len(dss["/CRLs"]) == 1
    # What the office received is the dated plan, and it verifies against the root alone.
    (change,) = [c for c in office.store.changes() if c["entity"] == "plan"]
    assert change["status"] == "accepted"
    root_pem = (office.data / pki.CA_CERT).read_bytes()
    alone, _ = verify_document(stamped, (root_pem,))
    assert alone.status == SealStatus.INTACT and alone.office_time == result.office_time
    # A second sync does not date it again.
    sync.synchronise(laptop)
    assert stored_plan(laptop, "M-2026-0412") == stamped


class Counting(httpx.AsyncBaseTransport):
    """The paths the laptop asked for, in order."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.asked: list[str] = []

    def order(self, *paths: str) -> list[str]:
        """The last part of these paths in the order asked, a repeated one named once."""
        named = [p.rsplit("/", 1)[-1] for p in self.asked if p in paths]
        return [n for i, n in enumerate(named) if i == 0 or named[i - 1] != n]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url.path)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
        self.inner = httpx.AsyncHTTPTransport()


def test_with_a_current_revocation_list_a_plan_is_dated_before_its_push(
    office: SealingOffice, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    signed_plan(laptop, "M-2026-0412")
    counted = Counting()
    sync.synchronise(laptop, inner=counted)  # a first sync: the plan waits for the list
    paths = ("/api/v1/push", "/api/v1/pull", "/api/v1/timestamp")
    # A first sync: the office is asked whether it dates beside the case's push; the plan
    # waits for the revocation list the pull brings, is dated, and goes in a second push.
    order = counted.order(*paths)
    assert sorted(order[:2]) == ["push", "timestamp"] and order[2:] == ["pull", "timestamp", "push"]
    assert len(sync.revocation_lists(laptop)) == 1
    sealed = signed_plan(laptop, "M-2026-0413")
    counted = Counting()
    report = sync.synchronise(laptop, inner=counted)
    assert report.accepted == 3 and not report.problems, report  # the first case's status too
    # With a current list the plan is dated, then pushed, before the pull: no second pass
    # (the changed cases may go meanwhile).
    assert counted.order(*paths)[-3:] == ["timestamp", "push", "pull"]
    stamped = stored_plan(laptop, "M-2026-0413")
    assert stamped.startswith(sealed)
    result, trust = verify_document(stamped, profile=laptop)
    assert result.status == SealStatus.INTACT and trust.office_root, result
    assert result.office_time == office.clock.now.isoformat() and result.revocation_list
    dss = PdfFileReader(io.BytesIO(stamped)).root["/DSS"]
    assert len(dss["/Certs"]) >= 3 and len(dss["/CRLs"]) == 1


def test_a_plan_sealed_after_revocation_is_reported_revoked(
    office: SealingOffice, laptop_factory: Any
) -> None:
    stolen, colleague = laptop_factory("Anja de Consulent"), laptop_factory("Bram Jansen")
    before = signed_plan(stolen, "M-2026-0412")
    sync.synchronise(stolen)
    dated = stored_plan(stolen, "M-2026-0412")
    assert before != dated
    # The laptop is stolen; the office revokes it. The thief seals a plan afterwards, with
    # the laptop's key and certificate and whatever clock the laptop has.
    office.clock.now += timedelta(hours=1)
    device = sync.enrolment_of(stolen)
    assert device is not None
    office.store.revoke(device.device_id, office.clock())
    after = signed_plan(stolen, "M-2026-0413")
    # The colleague's laptop learns of the revocation at its next sync.
    sync.synchronise(colleague)
    forged, _ = verify_document(after, profile=colleague)
    assert forged.status == SealStatus.REVOKED, forged
    assert forged.revoked_at == office.clock.now.isoformat()
    assert not forged.office_time
    # The plan the office dated before the revocation stays good, and says why.
    good, _ = verify_document(dated, profile=colleague)
    assert good.status == SealStatus.INTACT and good.revoked_at, good
    # Undated, even the plan sealed before is no longer vouched for: its own time is the
    # laptop's word.
    assert verify_document(before, profile=colleague)[0].status == SealStatus.REVOKED
    # The stolen laptop itself is told at its next contact and wipes its vault.
    with pytest.raises(DeviceRevoked):
        sync.synchronise(stolen)
    office.laptops.remove(stolen)


def run_verify(profile_path: Path, pdf: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KITCHENTABLE_PROFILE": str(profile_path),
        "KITCHENTABLE_PASSPHRASE": PASSPHRASE,
    }
    return subprocess.run(
        [sys.executable, "-m", "kitchentable", "verify", str(pdf), *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def forged_seal(laptop: Profile, ref: str, tmp_path: Path, name: str) -> Path:
    """A forger's plan: the same document, sealed with a self-issued certificate under the
    consultant's own name."""
    plan = laptop.plans.current(ref)
    assert plan is not None
    identity = new_self_issued_identity(name, "Gemeente Testdam")
    path = tmp_path / "forged.pdf"
    pdf = laptop.plans.render(plan, draft=False)
    path.write_bytes(seal_pdf(pdf, identity, reason="r", location="l", name=name))
    return path


def test_verify_tells_a_forged_self_issued_seal_from_a_genuine_one_before_and_after_enrolment(
    office: SealingOffice, laptop_factory: Any, tmp_path: Path
) -> None:
    laptop = laptop_factory("Anja de Consulent", enrol=False)
    genuine = tmp_path / "genuine.pdf"
    genuine.write_bytes(signed_plan(laptop, "M-2026-0412"))
    certificate = x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem)
    (common_name,) = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    forged = forged_seal(laptop, "M-2026-0412", tmp_path, str(common_name.value))
    profile_path = laptop.path
    # Before enrolment, on the laptop that sealed: its own key is told apart from the forger's.
    own, fake = run_verify(profile_path, genuine), run_verify(profile_path, forged)
    assert own.returncode == 0 and own.stdout.startswith("intact: sealed with this laptop's own")
    assert fake.returncode == 3 and fake.stdout.startswith("unknown signer")
    assert "self-issued. Anyone can make one" in fake.stdout
    # Anywhere else (no profile): both unknown, but never word for word the same.
    elsewhere = [run_verify(profile_path, p, "--no-profile").stdout for p in (genuine, forged)]
    assert all(text.startswith("unknown signer") for text in elsewhere)
    assert elsewhere[0] != elsewhere[1]
    fingerprints = [line for text in elsewhere for line in text.splitlines() if "SHA-256" in line]
    assert len(set(fingerprints)) == 2
    # After enrolment: the office root is trusted by default.
    sync.enrol(laptop, office.url, office.code("Anja de Consulent"), "laptop")
    certified = tmp_path / "certified.pdf"
    certified.write_bytes(signed_plan(laptop, "M-2026-0413"))
    ok = run_verify(profile_path, certified)
    assert ok.returncode == 0 and ok.stdout.startswith("intact: sealed by Anja de Consulent")
    assert "issued by the office" in ok.stdout
    assert run_verify(profile_path, forged).stdout.startswith("unknown signer")
    assert run_verify(profile_path, genuine).stdout.startswith(
        "intact: sealed with this laptop's own"
    )


def test_a_certificate_near_its_end_is_renewed_at_sync_for_the_same_key(
    office: SealingOffice, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    before = x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem)
    assert before.not_valid_after_utc - before.not_valid_before_utc <= timedelta(days=366)
    sync.synchronise(laptop)  # not due: nothing asked
    assert laptop.plans.identity().cert_pem == before.public_bytes(Encoding.PEM)
    # Eleven months on: the laptop asks, the office issues a new certificate for the same key.
    later = before.not_valid_after_utc - timedelta(days=20)
    office.clock.now = later
    sync.synchronise(laptop, clock=lambda: later)
    after = x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem)
    assert after.serial_number != before.serial_number
    assert after.public_key() == before.public_key()
    device = sync.enrolment_of(laptop)
    assert device is not None and len(office.store.certificates_of(device.device_id)) == 2
    assert "seal.renew" in [line.action for line in laptop.access.lines()]
    # A laptop that was away past the end (or updated late) renews at its next sync too.
    gone = after.not_valid_after_utc + timedelta(days=10)
    office.clock.now = gone
    sync.synchronise(laptop, clock=lambda: gone)
    assert x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem) != after


class OlderOffice:
    """ASGI middleware: the office as it was before these additions (no log, certificate or
    time-stamp endpoints: 404; a `crl` question in a pull is not understood)."""

    GONE = ("/api/v1/log", "/api/v1/certificate", "/api/v1/timestamp")

    def __init__(self, app: Any) -> None:
        self.app = app
        self.asked: Counter[str] = Counter()  # path → requests

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.asked[scope["path"]] += 1
        if scope["type"] == "http" and scope["path"] in self.GONE:
            body = b'{"error": "not_found", "message": "Not Found."}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http":
            query = b"&".join(
                part for part in scope["query_string"].split(b"&") if not part.startswith(b"crl=")
            )
            scope = {**scope, "query_string": query}
        await self.app(scope, receive, send)


def test_an_older_office_without_the_new_endpoints_still_syncs(
    tmp_path: Path, forms: FormRegistry
) -> None:
    data = tmp_path / "office"
    data.mkdir()
    public, _private, root = office_keys(data)
    store = Store(SQLiteBackend(data / DB_NAME))
    app = OlderOffice(create_app(store, public, identity=ServerIdentity(ca=root)))
    server, thread, url = serve(app)
    laptop = Profile.create(
        tmp_path / "laptop", PASSPHRASE, settings=Settings(consultant="Anja"), forms=forms
    )
    try:
        sync.enrol(laptop, url, store.create_code("Anja", datetime.now(UTC)), "laptop")
        sealed = signed_plan(laptop, "M-2026-0412")
        report = sync.synchronise(laptop)
        assert report.accepted == 2 and report.log_lines == 0 and not report.problems
        assert stored_plan(laptop, "M-2026-0412") == sealed  # not dated: no service
        assert sync.revocation_lists(laptop) == []
        assert app.asked["/api/v1/timestamp"] == 1  # asked once, with a hash of nothing
        sync.synchronise(laptop)  # the case's new status ('synced') goes once more
        assert sync.synchronise(laptop).pushed == 0
        # The office without the service is remembered: the next plan is not asked about.
        sealed = signed_plan(laptop, "M-2026-0413")
        assert sync.synchronise(laptop).accepted == 2
        assert stored_plan(laptop, "M-2026-0413") == sealed
        assert app.asked["/api/v1/timestamp"] == 1
    finally:
        laptop.close()
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def test_an_older_laptop_that_does_not_ask_gets_no_revocation_list(
    office: SealingOffice, laptop_factory: Any
) -> None:
    laptop = laptop_factory()
    enrolment = sync.enrolment_of(laptop)
    assert enrolment is not None
    auth = {"Authorization": f"Bearer {enrolment.token}"}
    with httpx.Client(base_url=office.url) as client:
        old = client.get("/api/v1/pull", params={"cursor": "0"}, headers=auth).json()
        new = client.get("/api/v1/pull", params={"cursor": "0", "crl": "1"}, headers=auth).json()
    # Exactly what a laptop from before this addition reads (its reader refuses other fields).
    assert set(old) == {"v", "cursor", "more", "entries"}
    assert set(new) == {"v", "cursor", "more", "entries", "crl"}


def test_the_laptop_keeps_only_a_revocation_list_and_a_certificate_from_its_office_root(
    office: SealingOffice, laptop_factory: Any, tmp_path: Path
) -> None:
    laptop = laptop_factory()
    sync.synchronise(laptop)
    first = sync.revocation_lists(laptop)
    office.clock.now += timedelta(minutes=5)
    sync.synchronise(laptop)  # a newer list of the same CA replaces the older one
    here = local(laptop)
    kept = sync.revocation_lists(laptop)
    assert len(kept) == 1 and kept != first
    # Someone between laptop and office (or a broken office) offers a list of its own CA.
    (tmp_path / "elsewhere").mkdir()
    impostor = pki.create_ca(tmp_path / "elsewhere", bytes(range(32)), "Gemeente Testdam")
    forged = RevocationList(
        revocation_list(impostor, [], datetime.now(UTC)),
        pki.certs.pem(impostor.certificate).decode(),
    )
    assert seals.keep_revocation(here, forged) is False
    assert sync.revocation_lists(laptop) == kept
    # A certificate for another key, or from another root, is not taken either.
    keys = here.host.seal_keys()
    assert keys is not None
    other = pki.issue_device_certificate(
        impostor.key,
        impostor.certificate,
        "dev",
        "Anja",
        ec_public_pem(),
    )
    with pytest.raises(ServerAnswerUnreadable):
        seals.keep_certificate(here, keys, [other, pki.certs.pem(impostor.certificate)])
    ours_elsewhere = pki.issue_device_certificate(
        impostor.key, impostor.certificate, "dev", "Anja", public_pem_of_key(keys.key_pem).encode()
    )
    with pytest.raises(ServerAnswerUnreadable, match="root"):
        seals.keep_certificate(here, keys, [ours_elsewhere, pki.certs.pem(impostor.certificate)])
    # An office that sends garbage for a certificate: one sentence, nothing kept.
    for garbage in ([b"not a certificate"], [keys.certificate, b"\x00junk"]):
        with pytest.raises(ServerAnswerUnreadable, match="cannot be read"):
            seals.keep_certificate(here, keys, garbage)
    with pytest.raises(ServerAnswerUnreadable, match="cannot be read"):
        split_pem("-----BEGIN CERTIFICATE-----\nZŻ\n-----END CERTIFICATE-----\n")
    assert laptop.plans.identity().cert_pem == keys.certificate


def ec_public_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def test_after_ca_issue_laptops_move_to_the_new_online_ca_at_their_next_sync(
    tmp_path: Path, forms: FormRegistry
) -> None:
    data = tmp_path / "office"
    data.mkdir()
    public, _private, root = office_keys(data)
    store = Store(SQLiteBackend(data / DB_NAME))
    first = pki.create_online_ca(data, root, SECRET)
    server, thread, url = serve(
        create_app(store, public, identity=ServerIdentity(ca=first, chain=(root.certificate,)))
    )
    laptop = Profile.create(
        tmp_path / "laptop", PASSPHRASE, settings=Settings(consultant="Anja"), forms=forms
    )
    try:
        sync.enrol(laptop, url, store.create_code("Anja", datetime.now(UTC)), "laptop")
        before = x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem)
        before.verify_directly_issued_by(first.certificate)
        server.should_exit = True
        thread.join(timeout=10)
        # `kitchentable-office ca issue`: a new online CA from the same root; the server restarts.
        second = pki.create_online_ca(data, root, SECRET, replace=True)
        identity = ServerIdentity(ca=second, chain=(root.certificate,))
        port = int(url.rsplit(":", 1)[1])
        server, thread, _ = serve(create_app(store, public, identity=identity), port=port)
        sync.synchronise(laptop)
        after = x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem)
        after.verify_directly_issued_by(second.certificate)
        assert after.public_key() == before.public_key()
    finally:
        laptop.close()
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def test_a_laptop_enrolled_while_the_office_certified_nothing_is_certified_at_a_later_sync(
    tmp_path: Path, forms: FormRegistry
) -> None:
    data = tmp_path / "office"
    data.mkdir()
    public, _private, root = office_keys(data)
    store = Store(SQLiteBackend(data / DB_NAME))
    server, thread, url = serve(create_app(store, public))  # no online CA (yet)
    laptop = Profile.create(
        tmp_path / "laptop", PASSPHRASE, settings=Settings(consultant="Anja"), forms=forms
    )
    try:
        sync.enrol(laptop, url, store.create_code("Anja", datetime.now(UTC)), "laptop")
        assert sync.office_root(laptop) is None  # self-issued, nothing to trust yet
        server.should_exit = True
        thread.join(timeout=10)
        online = pki.create_online_ca(data, root, SECRET)
        identity = ServerIdentity(ca=online, chain=(root.certificate,))
        port = int(url.rsplit(":", 1)[1])
        server, thread, _ = serve(create_app(store, public, identity=identity), port=port)
        sync.synchronise(laptop)
        certified = x509.load_pem_x509_certificate(laptop.plans.identity().cert_pem)
        certified.verify_directly_issued_by(online.certificate)
        assert sync.office_root(laptop) == pki.certs.pem(root.certificate)
        sync.synchronise(laptop)  # now the list is from a CA the laptop can check
        assert len(sync.revocation_lists(laptop)) == 1
    finally:
        laptop.close()
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
