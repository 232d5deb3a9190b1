"""`verify`: is this plan PDF the one that was sealed, by whom, when — and still valid?

Owns what a check trusts. Always the certificates the caller names (`--trust`). On an
unlocked profile, also: the office root it was enrolled with (so an office-certified seal
checks out by default), the office's revocation lists its syncs brought (so a seal of a
revoked laptop is reported as revoked unless the office's time-stamp dates it before the
revocation), and its own seal key (a seal this laptop made, also before enrolment with its
self-issued certificate, is its own). The verdict and its facts are render.verify's; words
for people are the caller's. Never writes, never touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from kitchentable.render import certificates
from kitchentable.render.verify import SealStatus, Verification, verify_pdf
from kitchentable.services import sync
from kitchentable.services.profile import Profile

__all__ = [
    "SealStatus",
    "Trust",
    "Verification",
    "trust_of",
    "unreadable",
    "verify_document",
]


@dataclass(frozen=True)
class Trust:
    roots: tuple[bytes, ...] = ()  # certificates trusted (PEM)
    crls: tuple[bytes, ...] = ()  # the office's revocation lists (DER)
    own_keys: tuple[bytes, ...] = ()  # this laptop's seal key (DER SubjectPublicKeyInfo)
    office_root: bool = False  # the roots include the office root this laptop enrolled with


def trust_of(profile: Profile) -> Trust:
    """What an unlocked profile contributes to a check."""
    root = sync.office_root(profile)
    identity = profile.plans.stored_identity()
    own: tuple[bytes, ...] = ()
    if identity is not None:
        key = serialization.load_pem_private_key(identity.key_pem, password=None)
        own = (
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
    return Trust(
        roots=(root,) if root else (),
        crls=tuple(sync.revocation_lists(profile)),
        own_keys=own,
        office_root=root is not None,
    )


def verify_document(
    pdf: bytes, trusted: Sequence[bytes] = (), profile: Profile | None = None
) -> tuple[Verification, Trust]:
    """The verdict on a plan PDF, and what it was checked against."""
    trust = trust_of(profile) if profile is not None else Trust()
    roots = (*trusted, *trust.roots)
    result = verify_pdf(pdf, roots, crls=trust.crls, own_keys=trust.own_keys)
    return result, Trust(roots, trust.crls, trust.own_keys, trust.office_root)


def unreadable(pems: Sequence[bytes]) -> int | None:
    """The place of the first certificate to trust that is not one (PEM), else None."""
    for place, pem in enumerate(pems):
        try:
            certificates.load(pem)
        except ValueError:
            return place
    return None
