"""`kitchentable verify FILE`: the seal of a plan PDF, in words a person can act on.

Owns the command and its wording: intact / altered / revoked / expired / unknown signer /
unsigned on the first line (scripts read the first word and the exit status), then the
facts to judge it by — the signer's certificate fingerprint, whether that certificate is
the office's, this laptop's own or self-issued (anyone can make one under any name), the
office's time when a time-stamp dates the seal (else the sealing laptop's own clock, said to
be unchecked), and what the revocation check found. On a laptop with a profile the profile
is unlocked so its office root, revocation lists and own seal key count (`--no-profile`
checks against `--trust` only). Calls services.verification only; registered by
kitchentable.cli.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kitchentable.i18n import _

if TYPE_CHECKING:
    from kitchentable.services import Profile
    from kitchentable.services.verification import Trust, Verification

Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]
Unlocker = Callable[[argparse.Namespace], "Profile | None"]

EXIT = {"intact": 0, "altered": 1, "unknown_signer": 3, "unsigned": 4, "revoked": 5, "expired": 6}


def _when(iso: str) -> str:
    if not iso:
        return _("an unknown moment")
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _first(result: Verification) -> str:
    signer = result.signer or "?"
    if result.status == "intact" and result.own_key and result.self_issued:
        return _(
            "intact: sealed with this laptop's own seal key, before the office certified it; "
            "nothing changed since."
        )
    return {
        "intact": _("intact: sealed by {signer}; nothing changed since."),
        "altered": _(
            "altered: this PDF was changed after it was sealed, or the seal is damaged. "
            "Do not rely on it."
        ),
        "revoked": _(
            "revoked: sealed by {signer}, whose seal certificate the office revoked on "
            "{revoked}; nothing dates the seal before that. Do not rely on it."
        ),
        "expired": _(
            "expired: sealed by {signer} with a certificate that has run out, and no office "
            "time-stamp shows the seal was made before then. Ask the office for the copy it "
            "received."
        ),
        "unknown_signer": _(
            "unknown signer: unchanged since sealing by {signer}, but no one you trust "
            "vouches for that certificate."
        ),
    }[result.status.value].format(signer=signer, revoked=_when(result.revoked_at))


def _certificate(result: Verification, trust: Trust) -> str:
    if result.self_issued and result.own_key:
        return _("  Certificate: self-issued by this laptop (not yet certified by the office).")
    if result.self_issued:
        return _(
            "  Certificate: self-issued. Anyone can make one, under any name: only the "
            "fingerprint tells it apart. Compare it with the one on the sealer's laptop."
        )
    if result.status == "unknown_signer":
        return _(
            "  Certificate: issued by a certificate authority you do not trust here "
            "(use --trust CERT, or verify on a laptop enrolled at the office)."
        )
    if trust.office_root:
        return _("  Certificate: issued by the office (its root is trusted on this laptop).")
    return _("  Certificate: trusted (--trust).")


def _time(result: Verification) -> str:
    if result.office_time:
        return _("  Time-stamped by the office: {at}, by {tsa}; the seal existed then.").format(
            at=_when(result.office_time), tsa=result.time_stamped_by
        )
    text = _(
        "  Sealed at: {at}, by the sealing laptop's own clock (no office time-stamp; not checked)."
    ).format(at=_when(result.signed_at))
    if result.time_stamped_by:
        text += "\n" + _(
            "  Time-stamped by {tsa}, whose certificate you do not trust here (not checked)."
        ).format(tsa=result.time_stamped_by)
    return text


def _revocation(result: Verification) -> str | None:
    if result.status == "revoked":
        return _("  Revoked: {at} (the office's revocation list of {list}).").format(
            at=_when(result.revoked_at), list=_when(result.revocation_list)
        )
    if result.status != "intact" or (result.self_issued and result.own_key):
        return None
    if result.revoked_at:
        return _(
            "  Revoked on {at}, after the office's time-stamp: the seal was made before that."
        ).format(at=_when(result.revoked_at))
    if result.revocation_list:
        return _("  Revocation: not revoked according to the office's list of {list}.").format(
            list=_when(result.revocation_list)
        )
    return _("  Revocation: not checked (no revocation list of the office on this computer).")


def verdict(result: Verification, trust: Trust) -> list[str]:
    """The lines `verify` prints."""
    if result.status == "unsigned":
        return [_("unsigned: this PDF carries no seal.")]
    lines = [_first(result)]
    if not result.fingerprint:
        return lines
    lines.append(
        _("  Signer's certificate (SHA-256): {fingerprint}").format(fingerprint=result.fingerprint)
    )
    lines.append(_certificate(result, trust))
    lines.append(_time(result))
    revocation = _revocation(result)
    if revocation:
        lines.append(revocation)
    return lines


def command(add: Add, unlock: Unlocker) -> None:
    def cmd_verify(args: argparse.Namespace) -> int:
        from kitchentable.services import verification

        try:
            pdf = Path(args.file).read_bytes()
            trusted = tuple(Path(c).read_bytes() for c in args.trust)
        except OSError as exc:
            raise SystemExit(
                _("Cannot read {file}: {reason}").format(
                    file=exc.filename or args.file, reason=exc.strerror
                )
            ) from exc
        bad = verification.unreadable(trusted)
        if bad is not None:
            raise SystemExit(
                _("{file} is not a certificate (PEM); nothing was checked.").format(
                    file=args.trust[bad]
                )
            )
        profile = None if args.no_profile else unlock(args)
        try:
            result, trust = verification.verify_document(pdf, trusted, profile)
        finally:
            if profile is not None:
                profile.close()
        for line in verdict(result, trust):
            print(line)
        return EXIT[result.status.value]

    p = add(
        "verify",
        cmd_verify,
        _("check the seal of a plan PDF: intact, altered, revoked, expired or unknown signer"),
    )
    p.add_argument("file")
    p.add_argument(
        "--trust",
        metavar="CERT",
        action="append",
        default=[],
        help=_("a trusted certificate (PEM)"),
    )
    p.add_argument(
        "--no-profile",
        action="store_true",
        help=_(
            "do not unlock this laptop's profile (its office root, revocation lists and seal key)"
        ),
    )
