"""Seals that can be revoked and dated: the laptop's side, at every sync.

Owns three steps of a sync. **The revocation list**: the office sends its list when the
laptop asks (first pull page); it is kept only when its CA is the office root or certified by
it and the list carries that CA's signature, so `verify` can rely on it. **Renewal**: device
certificates last a year; when the laptop's ends within RENEW_BEFORE, or the office now
issues from another CA (after `ca issue`), or the seal is still self-issued while the office
has a CA, the laptop asks for a new certificate for the same key; the answer must be for
that key and chain up to the root the laptop trusts. **Dating plans**: a signed plan not sent
yet gets the office's document time-stamp (with its validation data) before it goes, so the
plan the office receives shows the office's time, not the laptop's clock; the PDF work is
the app's (`Stamp`), the requests are made here; whether plans can be dated before the push
(`dating`: a revocation list that has not run out) or must wait for the pull's, and what
the laptop knows of the office's service (asked once with a request that dates nothing,
`tsa_offered`; an office without it remembered for TSA_ABSENT_FOR). An office without one
of these additions (404/405) is left alone: plans then go as sealed. Never imports Qt or
render.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from kitchentable.storage.crypto import b64, issued_by, unb64
from kitchentable.storage.outbox import OutboxState
from kitchentable.sync.enrolment import public_pem_of_cert, public_pem_of_key, split_pem
from kitchentable.sync.errors import ServerAnswerUnreadable
from kitchentable.sync.model import Enrolment, Local, SealKeys, StateKey
from kitchentable.sync.protocol import CertificateAnswer, CertificateRequest, RevocationList
from kitchentable.sync.transport import Transport, read_json
from kitchentable.sync.wire import ProtocolError

log = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(days=30)
CERTIFICATE_PATH = "/api/v1/certificate"
TSA_PATH = "/api/v1/timestamp"
NOT_OFFERED = (404, 405)  # an office from before these additions, or without a CA / TSA


def _load(pem: bytes | str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem if isinstance(pem, bytes) else pem.encode())


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def root_of(chain: Sequence[bytes]) -> x509.Certificate | None:
    """The last certificate of a chain when it is a self-signed CA (the office root)."""
    if not chain:
        return None
    last = _load(chain[-1])
    try:
        constraints = last.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:  # no CA says what it is
        return None
    return last if constraints.ca and issued_by(last, last) else None


def trust_root(local: Local) -> x509.Certificate | None:
    """The office root this laptop trusts: kept at enrolment, or (enrolled by an older
    version) the top of its seal certificate's chain."""
    kept = local.state.get(StateKey.TRUST_ROOT)
    if kept:
        return _load(str(kept))
    keys = local.host.seal_keys()
    return None if keys is None else root_of(keys.chain)


def _vouched(certificate: x509.Certificate, root: x509.Certificate | None) -> bool:
    return root is not None and (certificate == root or issued_by(certificate, root))


# --- the revocation list -----------------------------------------------------------------


def keep_revocation(local: Local, offered: RevocationList) -> bool:
    """Keep the office's list when it checks out (newest per CA); False when it does not."""
    try:
        issuer = _load(offered.issuer)
        crl = x509.load_der_x509_crl(offered.der)
    except ValueError:
        log.warning("the office's revocation list cannot be read; the last one is kept")
        return False
    try:
        signed = crl.issuer == issuer.subject and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
    except TypeError:  # a key type no CA of the office has
        signed = False
    if not (signed and _vouched(issuer, trust_root(local))):
        log.warning("the office's revocation list is not signed by its CA; not kept")
        return False
    lists = dict(local.state.get(StateKey.REVOCATION) or {})
    key = issuer.fingerprint(hashes.SHA256()).hex()
    this_update = crl.last_update_utc.isoformat()
    if key in lists and lists[key]["this_update"] >= this_update:
        return True
    next_update = crl.next_update_utc.isoformat() if crl.next_update_utc else this_update
    lists[key] = {
        "der": b64(offered.der),
        "issuer": offered.issuer,
        "this_update": this_update,
        "next_update": next_update,
    }
    local.state.put(StateKey.REVOCATION, lists)
    return True


def revocation_lists(local: Local) -> list[bytes]:
    """Every revocation list kept (DER), one per CA of the office."""
    return [unb64(item["der"]) for item in (local.state.get(StateKey.REVOCATION) or {}).values()]


# --- renewal -----------------------------------------------------------------------------


def renewal_due(local: Local, now: datetime, office_ca: str | None) -> SealKeys | None:
    """The seal keys to renew the certificate of, or None when it is not due. `office_ca`:
    the PEM of the CA the office issues from now (with its list this sync), if any."""
    keys = local.host.seal_keys()
    if keys is None:
        return None
    certificate = _load(keys.certificate)
    if issued_by(certificate, certificate):  # still self-issued
        return keys if office_ca is not None else None
    if certificate.not_valid_after_utc - now <= RENEW_BEFORE:
        return keys
    current = _load(office_ca) if office_ca else None
    moved = current is not None and not issued_by(certificate, current)
    return keys if moved else None


async def ask_certificate(
    net: Transport, enrolment: Enrolment, keys: SealKeys
) -> list[bytes] | None:
    """A new certificate for the seal key and its chain (PEM each), or None when the office
    does not certify (older office, no online CA)."""
    request = CertificateRequest.create(
        enrolment.device_id, public_pem_of_key(keys.key_pem), enrolment.keys.sign_private
    )
    response = await net.request(
        "POST", CERTIFICATE_PATH, json=request.to_wire(), passed=NOT_OFFERED
    )
    if response.status_code in NOT_OFFERED:
        return None
    try:
        return split_pem(CertificateAnswer.from_wire(read_json(response)).certificate)
    except ProtocolError as exc:
        raise ServerAnswerUnreadable(reason=exc.message) from exc


def keep_certificate(local: Local, keys: SealKeys, issued: list[bytes]) -> None:
    """Seal with the new certificate from now on, once it is checked: for this laptop's key,
    each certificate issued by the next, up to the root this laptop trusts."""
    try:
        leaf, *chain = [_load(pem) for pem in issued]
        top = root_of(issued[1:])
    except ValueError as exc:  # not certificates
        raise ServerAnswerUnreadable(reason="a seal certificate that cannot be read") from exc
    if public_pem_of_cert(pem(leaf)) != public_pem_of_key(keys.key_pem):
        raise ServerAnswerUnreadable(reason="the new seal certificate is for another key")
    path = [leaf, *chain]
    if not chain or not all(issued_by(a, b) for a, b in itertools.pairwise(path)):
        raise ServerAnswerUnreadable(reason="the new seal certificate's chain does not hold")
    root = trust_root(local)
    if top is None or (root is not None and top != root):
        raise ServerAnswerUnreadable(reason="the new seal certificate is not from the office root")
    with local.db.atomic():
        local.host.renewed_seal_certificate(issued[0], tuple(issued[1:]))
        if root is None:
            local.state.put(StateKey.TRUST_ROOT, pem(top).decode("ascii"))
        local.access.record(
            "seal.renew", "profile", detail={"until": leaf.not_valid_after_utc.date().isoformat()}
        )


# --- dating plans --------------------------------------------------------------------------

TSA_ABSENT_FOR = timedelta(days=1)  # an office without the service is asked again a day later


@dataclass(frozen=True)
class Dating:
    """Whether plans can be dated now: what the laptop knows of the office's service (True:
    offered, False: absent within the last day, None: not known), and whether it holds a
    revocation list that has not run out (for the validation data)."""

    tsa: bool | None
    current_list: bool

    @property
    def tsa_absent(self) -> bool:
        return self.tsa is False


def dating(local: Local, now: datetime) -> Dating:
    noted = local.state.get(StateKey.TSA) or {}
    offered = noted.get("offered")
    if offered is False and now - datetime.fromisoformat(noted["at"]) >= TSA_ABSENT_FOR:
        offered = None  # asked again
    lists = (local.state.get(StateKey.REVOCATION) or {}).values()
    current = any(now.isoformat() < str(item.get("next_update", "")) for item in lists)
    return Dating(offered if isinstance(offered, bool) else None, current)


def note_tsa(local: Local, offered: bool, now: datetime) -> None:
    with local.db.atomic():
        local.state.put(StateKey.TSA, {"offered": offered, "at": now.isoformat()})


# An RFC 3161 request (version 1, a SHA-256 message imprint, no nonce, no certificate asked
# for) over a random digest: it dates nothing of the laptop's.
_REQUEST_HEAD = bytes.fromhex("3036020101" + "3031" + "300d060960864801650304020105000420")


async def tsa_offered(net: Transport) -> bool:
    """Whether the office time-stamps, asked with a request that dates nothing (a first
    sync: the plans go at once to an office without the service, and wait for the pull's
    revocation list at one with it). An answer other than 'not here' counts as offered."""
    response = await net.request(
        "POST",
        TSA_PATH,
        content=_REQUEST_HEAD + os.urandom(32),
        headers={"Content-Type": "application/timestamp-query"},
        passed=(*NOT_OFFERED, 400),
    )
    return response.status_code not in NOT_OFFERED


@dataclass(frozen=True)
class ToStamp:
    """A signed plan waiting to be sent, with what dating it needs."""

    document_id: str
    pdf: bytes
    certificates: tuple[bytes, ...]  # the seal's chain up to the root (PEM)
    crls: tuple[bytes, ...]


def to_stamp(local: Local, change_id: str) -> ToStamp | None:
    """The plan an outbox entry carries, when it is one still waiting and never built."""
    entries = local.outbox.entries([change_id])
    if not entries or entries[0].state != OutboxState.PENDING:
        return None
    entry = entries[0]
    if change_id in local.state.kept_ids():
        return None
    document_id = entry.payload.get("document_id")
    if not isinstance(document_id, str):
        return None
    keys = local.host.seal_keys()
    root = trust_root(local)
    chain = [*(keys.chain if keys else ())]
    if root is not None and pem(root) not in chain:
        chain.append(pem(root))
    return ToStamp(
        document_id,
        local.repo.get_document(document_id),
        tuple(chain),
        tuple(revocation_lists(local)),
    )


def keep_stamped(local: Local, document_id: str, pdf: bytes) -> None:
    with local.db.atomic():
        local.repo.replace_document(document_id, pdf)


class OfficeTsa:
    """The office's time-stamping service over this sync's connection; remembers an office
    that has none, so the other plans do not ask again."""

    def __init__(self, net: Transport) -> None:
        self.net = net
        self.offered = True

    async def __call__(self, request: bytes) -> bytes | None:
        if not self.offered:
            return None
        response = await self.net.request(
            "POST",
            TSA_PATH,
            content=request,
            headers={"Content-Type": "application/timestamp-query"},
            passed=NOT_OFFERED,
        )
        if response.status_code in NOT_OFFERED:
            self.offered = False
            return None
        return response.content
